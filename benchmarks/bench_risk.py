"""Risk benchmark: one risk pass over 200 positions × 20 rules (target ≤ 50 ms).

Three timings of the same pass, each repeated ``--reps`` times (median, p95, max):

* **service** — ``RiskService.check(quotes, now)``: what the scheduler and ``POST /risk/check`` run. Reads
  the rules, the account and its state from SQLite (WAL, ``synchronous=NORMAL``), values the account,
  evaluates every rule, writes peak/day-start/high-water state and each rule's status;
* **engine** — the pure part only: ``value_account`` + ``RiskEngine.evaluate`` on preloaded rules/account;
* **naive** — what a notebook user writes: the positions in a pandas DataFrame, priced and checked with
  ``DataFrame.apply(..., axis=1)`` once per rule (same rules, same ``core.ashare.limit_prices``).

The scenario is synthetic and seeded: 200 holdings spread over the main board (SH/SZ), ChiNext and STAR,
random costs and day moves inside each board's band, a few at limit-down, a few suspended (NaN price),
a few ST names, three strategy tags. The 20 rules are the 14 kinds plus six second rules with other
thresholds, in two profiles: "typical" (a calm day, a handful of breaches) and "stress" (a sell-off, most
rules breached, ~300 alerts). The run fails (exit 1) if the naive pass does not raise exactly the same
alert keys as the engine.

    .venv/bin/python benchmarks/bench_risk.py [--positions 200] [--reps 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pandas as pd  # noqa: E402
from _scale import machine_info  # noqa: E402

from jupyterlab_quant.core.ashare import limit_prices  # noqa: E402
from jupyterlab_quant.core.live import Quote  # noqa: E402
from jupyterlab_quant.core.types import Board, board_of  # noqa: E402
from jupyterlab_quant.risk.account import value_account  # noqa: E402
from jupyterlab_quant.risk.engine import RiskEngine, RiskService  # noqa: E402
from jupyterlab_quant.risk.rules.base import st_mark  # noqa: E402

NOW = dt.datetime(2026, 3, 2, 10, 30)
# Two days on the same 200-position account. "typical": a calm session, default-like thresholds, a
# handful of breaches. "stress": a sell-off on a book bought higher, tight thresholds — most rules fire
# and a few hundred alerts are built, the worst case for the engine's message/alert work.
PROFILES: dict[str, dict[str, Any]] = {
    "typical": {"cost": (0.95, 1.06), "move_sd": 0.012, "star": True, "rules": [
        ("total_position", {"max_position_pct": 90}), ("single_weight", {"max_weight_pct": 10}),
        ("daily_loss", {"max_loss_pct": 3}), ("drawdown", {"max_drawdown_pct": 10}),
        ("cash_floor", {"min_cash": 50_000}), ("max_holdings", {"max_count": 250}), ("stop_loss", {"loss_pct": 8}),
        ("trailing_stop", {"trail_pct": 10}), ("take_profit", {"gain_pct": 20}),
        ("strategy_position", {"max_position_pct": 40}), ("limit_down", {}), ("st_holding", {}), ("suspended", {}),
        ("board_permission", {}), ("stop_loss", {"loss_pct": 15}), ("take_profit", {"gain_pct": 40}),
        ("trailing_stop", {"trail_pct": 20}), ("single_weight", {"max_weight_pct": 5}),
        ("drawdown", {"max_drawdown_pct": 5}), ("limit_down", {"near_pct": 2})]},
    "stress": {"cost": (0.8, 1.3), "move_sd": 0.03, "star": False, "rules": [
        ("total_position", {"max_position_pct": 80}), ("single_weight", {"max_weight_pct": 1.5}),
        ("daily_loss", {"max_loss_pct": 3}), ("drawdown", {"max_drawdown_pct": 10}),
        ("cash_floor", {"min_cash": 50_000}), ("max_holdings", {"max_count": 150}), ("stop_loss", {"loss_pct": 8}),
        ("trailing_stop", {"trail_pct": 10}), ("take_profit", {"gain_pct": 20}),
        ("strategy_position", {"max_position_pct": 30}), ("limit_down", {}), ("st_holding", {}), ("suspended", {}),
        ("board_permission", {}), ("stop_loss", {"loss_pct": 15}), ("take_profit", {"gain_pct": 40}),
        ("trailing_stop", {"trail_pct": 20}), ("single_weight", {"max_weight_pct": 1.0}),
        ("drawdown", {"max_drawdown_pct": 5}), ("limit_down", {"near_pct": 2})]},
}


def scenario(n: int, seed: int, profile: dict[str, Any]) -> tuple[list[tuple[str, int, float, str | None]],
                                                                  dict[str, Quote], float]:
    rng = random.Random(seed)
    lo, hi = profile["cost"]
    positions, quotes = [], {}
    for i in range(n):
        k = i % 4
        sym = (f"{600000 + i}.SH", f"{1 + i:06d}.SZ", f"{300001 + i}.SZ", f"{688001 + i}.SH")[k]
        band = 0.20 if k >= 2 else 0.10
        name = f"ST股{i}" if i % 53 == 7 else f"股票{i}"
        if name.startswith("ST"):
            band = 0.05 if k < 2 else band
        cost = round(rng.uniform(5, 100), 2)
        preclose = round(cost / rng.uniform(lo, hi), 2)        # the book was bought lo…hi × today's 前收盘
        lp = limit_prices(preclose, sym, NOW.date(), is_st=name.startswith("ST"))
        assert lp is not None
        if i % 37 == 3:
            price = float(lp.down)
        elif i % 41 == 5:
            price = math.nan                                            # 停牌
        else:
            price = round(preclose * (1 + max(-band * 0.9, min(band * 0.9, rng.gauss(0, profile["move_sd"])))), 2)
        high = round(max(preclose, price if not math.isnan(price) else preclose) * (1 + rng.uniform(0, 0.03)), 2)
        quotes[sym] = Quote(sym, price, preclose, NOW, high=high, name=name)
        positions.append((sym, 100 * rng.randint(1, 50), cost, (["a", "b", "c", None])[i % 4]))
    market = sum(q * (quotes[s].price if not quotes[s].suspended else quotes[s].preclose) for s, q, _, _ in positions)
    return positions, quotes, round(market * 0.18, 2)


def build_home(home: Path, n: int, seed: int, profile: dict[str, Any]) -> tuple[RiskService, dict[str, Quote]]:
    svc = RiskService(home)
    positions, quotes, cash = scenario(n, seed, profile)
    for kind, params in profile["rules"]:
        svc.store.add(kind, params)
    svc.accounts.set_cash(cash)
    svc.accounts.set_permissions(chinext=True, star=profile["star"])
    for sym, qty, cost, tag in positions:
        svc.accounts.upsert_position(sym, qty, cost, strategy=tag)
    svc.check(quotes, NOW)           # first pass: peak, day start and high-water marks exist from here on
    return svc, quotes


# ---- the naive approach --------------------------------------------------------------------------------
def naive_check(svc: RiskService, quotes: dict[str, Quote]) -> set[str]:
    """Row-wise pandas, one ``apply`` per rule; returns the alert keys (same format as the engine)."""
    rules = svc.store.list_rules()
    acc, state = svc.accounts.load()
    df = pd.DataFrame([{"symbol": p.symbol, "qty": p.quantity, "cost": p.cost, "strategy": p.strategy,
                        "opened": p.opened} for p in acc.positions])
    qd = pd.DataFrame([{"symbol": s, "price": q.price, "preclose": q.preclose, "qhigh": q.high, "name": q.name,
                        "qtime": q.time} for s, q in quotes.items()])
    df = df.merge(qd, on="symbol", how="left")
    df["stored_high"] = df["symbol"].map(lambda s: state.positions[s].high if s in state.positions else math.nan)

    def used(r: pd.Series) -> float:
        if r.price > 0:
            return float(r.price)
        return float(r.preclose) if r.preclose > 0 else math.nan

    df["used"] = df.apply(used, axis=1)
    df["mv"] = df.apply(lambda r: r.qty * (r.used if not math.isnan(r.used) else r.cost), axis=1)
    total = acc.cash + df["mv"].sum()
    peak = max(state.peak_value or total, total)
    day_start = acc.cash + df.apply(lambda r: r.qty * r.preclose, axis=1).sum()
    df["weight"] = df.apply(lambda r: r.mv / total * 100, axis=1)
    df["gain"] = df.apply(lambda r: (r.used - r.cost) / r.cost * 100 if r.cost > 0 else math.nan, axis=1)
    df["high"] = df.apply(lambda r: max(x for x in (r.stored_high, r.cost, r.price, r.qhigh if pd.isna(r.opened)
                                                                              else math.nan) if x > 0), axis=1)
    keys: set[str] = set()

    def rows(mask: pd.Series, kind: str, rid: int) -> None:
        keys.update(f"{kind}:{rid}:{s}" for s in df.loc[mask.astype(bool), "symbol"])

    account_rules: dict[str, Callable[[dict[str, Any]], bool]] = {
        "total_position": lambda p: (total - acc.cash) / total * 100 > p["max_position_pct"],
        "daily_loss": lambda p: (day_start - total) / day_start * 100 > p["max_loss_pct"],
        "drawdown": lambda p: (peak - total) / peak * 100 > p["max_drawdown_pct"],
        "cash_floor": lambda p: acc.cash < p["min_cash"],
        "max_holdings": lambda p: len(df) > p["max_count"],
    }
    for rule in rules:
        p, kind, rid = rule.params, rule.kind, rule.id
        if kind in account_rules:
            if account_rules[kind](p):
                keys.add(f"{kind}:{rid}:default")
        elif kind == "single_weight":
            rows(df.apply(lambda r, p=p: r.weight > p["max_weight_pct"], axis=1), kind, rid)
        elif kind == "stop_loss":
            rows(df.apply(lambda r, p=p: -r.gain >= p["loss_pct"], axis=1), kind, rid)
        elif kind == "take_profit":
            rows(df.apply(lambda r, p=p: r.gain >= p["gain_pct"], axis=1), kind, rid)
        elif kind == "trailing_stop":
            rows(df.apply(lambda r, p=p: (r.high - r.used) / r.high * 100 >= p["trail_pct"], axis=1), kind, rid)
        elif kind == "strategy_position":
            by = df.dropna(subset=["strategy"]).groupby("strategy")["mv"].sum() / total * 100
            keys.update(f"{kind}:{rid}:{t}" for t, w in by.items() if w > p["max_position_pct"])
        elif kind == "limit_down":
            def at_down(r: pd.Series, p: dict[str, Any] = p) -> bool:
                if not (r.price > 0 and r.preclose > 0):
                    return False
                st = bool(st_mark(r["name"]))
                lp = limit_prices(r.preclose, r.symbol, r.qtime.date(), is_st=st)
                if lp is not None and st and r.price < float(lp.down) - 0.005:
                    lp = limit_prices(r.preclose, r.symbol, r.qtime.date(), is_st=False)
                if lp is None or r.price < float(lp.down) - 0.005:
                    return False
                return bool(r.price <= float(lp.down) * (1 + p["near_pct"] / 100) + 1e-9)
            rows(df.apply(at_down, axis=1), kind, rid)
        elif kind == "st_holding":
            rows(df.apply(lambda r: bool(st_mark(r["name"])), axis=1), kind, rid)
        elif kind == "suspended":
            rows(df.apply(lambda r: not r.price > 0, axis=1), kind, rid)
        elif kind == "board_permission":
            missing = ({Board.CHINEXT} if not acc.permissions.chinext else set()) | (
                {Board.STAR} if not acc.permissions.star else set())
            rows(df.apply(lambda r, m=missing: board_of(r.symbol) in m, axis=1), kind, rid)
    return keys


# ---- timing --------------------------------------------------------------------------------------------
def timed(fn: Callable[[], Any], reps: int) -> tuple[dict[str, float], Any]:
    out = fn()                                  # warm-up (imports, caches)
    xs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        xs.append(time.perf_counter() - t0)
    xs.sort()
    return {"median_ms": statistics.median(xs) * 1e3, "p95_ms": xs[max(0, int(len(xs) * 0.95) - 1)] * 1e3,
            "max_ms": xs[-1] * 1e3, "n": len(xs)}, out


def run_profile(name: str, profile: dict[str, Any], a: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix=f"jlq-bench-risk-{name}-") as tmp:
        svc, quotes = build_home(Path(tmp), a.positions, a.seed, profile)
        rules = svc.store.list_rules()
        acc, state = svc.accounts.load()
        engine = RiskEngine()

        def pure() -> Any:
            snap = value_account(acc, state, quotes, NOW)
            return engine.evaluate(snap, rules, quotes, NOW)

        out["service"], res = timed(lambda: svc.check(quotes, NOW), a.reps)
        out["engine"], pure_res = timed(pure, a.reps)
        out["naive"], naive_keys = timed(lambda: naive_check(svc, quotes), max(10, a.reps // 4))
    keys = {al.key for al in res.alerts}
    out["rules"] = len(rules)
    out["alerts"] = len(keys)
    out["breached_rules"] = sum(s.state == "breach" for s in res.statuses)
    out["alerts_by_rule"] = {k: sum(al.rule == k for al in res.alerts) for k in sorted({al.rule for al in res.alerts})}
    out["errors"] = [s.message for s in res.statuses if s.state == "error"]
    out["equivalent"] = keys == naive_keys == {al.key for al in pure_res.alerts}
    out["engine_only"], out["naive_only"] = sorted(keys - naive_keys)[:5], sorted(naive_keys - keys)[:5]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--positions", type=int, default=200, help="holdings in the account")
    ap.add_argument("--reps", type=int, default=200, help="timed repetitions of each pass")
    ap.add_argument("--seed", type=int, default=7, help="scenario seed")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    out: dict[str, Any] = {"machine": machine_info(pandas=pd.__version__, sqlite=sqlite3.sqlite_version),
                           "load_start": os.getloadavg()[0], "positions": a.positions}
    for name, profile in PROFILES.items():
        out[name] = run_profile(name, profile, a)
    out["load_end"] = os.getloadavg()[0]
    m = out["machine"]
    print(f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB, Python {m['python']}, pandas {m['pandas']}, "
          f"SQLite {m['sqlite']}, {m['os']}, {m['date']}; load average (1 min) start/end "
          f"{out['load_start']:.1f}/{out['load_end']:.1f}")
    failed = False
    for name in PROFILES:
        r = out[name]
        print(f"\n{name}: one risk pass, {a.positions} positions × {r['rules']} rules → {r['breached_rules']} rules "
              f"breached, {r['alerts']} alerts ({', '.join(f'{k} {v}' for k, v in r['alerts_by_rule'].items())}); "
              f"the naive pass raises the same alerts: {r['equivalent']}")
        print("| pass | median ms | p95 ms | max ms | n |\n|---|---:|---:|---:|---:|")
        for key, label in (("service", "`RiskService.check` (SQLite read + evaluate + state/status write)"),
                           ("engine", "pure engine (`value_account` + `RiskEngine.evaluate`)"),
                           ("naive", "naive pandas, row-wise `apply` per rule")):
            s = r[key]
            print(f"| {label} | {s['median_ms']:.2f} | {s['p95_ms']:.2f} | {s['max_ms']:.2f} | {s['n']} |")
        print(f"naive / engine (median): {r['naive']['median_ms'] / r['engine']['median_ms']:.1f}×; "
              f"naive / service: {r['naive']['median_ms'] / r['service']['median_ms']:.1f}×; "
              f"target ≤ 50 ms (service median): {'met' if r['service']['median_ms'] <= 50 else 'NOT met'}")
        if r["errors"] or not r["equivalent"]:
            failed = True
            print(f"FAIL {name}: errors {r['errors']}; engine-only keys {r['engine_only']}, "
                  f"naive-only keys {r['naive_only']}", file=sys.stderr)
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
