"""The dashboard gallery (看板目录): where the Voila notebooks live and what ``gallery.yaml`` says about them.

A source checkout keeps them in ``voila_dashboards/``; a wheel ships the same files as
``jupyterlab_quant/dashboards/``. ``jlq dashboards`` and the Jupyter server route both read the
gallery from here, so a dashboard is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import NotFound, QuantError

_PKG = Path(__file__).resolve().parents[1]


def dashboards_dir() -> Path:
    """The directory holding ``gallery.yaml`` and the dashboard notebooks."""
    for cand in (_PKG.parent / "voila_dashboards", _PKG / "dashboards"):
        if (cand / "gallery.yaml").is_file():
            return cand
    raise QuantError("找不到看板目录 voila_dashboards/ (dashboards are not installed)",
                     "重新安装 jupyterlab-quant (pip install jupyterlab-quant)")


@dataclass(frozen=True)
class Dashboard:
    name: str
    file: str
    title: dict[str, str]
    description: dict[str, str]
    params: tuple[dict[str, Any], ...] = field(default=())

    def text(self, key: str, lang: str = "zh") -> str:
        values: dict[str, str] = getattr(self, key)
        return values.get("en" if lang.startswith("en") else "zh") or next(iter(values.values()), self.name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "title": dict(self.title),
                "description": dict(self.description), "params": [dict(p) for p in self.params]}


def load_gallery(directory: Path | None = None) -> list[Dashboard]:
    """The dashboards of ``gallery.yaml`` (each file must exist next to it)."""
    d = directory or dashboards_dir()
    path = d / "gallery.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out = []
        for item in raw["dashboards"]:
            dash = Dashboard(name=str(item["name"]), file=str(item["file"]), title=dict(item["title"]),
                             description=dict(item.get("description") or {}),
                             params=tuple(item.get("params") or ()))
            if not (d / dash.file).is_file():
                raise QuantError(f"{path}: 看板 {dash.name} 的文件 {dash.file} 不存在 (file missing)",
                                 "重新安装 jupyterlab-quant")
            out.append(dash)
        return out
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise QuantError(f"{path}: 看板目录无法读取 (bad gallery): {exc}", "重新安装 jupyterlab-quant") from exc


def find_dashboard(name: str, directory: Path | None = None) -> Dashboard:
    for dash in load_gallery(directory):
        if dash.name == name:
            return dash
    names = ", ".join(d.name for d in load_gallery(directory))
    raise NotFound(f"没有看板 {name} (no such dashboard)", f"可用 available: {names}")
