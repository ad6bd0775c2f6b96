"""jupyterlab-quant: A-share quant research workstation in JupyterLab."""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    import warnings

    warnings.warn("Importing 'jupyterlab_quant' outside a proper installation.", stacklevel=2)
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-quant"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.extension import QuantExtension

    return [{"module": "jupyterlab_quant", "app": QuantExtension}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyterlab_quant`` registers ``%bars`` and ``%%quantsql``."""
    from .magics import register

    register(ipython)
