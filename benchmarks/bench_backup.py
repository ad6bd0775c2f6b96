"""Backup and audit-log benchmark.

Backup: a data root holding 1,000 strategy versions saved through the product's ``StrategyVault``
(passphrase mode; 50 strategies × 20 versions, ≈5 KB of Python source each, so ≈5 MB of encrypted
blobs in ``vault/vault.db``), plus a jobs DB and the audit log the saves wrote. Timed, median of
``--reps``: ``backup.create`` (AES-256 zip), ``backup.verify``, ``backup.restore`` into a fresh home,
``backup.restore --force`` over an existing home, and reading every restored version back (decrypt),
which is asserted identical to what was saved.

Audit log: single-process append rate, 4 processes appending concurrently, ``verify`` of the chain.

    .venv/bin/python benchmarks/bench_backup.py [--reps 5] [--versions 1000] [--readme/--no-readme]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pyzipper  # noqa: E402
from _scale import machine_info  # noqa: E402

from jupyterlab_quant.vault import backup  # noqa: E402
from jupyterlab_quant.vault import keys as keys_mod  # noqa: E402
from jupyterlab_quant.vault.audit import AuditLog  # noqa: E402
from jupyterlab_quant.vault.keys import KeyManager  # noqa: E402
from jupyterlab_quant.vault.strategies import StrategyVault  # noqa: E402

README = ROOT / "benchmarks" / "README.md"
BEGIN, END = "<!-- BEGIN BACKUP RESULTS -->", "<!-- END BACKUP RESULTS -->"
VAULT_PP = "benchmark vault passphrase"
BACKUP_PW = "benchmark backup password"


def strategy_source(rng: random.Random, name: str, version: int, size: int = 5000) -> str:
    head = (f'"""{name} v{version}: 双均线 + 成交量过滤 (SMA cross with a volume filter)."""\n'
            "import backtrader as bt\n\n\nclass Strategy(bt.Strategy):\n"
            f"    params = dict(fast={rng.randint(3, 20)}, slow={rng.randint(20, 120)}, vol_k={rng.random():.3f})\n\n"
            "    def __init__(self):\n        self.fast = bt.ind.SMA(period=self.p.fast)\n"
            "        self.slow = bt.ind.SMA(period=self.p.slow)\n\n    def next(self):\n")
    body = []
    while len(head) + sum(len(x) for x in body) < size:
        i = len(body)
        body.append(f"        if self.fast[0] > self.slow[0] * {1 + rng.random() / 100:.5f}:  "
                    f"# 条件 {i}: 金叉确认 {rng.getrandbits(64):016x}\n            self.signal_{i} = True\n")
    return head + "".join(body)


def build_home(home: Path, n_versions: int, seed: int = 7) -> dict[tuple[str, int], str]:
    rng = random.Random(seed)
    keys_mod.forget_cached_keys()
    KeyManager(home).init(VAULT_PP, mode="passphrase")
    sv = StrategyVault(home, audit=AuditLog.for_home(home))
    n_strat = max(1, n_versions // 20)
    saved: dict[tuple[str, int], str] = {}
    try:
        for v in range(n_versions):
            name = f"strategy_{v % n_strat:03d}"
            src = strategy_source(rng, name, v // n_strat + 1)
            saved[(name, sv.save(name, src, f"第 {v // n_strat + 1} 版").version)] = src
    finally:
        sv.close()
    jobs = home / "state" / "jobs.db"
    con = sqlite3.connect(jobs)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, spec TEXT, summary TEXT)")
    con.executemany("INSERT INTO jobs VALUES (?, ?, ?)",
                    [(f"job{i:05d}", json.dumps({"symbol": "600519.SH", "fast": i % 30}),
                      json.dumps({"sharpe": rng.random(), "total_return": rng.random()})) for i in range(500)])
    con.commit()
    con.close()
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "broker_profiles.json").write_text('{"default": {"commission": 0.00025}}')
    return saved


def read_back(home: Path, saved: dict[tuple[str, int], str]) -> float:
    keys_mod.forget_cached_keys()
    KeyManager(home).unlock(VAULT_PP)
    sv = StrategyVault(home)
    t0 = time.perf_counter()
    try:
        for (name, version), src in saved.items():
            if sv.get(name, version) != src:
                raise SystemExit(f"restored {name} v{version} differs from what was saved")
    finally:
        sv.close()
    return time.perf_counter() - t0


def median_ms(xs: list[float]) -> float:
    return round(statistics.median(xs) * 1000, 1)


def bench_backup(n_versions: int, reps: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="jlq-bench-backup-"))
    try:
        home = work / "home"
        t0 = time.perf_counter()
        saved = build_home(home, n_versions)
        build_s = time.perf_counter() - t0
        vault_bytes = (home / "vault" / "vault.db").stat().st_size
        times: dict[str, list[float]] = {k: [] for k in ("create", "verify", "restore_fresh", "restore_force",
                                                         "read_back", "7z_test")}
        info = None
        seven = shutil.which("7z")
        for r in range(reps):
            out = work / f"b{r}.zip"
            t0 = time.perf_counter()
            info = backup.create(home, out, BACKUP_PW)
            times["create"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            backup.verify(out, BACKUP_PW)
            times["verify"].append(time.perf_counter() - t0)
            fresh = work / f"fresh{r}"
            t0 = time.perf_counter()
            backup.restore(out, fresh, BACKUP_PW)
            times["restore_fresh"].append(time.perf_counter() - t0)
            times["read_back"].append(read_back(fresh, saved))
            keys_mod.forget_cached_keys()
            KeyManager(fresh).unlock(VAULT_PP)
            sv = StrategyVault(fresh)
            sv.save("strategy_000", "# saved after the backup\n", "newer than the backup")
            sv.close()
            t0 = time.perf_counter()
            backup.restore(out, fresh, BACKUP_PW, force=True)
            times["restore_force"].append(time.perf_counter() - t0)
            if seven:
                t0 = time.perf_counter()
                subprocess.run([seven, "t", f"-p{BACKUP_PW}", str(out)], check=True, capture_output=True)
                times["7z_test"].append(time.perf_counter() - t0)
            shutil.rmtree(fresh)
            if r:
                out.unlink()
        assert info is not None
        return {"versions": n_versions, "strategies": len({k[0] for k in saved}), "build_s": round(build_s, 1),
                "vault_mb": round(vault_bytes / 1e6, 2), "files": len(info.files),
                "payload_mb": round(info.total_bytes / 1e6, 2), "zip_mb": round(info.zip_bytes / 1e6, 2),
                "reps": reps, **{f"{k}_ms": median_ms(v) for k, v in times.items() if v}}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        keys_mod.forget_cached_keys()


def bench_audit(n: int = 10_000, procs: int = 4, per_proc: int = 500) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="jlq-bench-audit-"))
    try:
        log = AuditLog(work / "audit.db")
        t0 = time.perf_counter()
        for i in range(n):
            log.append("strategy.read", f"strategy:s{i % 50}", {"version": i % 20})
        append_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        rep = log.verify()
        verify_s = time.perf_counter() - t0
        assert rep.ok and rep.checked == n
        code = ("import sys\nfrom jupyterlab_quant.vault.audit import AuditLog\n"
                f"log = AuditLog({str(work / 'c.db')!r})\n"
                f"for i in range({per_proc}):\n    log.append('login', 'p' + sys.argv[1], {{'i': i}})\n")
        AuditLog(work / "c.db")
        t0 = time.perf_counter()
        ps = [subprocess.Popen([sys.executable, "-c", code, str(k)], cwd=ROOT) for k in range(procs)]
        if any(p.wait() for p in ps):
            raise SystemExit("concurrent audit append failed")
        conc_s = time.perf_counter() - t0
        rep2 = AuditLog(work / "c.db").verify()
        assert rep2.ok and rep2.checked == procs * per_proc
        return {"n": n, "append_us": round(append_s / n * 1e6, 1), "append_per_s": round(n / append_s),
                "verify_ms": round(verify_s * 1000, 1), "procs": procs, "per_proc": per_proc,
                "concurrent_s": round(conc_s, 2), "concurrent_per_s": round(procs * per_proc / conc_s)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def render(b: dict[str, Any], a: dict[str, Any], m: dict[str, Any]) -> str:
    seven = f"{b['7z_test_ms']} ms" if "7z_test_ms" in b else "7z not installed"
    return "\n".join([
        BEGIN,
        f"Machine: {m['nproc']} cores, {m['cpu']}, {m['ram_gib']} GiB, Python {m['python']}, "
        f"pyzipper {m['pyzipper']}, SQLite {m['sqlite']}, {m['date']}.",
        "",
        f"Home: {b['versions']} strategy versions ({b['strategies']} strategies × "
        f"{b['versions'] // b['strategies']}, ≈5 KB source each) saved through `StrategyVault` "
        f"(`vault/vault.db` {b['vault_mb']} MB, built in {b['build_s']} s), a 500-row jobs DB, the audit log, "
        f"settings — {b['files']} files, {b['payload_mb']} MB; the zip is {b['zip_mb']} MB (encrypted blobs do "
        f"not compress). Median of {b['reps']} runs:",
        "",
        "| step | time | target |",
        "|---|---|---|",
        f"| `backup.create` (SQLite snapshots, sha256, AES-256 zip, atomic rename, audit record) | "
        f"{b['create_ms']} ms | — |",
        f"| `backup.verify` (password, every entry's HMAC + sha256) | {b['verify_ms']} ms | — |",
        f"| `backup.restore` into a fresh home | {b['restore_fresh_ms']} ms | — |",
        f"| `backup.restore --force` over that home after one more save (checkpoint, staging, per-file swap) | "
        f"{b['restore_force_ms']} ms | — |",
        f"| read back + decrypt all {b['versions']} restored versions (asserted identical) | "
        f"{b['read_back_ms']} ms | — |",
        f"| `7z t -p…` (7-Zip tests the same zip) | {seven} | opens it |",
        "",
        f"Audit log (`AuditLog`, SQLite WAL, one `BEGIN IMMEDIATE` per append): {a['n']:,} appends in one "
        f"process {a['append_us']} µs each ({a['append_per_s']:,}/s); `verify` of the {a['n']:,}-record "
        f"chain {a['verify_ms']} ms; {a['procs']} processes × {a['per_proc']} appends concurrently "
        f"{a['concurrent_s']} s ({a['concurrent_per_s']:,}/s), chain verified intact afterwards.",
        END,
    ])


def write_readme(block: str) -> None:
    text = README.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--versions", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--readme", action=argparse.BooleanOptionalAction, default=True,
                    help="write the results between the BACKUP RESULTS markers of benchmarks/README.md")
    a = ap.parse_args()
    os.environ.pop("JLQ_VAULT_PASSPHRASE", None)
    b = bench_backup(a.versions, a.reps)
    au = bench_audit()
    m = machine_info(pyzipper=getattr(pyzipper, "__version__", "?"), sqlite=sqlite3.sqlite_version)
    print(json.dumps({"backup": b, "audit": au, "machine": m}, ensure_ascii=False, indent=1))
    block = render(b, au, m)
    print(block)
    if a.readme:
        write_readme(block)


if __name__ == "__main__":
    main()
