"""Notification benchmark: an alert storm against the fake WeCom robot.

``--alerts`` (1,000) distinct breaches are submitted to a ``NotificationCenter`` on a fresh data root within
``--window`` (60) seconds of simulated exchange time (the injected clock; the fake server's rate window
runs on the same clock), the WeCom robot enabled. Everything else is real: the channel class, HTTP to the
local fake server (``tests/fakes/wechat_server.py``, which checks the request format and enforces 20/min),
the SQLite delivery log in WAL mode. After the storm the clock moves on by ``digest.delay_s`` and
``flush()`` sends the digest. Reported: HTTP messages the robot received (singles + digest; must be
≤ 20), digests and the alerts they cover, format problems found by the fake, and the wall time of
``submit()`` per alert (median, p99, max; sent and suppressed alerts separately) and of the flush.

    .venv/bin/python benchmarks/bench_notify.py [--alerts 1000] [--window 60] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import requests  # noqa: E402
from _scale import machine_info  # noqa: E402

from jupyterlab_quant.core.live import Alert, Severity  # noqa: E402
from jupyterlab_quant.notify.center import NotificationCenter  # noqa: E402
from jupyterlab_quant.notify.log import to_ts  # noqa: E402
from jupyterlab_quant.notify.secrets import MemorySecrets  # noqa: E402
from tests.fakes.wechat_server import FakeWeChat  # noqa: E402

KEY = "bench-wecom-key-0001"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median_ms": round(statistics.median(values) * 1e3, 3),
            "p99_ms": round(pct(values, 0.99) * 1e3, 3), "max_ms": round(max(values) * 1e3, 3)}


def run(n_alerts: int, window_s: float) -> dict[str, Any]:
    now = [dt.datetime(2026, 11, 25, 14, 30, 0)]
    with tempfile.TemporaryDirectory(prefix="jlq-bench-notify-") as tmp, \
            FakeWeChat(wecom_keys={KEY}, clock=lambda: to_ts(now[0])) as fake:
        session = requests.Session()
        session.trust_env = False
        center = NotificationCenter(Path(tmp), MemorySecrets(), clock=lambda: now[0], session=session)
        center.configure("wecom", enabled=True, options={"base_url": fake.url}, secrets={"key": KEY})
        step = window_s / n_alerts
        sent_t: list[float] = []
        held_t: list[float] = []
        t_storm = time.perf_counter()
        for i in range(n_alerts):
            a = Alert(key=f"stop_loss:{i}:600519.SH", rule="stop_loss" if i % 3 else "drawdown",
                      severity=Severity.WARNING, title=f"止损触发 #{i} 600519.SH 1649.50 < 1650.00",
                      message="现价 1649.50，止损 1650.00", time=now[0], symbol="600519.SH", value=1649.5,
                      threshold=1650.0)
            t0 = time.perf_counter()
            (d,) = center.submit(a)
            (sent_t if d.status == "sent" else held_t).append(time.perf_counter() - t0)
            now[0] += dt.timedelta(seconds=step)
        storm_s = time.perf_counter() - t_storm
        singles = fake.count("wecom")
        now[0] += dt.timedelta(seconds=61)
        t0 = time.perf_counter()
        stats = center.flush()
        flush_s = time.perf_counter() - t0
        log = center.log(100000)
        covered = sum(1 for d in log if d["status"] == "digested")
        center.close()
        return {"alerts": n_alerts, "window_s": window_s, "http_messages": fake.count("wecom"),
                "single_messages": singles, "digests": stats["digests"], "digest_covers": covered,
                "digest_sent": stats["sent"], "lost": n_alerts - singles - covered, "fake_problems": fake.problems,
                "storm_wall_s": round(storm_s, 3), "submit_all": ms(sent_t + held_t), "submit_sent": ms(sent_t),
                "submit_suppressed": ms(held_t), "flush_ms": round(flush_s * 1e3, 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--alerts", type=int, default=1000)
    p.add_argument("--window", type=float, default=60.0, help="simulated seconds the storm spans (default 60)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    runs = [run(a.alerts, a.window) for _ in range(a.runs)]
    ok = all(r["http_messages"] <= 20 and r["digests"] == 1 and r["lost"] == 0 and not r["fake_problems"]
             for r in runs)
    out = {"machine": machine_info(), "runs": runs, "ok": ok}
    if a.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0 if ok else 1
    print(f"Alert storm: {a.alerts} breaches in {a.window:g} s simulated, WeCom robot (20/min), {a.runs} runs")
    for i, r in enumerate(runs, 1):
        print(f"  run {i}: HTTP messages {r['http_messages']} ({r['single_messages']} single + {r['digests']} digest "
              f"covering {r['digest_covers']}), lost {r['lost']}, fake problems {len(r['fake_problems'])}")
        print(f"         submit() per alert: median {r['submit_all']['median_ms']} ms, p99 {r['submit_all']['p99_ms']} "
              f"ms, max {r['submit_all']['max_ms']} ms | sent {r['submit_sent']['median_ms']} ms median, "
              f"suppressed {r['submit_suppressed']['median_ms']} ms median | storm {r['storm_wall_s']} s wall, "
              f"flush {r['flush_ms']} ms")
    print(f"  {'OK' if ok else 'FAILED'}: ≤ 20 messages, one digest, nothing lost")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
