"""Vault benchmark: save/load of a 50 KB strategy and master-key rotation over 10,000 items.

* **save / load**: a 50 KB strategy (real Python text: the SMA-cross strategy of ``bench_backtest``
  padded with distinct helper functions) saved as a new version ``--saves`` times (each save differs by one
  line, so each writes a version: envelope encryption + one SQLite transaction in WAL mode with
  ``synchronous=FULL``) and loaded ``--loads`` times (unwrap + decrypt); medians, p95 and max. Measured
  through ``StrategyVault`` without and with the audit log (``AuditLog``, one hash-chained record per call).
* **rotation**: ``--versions`` strategy versions (``--version-kb`` each) plus ``--records`` trade records,
  each record added by its own ``add`` call so each has its own data key (the worst case: one re-wrap
  per record) — 10,000 data keys by default. Timed: ``rotate_master_key`` with a new passphrase (two
  scrypt derivations included), then checked: every content/field ciphertext byte-identical, every
  wrapped key changed, every item readable with the new key, the old passphrase rejected.

    .venv/bin/python benchmarks/bench_vault.py [--saves 300] [--loads 300] [--versions 5000] [--records 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import cryptography  # noqa: E402
from _scale import machine_info  # noqa: E402
from bench_backtest import STRATEGY  # noqa: E402

from jupyterlab_quant.vault import keys as keys_mod  # noqa: E402
from jupyterlab_quant.vault.audit import AuditLog  # noqa: E402
from jupyterlab_quant.vault.errors import WrongKey  # noqa: E402
from jupyterlab_quant.vault.keys import KeyManager  # noqa: E402
from jupyterlab_quant.vault.records import TradeRecord, TradeRecords  # noqa: E402
from jupyterlab_quant.vault.strategies import StrategyVault, rotate_master_key  # noqa: E402

PP = "benchmark passphrase — 基准测试"
NEW_PP = "the rotated benchmark passphrase"


def strategy_source(kb: int) -> str:
    parts = [STRATEGY]
    i = 0
    while sum(len(p.encode()) for p in parts) < kb * 1024:
        parts.append(f'\n\ndef helper_{i}(prices, window={5 + i % 40}):\n'
                     f'    """Rolling signal {i} (滚动信号)."""\n'
                     f'    out = []\n    for k in range(window, len(prices)):\n'
                     f'        out.append(sum(prices[k - window:k]) / window * {1 + i / 1000:.3f})\n'
                     '    return out\n')
        i += 1
    return "".join(parts)[: kb * 1024]


def stats(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {"median_ms": statistics.median(xs) * 1e3, "p95_ms": xs[int(len(xs) * 0.95) - 1] * 1e3,
            "max_ms": xs[-1] * 1e3, "n": len(xs)}


def bench_save_load(root: Path, saves: int, loads: int, audit: bool, synchronous: str = "FULL") -> dict[str, Any]:
    home = root / f"{'audit' if audit else 'plain'}-{synchronous}"
    KeyManager(home).init(PP)
    sv = StrategyVault(home, audit=AuditLog.for_home(home) if audit else None)
    sv.db.con().execute(f"PRAGMA synchronous={synchronous}")   # the product uses FULL (fsync per commit)
    base = strategy_source(50)
    size = len(base.encode())
    t_save, t_load = [], []
    for i in range(saves):
        src = f"{base}\n# revision {i}\n"
        t0 = time.perf_counter()
        v = sv.save("big_strategy", src, f"rev {i}")
        t_save.append(time.perf_counter() - t0)
        assert v.version == i + 1
    for _ in range(loads):
        t0 = time.perf_counter()
        got = sv.get("big_strategy")
        t_load.append(time.perf_counter() - t0)
    assert got.endswith(f"# revision {saves - 1}\n")
    sv.close()
    return {"bytes": size, "save": stats(t_save), "load": stats(t_load)}


def bench_rotation(root: Path, versions: int, version_kb: int, records: int) -> dict[str, Any]:
    home = root / "rotation"
    km = KeyManager(home)
    km.init(PP)
    sv = StrategyVault(home, keys=km)
    tr = TradeRecords(home, keys=km)
    t0 = time.perf_counter()
    body = strategy_source(version_kb)
    per = 100
    for i in range(versions):
        sv.save(f"s{i // per:03d}", f"{body}\n# v{i}\n")
    for i in range(records):
        tr.add([TradeRecord("main", "600519.SH", "buy" if i % 2 else "sell", f"2024-01-{1 + i % 28:02d} 10:00:00",
                            1700 + i / 100, 100 * (1 + i % 9), fee=5 + i % 3, id=f"r{i:05d}")])
    setup_s = time.perf_counter() - t0
    db = home / "vault" / "vault.db"
    con = sqlite3.connect(db)

    def snapshot() -> tuple[dict[Any, Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]:
        return (dict(((n, v), b) for n, v, b in con.execute("SELECT name, version, blob FROM strategy_versions")),
                dict(((n, v), w) for n, v, w in con.execute(
                    "SELECT name, version, wrapped_key FROM strategy_versions")),
                {r[0]: r[1:] for r in con.execute("SELECT id, price, quantity, amount, fee FROM trade_records")},
                dict(con.execute("SELECT batch, wrapped_key FROM trade_batches")))

    blobs0, wrapped0, fields0, bwrapped0 = snapshot()
    db_mb = sum(p.stat().st_size for p in db.parent.iterdir() if p.name.startswith("vault.db")) / 2**20
    t0 = time.perf_counter()
    res = rotate_master_key(km, NEW_PP, passphrase=PP)
    rotate_s = time.perf_counter() - t0
    blobs1, wrapped1, fields1, bwrapped1 = snapshot()
    con.close()
    assert res.rewrapped == versions + records
    assert blobs1 == blobs0 and fields1 == fields0, "content must not be re-encrypted"
    assert all(wrapped1[k] != wrapped0[k] for k in wrapped0) and all(bwrapped1[k] != bwrapped0[k] for k in bwrapped0)
    keys_mod.forget_cached_keys()
    fresh = KeyManager(home)
    try:
        fresh.unlock(PP)
        raise AssertionError("old passphrase still accepted")
    except WrongKey:
        pass
    fresh.unlock(NEW_PP)
    t0 = time.perf_counter()
    sv2, tr2 = StrategyVault(home, keys=fresh), TradeRecords(home, keys=fresh)
    n_read = sum(1 for s in sv2.list() for v in sv2.versions(s.name) if sv2.get(s.name, v.version))
    rows = tr2.query()
    verify_s = time.perf_counter() - t0
    assert n_read == versions and len(rows) == records
    t0 = time.perf_counter()
    keys_mod.derive(PP, b"0123456789abcdef")
    scrypt_s = time.perf_counter() - t0
    return {"versions": versions, "version_kb": version_kb, "records": records, "data_keys": res.rewrapped,
            "db_mib": round(db_mb, 1), "setup_s": setup_s, "rotate_s": rotate_s, "per_key_us":
            (rotate_s - 2 * scrypt_s) / res.rewrapped * 1e6, "scrypt_s": scrypt_s, "read_all_s": verify_s}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--saves", type=int, default=300)
    ap.add_argument("--loads", type=int, default=300)
    ap.add_argument("--versions", type=int, default=5000)
    ap.add_argument("--version-kb", type=int, default=5)
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    os.environ.pop("JLQ_VAULT_PASSPHRASE", None)
    os.environ.pop("JLQ_VAULT_PASSPHRASE_FILE", None)
    out: dict[str, Any] = {"machine": machine_info(cryptography=cryptography.__version__,
                                                   sqlite=sqlite3.sqlite_version), "load_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="jlq-bench-vault-") as tmp:
        root = Path(tmp)
        out["save_load"] = bench_save_load(root, a.saves, a.loads, audit=False)
        out["save_load_audit"] = bench_save_load(root, a.saves, a.loads, audit=True)
        out["save_load_normal"] = bench_save_load(root, a.saves, a.loads, audit=False, synchronous="NORMAL")
        out["rotation"] = bench_rotation(root, a.versions, a.version_kb, a.records)
    out["load_end"] = os.getloadavg()[0]
    m = out["machine"]
    print(f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB, Python {m['python']}, "
          f"cryptography {m['cryptography']}, SQLite {m['sqlite']}, {m['os']}, {m['date']}; "
          f"load average (1 min) start/end {out['load_start']:.1f}/{out['load_end']:.1f}")
    for key, label in (("save_load", "no audit"), ("save_load_audit", "with audit log"),
                       ("save_load_normal", "no audit, synchronous=NORMAL for comparison")):
        r = out[key]
        for op in ("save", "load"):
            s = r[op]
            print(f"{op} {r['bytes']} B ({label}): median {s['median_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms, "
                  f"max {s['max_ms']:.2f} ms (n={s['n']})")
    r = out["rotation"]
    print(f"rotation: {r['data_keys']} data keys ({r['versions']} versions × {r['version_kb']} KB + "
          f"{r['records']} single-record batches; vault.db {r['db_mib']} MiB) in {r['rotate_s']:.2f} s "
          f"(scrypt {r['scrypt_s'] * 1e3:.0f} ms × 2 included; ≈{r['per_key_us']:.0f} µs per key); "
          f"setup {r['setup_s']:.1f} s; reading everything back {r['read_all_s']:.2f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
