"""The audit log (审计日志): real SQLite, real processes; tampering done the way a user with sqlite3 would."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jupyterlab_quant.cli import main as jlq_main
from jupyterlab_quant.core.errors import InvalidInput
from jupyterlab_quant.vault.audit import GENESIS, AuditLog, record_hash


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def tamper(db: Path, sql: str, *args: object) -> None:
    """What someone with the sqlite3 shell does: drop the guards, change rows."""
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER IF EXISTS audit_no_update")
    con.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    con.execute(sql, args)
    con.commit()
    con.close()


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    a = AuditLog(tmp_path / "state" / "audit.db")
    for i in range(10):
        a.append("strategy.write", f"策略{i % 3}", {"version": i, "message": "均线 MA cross"}, ip="127.0.0.1")
    return a


def test_records_are_chained_and_verify_ok(log: AuditLog) -> None:
    recs = sorted(log.list(limit=100), key=lambda r: r.seq)
    assert [r.seq for r in recs] == list(range(1, 11))
    assert recs[0].prev_hash == GENESIS
    for a, b in itertools.pairwise(recs):
        assert b.prev_hash == a.hash
    assert recs[3].detail == {"message": "均线 MA cross", "version": 3}
    assert recs[3].detail_json == '{"message":"均线 MA cross","version":3}'  # canonical, not \\u-escaped
    assert recs[3].hash == record_hash(4, recs[3].ts, "local", "127.0.0.1", "strategy.write", "策略0",
                                       recs[3].detail_json, recs[2].hash)
    rep = log.verify()
    assert rep.ok and rep.checked == 10 and rep.head_seq == 10 and rep.head_hash == recs[-1].hash
    assert recs[-1].hash in rep.summary()


def test_list_filters(log: AuditLog) -> None:
    log.append("login.failed", "web", {"user": "x"}, ip="10.0.0.9")
    log.append("login", "web", ip="10.0.0.9")
    assert [r.action for r in log.list(action="login")] == ["login", "login.failed"]
    assert [r.action for r in log.list(action="login.failed")] == ["login.failed"]
    assert len(log.list(limit=3)) == 3
    assert log.list(since="2999-01-01") == []
    assert len(log.list(since=dt.date(2000, 1, 1))) == 12
    with pytest.raises(InvalidInput):
        log.list(since="yesterday")
    with pytest.raises(InvalidInput):
        log.append("DROP TABLE", "x")


def test_append_only_triggers_refuse_honest_updates(log: AuditLog) -> None:
    con = sqlite3.connect(log.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit SET target = 'x' WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM audit WHERE seq = 3")
    con.close()


def test_verify_catches_an_edited_record(log: AuditLog) -> None:
    tamper(log.path, "UPDATE audit SET detail = ? WHERE seq = 4", json.dumps({"version": 99}))
    rep = log.verify()
    assert not rep.ok and rep.problem is not None
    assert (rep.problem.seq, rep.problem.kind) == (4, "edited")
    assert "seq 4" in rep.summary() and "edited" in rep.summary()


def test_verify_catches_an_edit_with_a_recomputed_hash(log: AuditLog) -> None:
    """Re-hashing the edited record is not enough: the next record's prev_hash no longer links."""
    r = next(x for x in log.list() if x.seq == 4)
    new_hash = record_hash(4, r.ts, r.actor, r.ip, r.action, "other", r.detail_json, r.prev_hash)
    tamper(log.path, "UPDATE audit SET target = 'other', hash = ? WHERE seq = 4", new_hash)
    rep = log.verify()
    assert not rep.ok and rep.problem is not None and (rep.problem.seq, rep.problem.kind) == (5, "deleted")


def test_verify_catches_a_deleted_middle_record(log: AuditLog) -> None:
    tamper(log.path, "DELETE FROM audit WHERE seq = 6")
    rep = log.verify()
    assert not rep.ok and rep.problem is not None
    assert (rep.problem.seq, rep.problem.kind) == (6, "deleted")


def test_verify_catches_a_deleted_middle_record_with_renumbering(log: AuditLog) -> None:
    tamper(log.path, "DELETE FROM audit WHERE seq = 6")
    tamper(log.path, "UPDATE audit SET seq = seq - 1 WHERE seq > 6")
    rep = log.verify()
    assert not rep.ok and rep.problem is not None and rep.problem.seq == 6


def test_verify_catches_deleted_newest_records(log: AuditLog) -> None:
    tamper(log.path, "DELETE FROM audit WHERE seq >= 9")
    rep = log.verify()
    assert not rep.ok and rep.problem is not None
    assert (rep.problem.seq, rep.problem.kind) == (9, "truncated")
    assert "9–10" in rep.problem.message


def test_verify_catches_a_deleted_anchor(log: AuditLog) -> None:
    tamper(log.path, "DELETE FROM audit_anchor")
    assert not log.verify().ok
    assert not AuditLog(log.path).verify().ok  # re-created empty anchor does not match the chain


