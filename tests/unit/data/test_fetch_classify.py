"""Errors from akshare calls become actionable messages: an offline machine is not an IP ban."""

from __future__ import annotations

import requests

from jupyterlab_quant.data.fetch import classify


def test_dns_failure_says_offline_not_ban() -> None:
    exc = requests.ConnectionError("HTTPSConnectionPool(host='push2his.eastmoney.com', port=443): Max retries "
                                   "exceeded (Caused by NameResolutionError(\"Failed to resolve 'push2his'\"))")
    err = classify(exc, "eastmoney", "stock_zh_a_hist")
    assert "DNS" in err.message and "IP ban" not in err.message and "HTTPS_PROXY" in err.hint


def test_connection_reset_reads_as_a_ban() -> None:
    err = classify(requests.ConnectionError("Connection reset by peer"), "eastmoney", "stock_zh_a_hist")
    assert "IP ban" in err.message
