"""`jlq live …` commands."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add this module's sub-commands to the ``jlq`` parser."""
    del sub


__all__ = ["argparse", "register"]
