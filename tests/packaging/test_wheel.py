"""`pip wheel .` from a clean copy of the tracked sources builds the labextension from scratch and
packs the server auto-enable config, the embedded sample and the Voila dashboards."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_builds_labextension_from_scratch(tmp_path: Path) -> None:
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if rel.startswith(("node_modules/", "lib/", "jupyterlab_quant/labextension/")):
            continue
        dst = src / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / rel).is_file():
            dst.write_bytes((ROOT / rel).read_bytes())
    assert not (src / "node_modules").exists() and not (src / "jupyterlab_quant" / "labextension").exists()
    env = {k: v for k, v in os.environ.items() if k != "HATCH_JUPYTER_BUILDER_SKIP_NPM"}
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp_path / "dist")],
                       cwd=src, capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("jupyterlab_quant-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    data = "jupyterlab_quant-{}.data/data/".format(wheel.name.split("-")[1])
    ext = data + "share/jupyter/labextensions/jupyterlab-quant/"
    assert ext + "package.json" in names and ext + "install.json" in names
    assert any(n.startswith(ext + "static/remoteEntry.") and n.endswith(".js") for n in names)
    assert ext + "schemas/jupyterlab-quant/package.json.orig" in names or any(
        n.startswith(ext + "schemas/jupyterlab-quant/") for n in names)
    assert data + "etc/jupyter/jupyter_server_config.d/jupyterlab_quant.json" in names
    assert "jupyterlab_quant/sample_data/stock_1d.parquet" in names
    assert "jupyterlab_quant/_version.py" in names
    # the Voila dashboards travel with the package (widgets/gallery.py finds them there when installed)
    for name in ("gallery.yaml", "monitor.ipynb", "tearsheet.ipynb", "data_health.ipynb"):
        assert f"jupyterlab_quant/dashboards/{name}" in names
