"""``jlq dashboards`` (平板看板): serve the Voila dashboards (``serve``, the default) or list them (``list``).

Serving starts Voila in a child process (``python -m jupyterlab_quant.server.voila_app``, as ``jlq lab``
starts JupyterLab): bound to 127.0.0.1 unless ``--ip`` says otherwise, a token always required
(``--token``, ``JLQ_TOKEN`` or a random one, printed in the URLs), HTTPS with ``--tls`` using the same
local certificate as ``jlq lab --tls``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from ..widgets.gallery import dashboards_dir, load_gallery

if TYPE_CHECKING:
    from ..app import Services

DEFAULT_PORT = 8866


def dashboard_urls(base: str, token: str) -> dict[str, str]:
    """name → URL of each gallery dashboard under a standalone Voila at ``base`` (ends with "/")."""
    return {d.name: f"{base}voila/render/{d.file}?token={token}" for d in load_gallery()}


def cmd_dashboards(svc: Services, a: argparse.Namespace) -> int:
    if getattr(a, "dash_cmd", None) == "list":
        return cmd_list(svc, a)
    from . import _ensure_lab_cert, _free_port, _lan_addresses, load_sample

    if not svc.store.manifest("bars_1d").files:
        load_sample(svc.store)
    token = a.token or os.environ.get("JLQ_TOKEN") or secrets.token_hex(24)
    port = _free_port(a.port)
    cmd = [sys.executable, "-m", "jupyterlab_quant.server.voila_app", str(dashboards_dir()), f"--port={port}",
           "--Voila.port_retries=0", f"--Voila.ip={a.ip}", f"--Voila.token={token}"]
    host = a.ip
    if a.ip in ("0.0.0.0", "::"):
        lan = _lan_addresses()
        host = lan[0] if lan else "localhost"
    scheme = "http"
    if a.tls:
        tls = _ensure_lab_cert(svc.settings.home / "tls", a.ip)
        cmd += [f"--QuantVoila.certfile={tls['cert']}", f"--QuantVoila.keyfile={tls['key']}"]
        scheme = "https"
    if a.preheat > 0:
        cmd += ["--preheat_kernel=True", f"--pool_size={a.preheat}"]
    cmd += a.voila
    base = f"{scheme}://{host}:{port}/"
    print(f"\n  jupyterlab-quant 看板 dashboards (Voila) → {base}?token={token}", flush=True)
    for name, url in dashboard_urls(base, token).items():
        print(f"    {name:<12} {url}", flush=True)
    if a.tls:
        print(f"  TLS: 证书 certificate {tls['cert']}\n  平板信任此 CA (trust this CA on the tablet): {tls['ca']}",
              flush=True)
    print(f"  数据目录 (JLQ_HOME): {svc.settings.home}\n", flush=True)
    if a.dry_run:
        print(" ".join(cmd))
        return 0
    env = dict(os.environ, JLQ_HOME=str(svc.settings.home))
    return subprocess.call(cmd, env=env)


def cmd_list(svc: Services, a: argparse.Namespace) -> int:
    dashboards = load_gallery()
    if a.json:
        body = {"directory": str(dashboards_dir()), "dashboards": [d.to_dict() for d in dashboards]}
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=1) + "\n")
        return 0
    lang = "en" if (a.lang or "zh").startswith("en") else "zh"
    for d in dashboards:
        params = " ".join(f"?{p['name']}=" for p in d.params)
        print(f"{d.name:<12} {d.text('title', lang)}  ({d.file})  {params}")
        print(f"{'':12} {d.text('description', lang)}")
    print(f"\n看板目录 directory: {dashboards_dir()}\n"
          "在 JupyterLab 中 inside JupyterLab: <lab URL>/jupyterlab-quant/dashboards/<name>")
    return 0


def register(sub: Any) -> None:
    da = sub.add_parser("dashboards", help="平板看板 Voila dashboards: serve (default) | list")
    da.add_argument("dash_cmd", nargs="?", choices=["serve", "list"], default="serve",
                    help="serve: 启动 Voila start Voila; list: 列出看板 list the gallery")
    da.add_argument("--ip", default="127.0.0.1",
                    help="监听地址 bind address (default 127.0.0.1; 0.0.0.0 for a tablet on the LAN — use --tls)")
    da.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"端口 port (default {DEFAULT_PORT}, next free)")
    da.add_argument("--token", help="访问令牌 access token (default JLQ_TOKEN or a random one)")
    da.add_argument("--tls", action="store_true",
                    help="HTTPS with the local certificate of `jlq lab --tls` (<home>/tls, made on first use)")
    da.add_argument("--preheat", type=int, default=1, metavar="N",
                    help="预热内核 keep N kernels per dashboard started and imported ahead of the next page "
                         "(default 1: ~0.5 s instead of ~2 s of kernel start; data is read when the page "
                         "arrives; 0 = off)")
    da.add_argument("--json", action="store_true", help="list: JSON output")
    da.add_argument("--lang", help="list: zh | en")
    da.add_argument("--dry-run", action="store_true", help="只打印命令 print the Voila command and exit")
    da.add_argument("--voila", action="append", default=[], metavar="OPTION",
                    help="传给 Voila 的参数 extra Voila option, repeatable, e.g. --voila=--theme=dark")
    da.set_defaults(func=cmd_dashboards)
