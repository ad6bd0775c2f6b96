"""Route akshare's HTTP calls to the replay server and make time.sleep instant.

One patch point covers akshare's direct ``requests.get`` calls and its per-attempt sessions:
``requests.sessions.Session.request`` (../reference/akshare.md §2.1). Any other host is refused, so a
test can never reach the internet.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

ROUTED = re.compile(r"^https?://([a-z0-9.\-]*(?:eastmoney\.com|sina\.com\.cn|sina\.cn|gtimg\.cn|qq\.com))(/.*)?$",
                    re.I)


@contextmanager
def routed(base: str, sleeps: list[float] | None = None) -> Iterator[None]:
    from jupyterlab_quant.data import fetch

    fetch.install_http_guard()
    saved = requests.sessions.Session.request          # the product's guard around the real method
    real_request = fetch._unguarded
    real_sleep = time.sleep

    def request(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        m = ROUTED.match(str(url))
        if not m:
            raise requests.ConnectionError(f"test: no internet ({url})")
        return real_request(self, method, f"{base}/{m.group(1)}{m.group(2) or '/'}", *args, **kwargs)

    def fake_sleep(s: float) -> None:
        if sleeps is not None:
            sleeps.append(s)

    # routing innermost, the product's guard re-installed around it (so it sees the original hosts)
    requests.sessions.Session.request = request  # type: ignore[method-assign]
    fetch._installed = False
    fetch.install_http_guard()
    time.sleep = fake_sleep
    try:
        yield
    finally:
        requests.sessions.Session.request = saved  # type: ignore[method-assign]
        fetch._unguarded = real_request
        time.sleep = real_sleep