def test_user_noted_anchor_detects_a_whole_chain_rewrite(log: AuditLog) -> None:
    seq, h = log.head()
    assert log.verify(anchor=(seq, h)).ok
    # rewrite everything consistently (records and anchor) from seq 1 on: only the external anchor sees it
    recs = sorted(log.list(), key=lambda r: r.seq)
    prev = GENESIS
    con = sqlite3.connect(log.path)
    con.execute("DROP TRIGGER audit_no_update")
    for r in recs:
        nh = record_hash(r.seq, r.ts, r.actor, r.ip, r.action, "rewritten", r.detail_json, prev)
        con.execute("UPDATE audit SET target = 'rewritten', prev_hash = ?, hash = ? WHERE seq = ?", (prev, nh, r.seq))
        prev = nh
    con.execute("UPDATE audit_anchor SET head_hash = ?", (prev,))
    con.commit()
    con.close()
    assert log.verify().ok  # the documented limit
    rep = log.verify(anchor=(seq, h))
    assert not rep.ok and rep.problem is not None and rep.problem.seq == seq


def test_concurrent_appends_from_four_processes_keep_a_valid_chain(tmp_path: Path) -> None:
    db = tmp_path / "state" / "audit.db"
    AuditLog(db)
    code = textwrap.dedent(f"""
        import sys
        from jupyterlab_quant.vault.audit import AuditLog
        log = AuditLog({str(db)!r})
        for i in range(50):
            log.append("strategy.read", "p" + sys.argv[1], {{"i": i}})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(n)]) for n in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    log = AuditLog(db)
    rep = log.verify()
    assert rep.ok, rep.summary()
    assert rep.checked == 200 and rep.head_seq == 200
    assert {r.target for r in log.list(limit=1000)} == {"p0", "p1", "p2", "p3"}


def test_archive_moves_old_records_and_keeps_the_chain(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2018, 12, 31, 23, 59, 50, tzinfo=dt.UTC))
    log = AuditLog(tmp_path / "state" / "audit.db", clock=clock)
    for i in range(30):  # 2018-12-31 … 2019-01-01, then jump years
        log.append("settings.change", "theme", {"i": i})
        if i == 19:
            clock.now = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    clock.now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    res = log.archive()  # 5 years: everything before 2020-01-02 moves
    assert res.moved == 20 and res.through_seq == 20
    assert res.files == ["audit-2018.db", "audit-2019.db"]
    assert [p.name for p in log.archive_files()] == ["audit-2018.db", "audit-2019.db"]
    assert min(r.seq for r in log.list(limit=1000)) == 21  # live keeps the young tail (+ audit.archive record)
    assert len(log.list(limit=1000, include_archive=True)) == 31
    rep = log.verify()
    assert rep.ok, rep.summary()
    assert rep.checked == 31 and rep.archives == ["audit-2018.db", "audit-2019.db"]
    assert log.list(limit=1)[0].action == "audit.archive"
    assert log.archive().moved == 0  # idempotent

    # a deleted archive file is a deletion, not silently accepted
    (log.archive_dir / "audit-2019.db").rename(tmp_path / "gone.db")
    rep = log.verify()
    assert not rep.ok and rep.problem is not None and rep.problem.kind == "deleted"
    assert "archives" in rep.problem.message


def test_interrupted_archive_is_accepted_and_completed(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2010, 1, 1, tzinfo=dt.UTC))
    log = AuditLog(tmp_path / "state" / "audit.db", clock=clock)
    for _ in range(5):
        log.append("login", "web")
    # simulate a crash after the copy into the archive, before the live delete
    log.archive_dir.mkdir()
    src = sqlite3.connect(log.path)
    rows = src.execute("SELECT * FROM audit WHERE seq <= 3").fetchall()
    src.close()
    arc = sqlite3.connect(log.archive_dir / "audit-2010.db")
    arc.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY, ts TEXT, actor TEXT, ip TEXT, action TEXT, "
                "target TEXT, detail TEXT, prev_hash TEXT, hash TEXT)")
    arc.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    arc.commit()
    arc.close()
    assert log.verify().ok
    clock.now = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert log.archive().moved == 5
    assert log.verify().ok


def test_cli_audit_list_and_verify_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    log = AuditLog.for_home(home)
    log.append("key.rotate", "master", {"items": 3})
    log.append("login.failed", "web", ip="192.168.1.5")
    assert jlq_main(["--home", str(home), "audit", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["action"] for r in rows] == ["login.failed", "key.rotate"] and rows[1]["detail"] == {"items": 3}
    assert jlq_main(["--home", str(home), "audit", "list", "--action", "login", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("seq,ts,actor") and len(out) == 2 and "192.168.1.5" in out[1]
    assert jlq_main(["--home", str(home), "audit", "verify"]) == 0
    assert log.head()[1] in capsys.readouterr().out
    seq, h = log.head()
    assert jlq_main(["--home", str(home), "audit", "verify", "--anchor", f"{seq}:{h}"]) == 0
    tamper(log.path, "UPDATE audit SET ip = '1.2.3.4' WHERE seq = 2")
    assert jlq_main(["--home", str(home), "audit", "verify"]) == 7
    err = capsys.readouterr()
    assert "seq 2" in err.out + err.err and "edited" in err.out + err.err
    assert jlq_main(["--home", str(home), "audit", "list", "--since", "not-a-date"]) == 2
    assert jlq_main(["--home", str(home), "audit", "archive"]) == 0
