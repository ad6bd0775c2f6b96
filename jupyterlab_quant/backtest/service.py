"""Backtests as background jobs (回测任务): submit a spec, poll it, cancel it, read its result and report.

:class:`BacktestService` turns a request (REST body, CLI/magic spec) into a :class:`BacktestSpec`, records a
job in ``$JLQ_HOME/state/jobs.db`` and hands :func:`run_job` to Dask (:mod:`jupyterlab_quant.jobs`). The
strategy file is read at submit time: the spec carries ``strategy_source`` (plus the file name for
tracebacks), so workers need no access to the path and editing the file later does not change a queued job.

Results live in ``$JLQ_HOME/backtests/<id>/{result.json,report.html}`` (written atomically); the newest
``reports_keep`` finished jobs stay listed, older ones move to ``backtests/archive/<id>`` and are flagged
archived (still readable by id).

:func:`scan_strategies` lists strategy classes under a directory with ``ast`` only (no import, no execution).
"""

from __future__ import annotations

import ast
import json
import math
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..core.errors import InvalidInput, NotFound
from ..core.settings import Settings
from ..data.query import QueryService
from ..data.store import MarketStore
from ..jobs import JobNotReady, JobRecord, JobRunner, JobStore, Retention, current
from ..jobs.store import new_id
from .profiles import ProfileStore
from .spec import BacktestResult, BacktestSpec

KIND = "backtest"
MAX_SOURCE_BYTES = 1_000_000
SUMMARY_KEYS = ("final_value", "total_return", "annual_return", "sharpe", "max_drawdown", "trade_count")
_NUMBER_FIELDS = ("cash", "commission", "min_commission", "slippage", "volume_cap", "timeout_s")
_NULLABLE = ("commission", "min_commission", "slippage", "volume_cap", "benchmark", "strategy_class")
_STRING_FIELDS = ("strategy_file", "strategy_source", "strategy_class", "start", "end", "profile", "benchmark",
                  "label")
EXAMPLE = '{"strategy_file": "strategies/sma.py", "symbols": ["600519.SH"], "start": "2020-01-02", "end": "2020-12-31"}'


def _bad(message: str, hint: str = f"例如 {EXAMPLE}") -> InvalidInput:
    return InvalidInput(message, hint)


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def summarize(result: BacktestResult) -> dict[str, Any]:
    """The job's summary: headline numbers for the jobs list."""
    m = result.metrics or {}
    return {"final_value": _finite(result.final_value), "total_return": _finite(m.get("total_return")),
            "annual_return": _finite(m.get("annual_return")), "sharpe": _finite(m.get("sharpe")),
            "max_drawdown": _finite(m.get("max_drawdown")),
            "trade_count": int(m.get("trade_count", len(result.trades)) or 0)}


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve_strategy_file(path: str, root_dir: str | os.PathLike[str] | None) -> tuple[Path, str]:
    """``(absolute path, display name)`` of a strategy file. With ``root_dir`` (the Jupyter server root) the
    path is relative to it and must stay inside it."""
    if not path.strip():
        raise _bad("strategy_file 为空 (empty strategy_file)")
    if root_dir is None:
        p = Path(path).expanduser().resolve()
        name = str(p)
    else:
        root = Path(root_dir).expanduser().resolve()
        p = (root / path).resolve()
        if not p.is_relative_to(root):
            raise InvalidInput(f"策略文件必须位于 Jupyter 根目录内 (strategy_file must be inside the server root): "
                               f"{path}", "用相对于 Jupyter 文件浏览器根目录的路径，例如 strategies/sma.py")
        name = p.relative_to(root).as_posix()
    if p.suffix != ".py":
        raise InvalidInput(f"策略文件必须是 .py 文件 (strategy_file must be a .py file): {path}",
                           "选择包含 backtrader.Strategy 子类的 Python 文件")
    if not p.is_file():
        raise InvalidInput(f"找不到策略文件 (strategy file not found): {path}", "检查路径与文件名（区分大小写）")
    return p, name


def read_strategy(p: Path, name: str) -> str:
    if p.stat().st_size > MAX_SOURCE_BYTES:
        raise InvalidInput(f"策略文件过大 (strategy file too large, > 1 MB): {name}",
                           "把数据放在数据存储里，不要写进策略文件")
    try:
        return p.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise InvalidInput(f"无法读取策略文件 (cannot read strategy file) {name}: {exc}",
                           "请保存为 UTF-8 文本") from exc


def spec_from_request(body: Any, *, root_dir: str | os.PathLike[str] | None = None,
                      default_timeout_s: float = 600.0) -> BacktestSpec:
    """Validate a REST/CLI request body into a spec (strategy file read now). Raises InvalidInput."""
    if not isinstance(body, dict):
        raise _bad("请求体必须是 JSON 对象 (body must be a JSON object)")
    d = dict(body)
    syms = d.get("symbols")
    if isinstance(syms, str):
        syms = [s.strip() for s in syms.split(",") if s.strip()]
    if not isinstance(syms, list) or not syms or not all(isinstance(s, str) for s in syms):
        raise _bad("symbols 必须是非空的代码列表 (symbols must be a non-empty list of codes)")
    d["symbols"] = syms
    for k in ("start", "end"):
        if not isinstance(d.get(k), str) or not d[k]:
            raise _bad(f"缺少 {k} 日期 (missing {k}, YYYY-MM-DD)")
    for k in _STRING_FIELDS:
        v = d.get(k)
        if v is not None and not isinstance(v, str):
            raise _bad(f"{k} 必须是字符串 (must be a string): {v!r}")
        if v is None and k in d and k not in _NULLABLE:
            del d[k]
    for k in _NUMBER_FIELDS:
        v = d.get(k)
        if v is None:
            if k in d and k not in _NULLABLE:
                del d[k]
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _bad(f"{k} 必须是数字 (must be a number): {v!r}")
        d[k] = float(v)
    if "params" in d and d["params"] is not None and not isinstance(d["params"], dict):
        raise _bad('params 必须是对象 (params must be an object), 例如 {"fast": 5, "slow": 20}')
    if d.get("params") is None:
        d.pop("params", None)
    d.setdefault("timeout_s", float(default_timeout_s))
    src, file = d.get("strategy_source"), d.get("strategy_file")
    if src is not None and len(src.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise _bad("策略源码过大 (strategy source too large, > 1 MB)", "精简策略代码")
    if not src and file:
        p, name = resolve_strategy_file(file, root_dir)
        d["strategy_source"], d["strategy_file"] = read_strategy(p, name), name
    elif not src and not file:
        raise _bad("需要 strategy_file 或 strategy_source (no strategy given)")
    try:
        return BacktestSpec.from_dict(d)
    except (TypeError, ValueError) as exc:
        raise _bad(f"回测参数无效 (bad backtest request): {exc}") from exc


# ---- the Dask task ---------------------------------------------------------------------------------
_queries: dict[str, QueryService] = {}
_queries_lock = threading.Lock()


def _query_for(settings: Settings) -> QueryService:
    """One QueryService per data root per worker process (it notices store writes by manifest token)."""
    key = str(settings.home)
    with _queries_lock:
        q = _queries.get(key)
        if q is None:
            q = _queries[key] = QueryService(MarketStore(settings.store_dir, lock_timeout_s=settings.lock_timeout_s),
                                             hot_cache=settings.hot_cache)
        return q


def run_job(job_id: str, spec_dict: dict[str, Any], home: str) -> dict[str, Any]:
    """Runs in a Dask worker: the backtest of job ``job_id``, its result.json + report.html, its summary."""
    # Imported here so only worker processes load Backtrader; the server process never needs it.
    from .engine import run_spec
    from .report import render_html

    ctx = current()
    settings = Settings.from_env(home)
    spec = BacktestSpec.from_dict(spec_dict)
    result: BacktestResult = run_spec(spec, _query_for(settings), progress=ctx.progress,
                                      should_stop=ctx.should_stop, home=settings.home)
    out = settings.home / "backtests" / job_id
    write_atomic(out / "result.json", result.to_json())
    write_atomic(out / "report.html", render_html(result, lang="zh"))
    return {"summary": summarize(result), "result_path": str(out)}


# ---- the service -----------------------------------------------------------------------------------
class BacktestService:
    """Backtest jobs for one data root. Blocking calls: run them off the event loop."""

    def __init__(self, settings: Settings, query: QueryService | None = None, *,
                 runner: JobRunner | None = None) -> None:
        self.settings = settings
        self.query = query
        self.store = runner.store if runner is not None else JobStore(settings.home / "state" / "jobs.db")
        self.reports_dir = settings.home / "backtests"
        self.retention = Retention(KIND, settings.reports_keep, self.reports_dir / "archive")
        self.runner = runner or JobRunner(self.store, scheduler_address=settings.scheduler_address,
                                          n_workers=settings.backtest_workers)
        if self.runner.on_final is None:
            self.runner.on_final = self._on_final
        self.profiles = ProfileStore(settings.home)

    def _on_final(self, rec: JobRecord) -> None:
        if rec.kind == KIND:
            self.retention.apply(self.store)

    # ---- submit / read ----------------------------------------------------------------------------
    def submit(self, request: dict[str, Any] | BacktestSpec, *,
               root_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """Queue a backtest; returns the job (status ``queued``). Raises InvalidInput / NotFound early."""
        if isinstance(request, BacktestSpec):
            spec = request
            if spec.strategy_source is None and spec.strategy_file:
                p, name = resolve_strategy_file(spec.strategy_file, root_dir)
                spec = spec.with_overrides(strategy_source=read_strategy(p, name), strategy_file=name)
        else:
            spec = spec_from_request(request, root_dir=root_dir, default_timeout_s=self.settings.job_timeout_s)
        self.profiles.get(spec.profile)          # unknown profile → 404 now, not a failed job later
        if self.query is not None:
            for sym in spec.symbols:             # unknown symbol → 404 now
                self.query.resolve(sym)
        label = spec.label or _default_label(spec)
        job_id = new_id()
        rec = self.runner.submit(KIND, spec.to_dict(), run_job, (job_id, spec.to_dict(), str(self.settings.home)),
                                 label=label, timeout_s=spec.timeout_s, job_id=job_id)
        return rec.to_dict()

    def list(self, limit: int = 100, archived: bool | None = False, offset: int = 0) -> dict[str, Any]:
        """Newest first; ``archived``: False = listed jobs, True = archived only, None = both."""
        recs, total = self.store.listing(KIND, archived=archived, limit=max(1, limit), offset=max(0, offset))
        return {"jobs": [r.to_dict(spec_keys_out=("strategy_source",)) for r in recs], "total": total}

    def record(self, job_id: str) -> JobRecord:
        rec = self.store.get(job_id) if isinstance(job_id, str) else None
        if rec is None or rec.kind != KIND:
            raise NotFound(f"没有回测任务 {job_id} (no such backtest job)",
                           "用 GET /jupyterlab-quant/v1/backtests 查看任务列表")
        return rec

    def get(self, job_id: str) -> dict[str, Any]:
        return self.record(job_id).to_dict()

    def cancel(self, job_id: str) -> dict[str, Any]:
        self.record(job_id)
        rec = self.runner.cancel(job_id)
        assert rec is not None
        return rec.to_dict()

    def _result_file(self, job_id: str, name: str) -> Path:
        rec = self.record(job_id)
        if rec.status != "done":
            raise _not_ready(rec)
        for _ in range(2):  # retention may move the directory between reading the record and the file
            if rec.result_path and (Path(rec.result_path) / name).exists():
                return Path(rec.result_path) / name
            rec = self.record(job_id)
        raise NotFound(f"回测 {job_id} 的结果文件不见了 (result file missing): {name}", "重新运行该回测")

    def result_text(self, job_id: str) -> str:
        """The BacktestResult JSON text of a done job (JobNotReady otherwise)."""
        return self._result_file(job_id, "result.json").read_text(encoding="utf-8")

    def result(self, job_id: str) -> dict[str, Any]:
        return dict(json.loads(self.result_text(job_id)))

    def report_html(self, job_id: str, lang: str = "zh") -> str:
        """The self-contained HTML report (written by the worker; other languages rendered on demand)."""
        if lang == "zh":
            rec = self.record(job_id)
            if rec.status == "done" and rec.result_path and (Path(rec.result_path) / "report.html").exists():
                try:
                    return (Path(rec.result_path) / "report.html").read_text(encoding="utf-8")
                except FileNotFoundError:
                    pass
        from .report import render_html

        path = self._result_file(job_id, "result.json")
        html = render_html(BacktestResult.from_dict(json.loads(path.read_text(encoding="utf-8"))), lang=lang)
        if lang == "zh":
            write_atomic(path.parent / "report.html", html)
        return html

    def profiles_list(self) -> dict[str, Any]:
        return {"profiles": [p.to_dict() for p in self.profiles.list()]}

    def close(self) -> None:
        self.runner.close()


def _default_label(spec: BacktestSpec) -> str:
    name = spec.strategy_class or (Path(spec.strategy_file).stem if spec.strategy_file else "strategy")
    syms = ",".join(spec.symbols[:3]) + (f" +{len(spec.symbols) - 3}" if len(spec.symbols) > 3 else "")
    return f"{name} {syms} {spec.start:%Y%m%d}-{spec.end:%Y%m%d}"


def _not_ready(rec: JobRecord) -> JobNotReady:
    if rec.status in ("queued", "running"):
        return JobNotReady(f"回测尚未完成 (backtest not finished: {rec.status} {rec.progress:.0%})",
                           "稍后再试；轮询 GET /jupyterlab-quant/v1/backtests/<id> 直到 status 为 done")
    if rec.status == "cancelled":
        return JobNotReady("回测已取消，没有结果 (backtest was cancelled)", "重新提交该回测")
    msg = (rec.error or {}).get("message", "")
    return JobNotReady(f"回测失败，没有结果 (backtest failed): {msg}", "查看任务的 error 与 traceback，修正后重新提交")


# ---- strategy discovery (ast only) ------------------------------------------------------------------
SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", "site-packages", ".ipynb_checkpoints"}


def _iter_py_files(root: Path, max_depth: int, max_files: int) -> Iterator[Path]:
    n = 0
    for dirpath, dirnames, filenames in os.walk(root):
        depth = len(Path(dirpath).relative_to(root).parts)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS
                             and depth < max_depth)
        for f in sorted(filenames):
            if f.endswith(".py") and not f.startswith("."):
                yield Path(dirpath) / f
                n += 1
                if n >= max_files:
                    return


def _jsonable(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    return repr(v)


def _literal_params(node: ast.ClassDef) -> dict[str, Any]:
    for stmt in node.body:
        if isinstance(stmt, ast.Assign):
            targets, expr = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, expr = [stmt.target], stmt.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == "params" for t in targets):
            continue
        try:
            value = ast.literal_eval(expr)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return {}
        if isinstance(value, dict):
            return {str(k): _jsonable(v) for k, v in value.items()}
        if isinstance(value, (tuple, list)):
            out: dict[str, Any] = {}
            for item in value:
                if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
                    out[item[0]] = _jsonable(item[1])
                elif isinstance(item, str):
                    out[item] = None
            return out
    return {}


def _base_name(b: ast.expr) -> str:
    if isinstance(b, ast.Name):
        return b.id
    if isinstance(b, ast.Attribute):
        return b.attr
    return ""


def strategies_in_source(source: str) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Classes deriving (directly, or via a class of the same file) from a base named ``*Strategy``,
    and their literal ``params`` (a base's params first, like Backtrader merges them)."""
    tree = ast.parse(source)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    found: dict[str, ast.ClassDef] = {}
    changed = True
    while changed:
        changed = False
        for c in classes:
            if c.name in found:
                continue
            if any(_base_name(b).endswith("Strategy") or _base_name(b) in found for b in c.bases):
                found[c.name] = c
                changed = True
    params: dict[str, dict[str, Any]] = {}

    def merged(c: ast.ClassDef, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for b in c.bases:
            name = _base_name(b)
            if name in found and name not in seen and name != c.name:
                out.update(merged(found[name], seen | {c.name}))
        out.update(_literal_params(c))
        return out

    names = [c.name for c in classes if c.name in found]
    for n in names:
        params[n] = merged(found[n])
    return names, params


def scan_strategies(root_dir: str | os.PathLike[str], max_depth: int = 3, max_files: int = 500) -> dict[str, Any]:
    """``{strategies: [{path, classes, params}]}`` for .py files under ``root_dir`` (never imported)."""
    root = Path(root_dir).expanduser().resolve()
    out = []
    for p in _iter_py_files(root, max_depth, max_files):
        try:
            if p.stat().st_size > MAX_SOURCE_BYTES:
                continue
            names, params = strategies_in_source(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            continue
        if names:
            out.append({"path": p.relative_to(root).as_posix(), "classes": names, "params": params})
    return {"strategies": out}
