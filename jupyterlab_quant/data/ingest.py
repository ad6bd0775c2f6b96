"""Import pipeline for local files: parse (source adapter) → normalise → validate → write.

Every file is parsed and validated before anything is written, so one bad file leaves the store
unchanged. Valid files are then written in batches; each batch commits atomically and upserts are
idempotent, so an import killed midway leaves the store readable and re-running it completes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import ImportFormatError
from ..core.types import board_of, split_symbol
from .schema import BARS_1M, DAILY_BY_KIND, INSTRUMENTS, SAMPLE_FILES
from .sources.csv_files import ParsedFile, parse_csv
from .store import MarketStore, WriteResult

PRICE = ("open", "high", "low", "close")
OHLC_TOLERANCE = 0.005  # sources round; beyond 0.5 % an OHLC inconsistency is an error, not rounding
BATCH_FILES = 20


@dataclass
class ImportReport:
    files: int = 0
    rows: int = 0
    symbols: set[str] = field(default_factory=set)
    writes: list[WriteResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # imported, but the user should know (e.g. truncated)
    skipped: list[str] = field(default_factory=list)   # files not imported, with the reason

    @property
    def changed(self) -> bool:
        return any(w.changed for w in self.writes)

    def summary(self) -> str:
        written = sum(w.partitions_written for w in self.writes)
        same = sum(w.partitions_unchanged for w in self.writes)
        return (f"导入 {self.files} 个文件, {self.rows} 行, {len(self.symbols)} 个代码; "
                f"写入分区 {written}, 未变化分区 {same} "
                f"(imported {self.files} files, {self.rows} rows; partitions written {written}, unchanged {same})")


def _fail(pf: ParsedFile | str, line: int | None, fieldname: str, what: str, hint: str) -> ImportFormatError:
    path = pf.path if isinstance(pf, ParsedFile) else pf
    size = pf.record_size if isinstance(pf, ParsedFile) else 0
    if line and size:
        where = f"{path}: 第 {line} 条记录 (record {line}, byte offset {(line - 1) * size})"
    else:
        where = f"{path}: 第 {line} 行" if line else f"{path}"
    return ImportFormatError(f"{where} 字段 {fieldname}: {what}", hint, path=path, row=line, field=fieldname)


def normalise(pf: ParsedFile) -> tuple[str, pd.DataFrame]:
    """Typed canonical frame and the dataset it belongs to; raises on the first bad row."""
    df = pf.frame
    dates = pd.to_datetime(df["date"].astype(str).str.strip(), errors="coerce", format="mixed")
    bad = dates.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(pf, int(df["line"].iloc[i]), "date", f"日期无法解析 {df['date'].iloc[i]!r} (malformed date)",
                    "日期应为 YYYY-MM-DD；修正该行后重新导入")
    out = pd.DataFrame({"symbol": df["symbol"].astype(str)})
    num_cols = [c for c in ("open", "high", "low", "close", "volume", "amount", "preclose", "change", "turnover",
                            "settle", "open_interest", "trade_status") if c in df.columns]
    for c in num_cols:
        raw = df[c].astype(str).str.strip()
        raw = raw.where(~raw.isin(("", "None", "nan", "--")))
        vals = pd.to_numeric(raw, errors="coerce")
        badv = vals.isna() & raw.notna()
        if badv.any():
            i = int(np.flatnonzero(badv.to_numpy())[0])
            raise _fail(pf, int(df["line"].iloc[i]), c, f"不是数字 {df[c].iloc[i]!r} (not a number)",
                        "修正该行后重新导入")
        if c in (*PRICE, "volume") and vals.isna().any():
            i = int(np.flatnonzero(vals.isna().to_numpy())[0])
            raise _fail(pf, int(df["line"].iloc[i]), c, "缺少数值 (value missing)", "补全或删除该行后重新导入")
        out[c] = vals.astype("float64")
    if "volume_lots" in df.columns:
        out["volume"] = out["volume"] * 100  # 手 → 股
    out["volume"] = out["volume"].round().astype("int64")
    if "change" in out.columns and "preclose" not in out.columns:
        out["preclose"] = (out["close"] - out["change"]).round(4)
    if "is_st" in df.columns:
        out["is_st"] = df["is_st"].astype(str).str.strip().isin(("1", "True", "true", "是"))
    else:
        out["is_st"] = False
    if "trade_status" in out.columns:
        out["trade_status"] = out["trade_status"].fillna(1).astype("int8")
    else:
        out["trade_status"] = (out["volume"] > 0).astype("int8")
    if "open_interest" in out.columns:
        out["open_interest"] = out["open_interest"].round().astype("Int64")
    if "settle" in out.columns:
        out["settle"] = out["settle"].where(out["settle"] > 0)
    out["line"] = df["line"].to_numpy()
    minute = bool((dates.dt.normalize() != dates).any()) and dates.dt.normalize().duplicated().any()
    if minute:
        out["ts"] = dates.dt.floor("s").astype("datetime64[s]")
        ds_name, tcol = BARS_1M.name, "ts"
    else:
        out["date"] = dates.dt.date
        ds_name, tcol = DAILY_BY_KIND[pf.kind].name, "date"
    validate(pf, out, tcol)
    return ds_name, out.sort_values(tcol).drop(columns=["line"]).reset_index(drop=True)


def validate(pf: ParsedFile, df: pd.DataFrame, tcol: str) -> None:
    """Row-level sanity: positive prices, high ≥ low, OHLC consistent, no duplicated dates."""
    lines = df["line"].to_numpy()
    for c in PRICE:
        bad = df[c].to_numpy() <= 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(pf, int(lines[i]), c, f"价格必须为正: {df[c].iloc[i]} (price must be > 0)",
                        "存储只接受不复权价格；东财前复权价格可能为负，请导入不复权数据")
    o, h, lo, cl = (df[k].to_numpy() for k in PRICE)
    checks = [
        (h < lo, "high", "最高价低于最低价 (high < low)"),
        (h < np.maximum(o, cl) * (1 - OHLC_TOLERANCE), "high", "最高价低于开盘/收盘价 (high below open/close)"),
        (lo > np.minimum(o, cl) * (1 + OHLC_TOLERANCE), "low", "最低价高于开盘/收盘价 (low above open/close)"),
    ]
    for bad, fieldname, what in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(pf, int(lines[i]), fieldname, f"{what}: 开 {o[i]} 高 {h[i]} 低 {lo[i]} 收 {cl[i]}",
                        "修正或删除该行后重新导入")
    if (df["volume"].to_numpy() < 0).any():
        i = int(np.flatnonzero(df["volume"].to_numpy() < 0)[0])
        raise _fail(pf, int(lines[i]), "volume", "成交量为负 (negative volume)", "修正该行后重新导入")
    dup = df[tcol].duplicated(keep=False).to_numpy()
    if dup.any():
        rows = lines[dup][:4].tolist()
        raise _fail(pf, int(rows[0]), tcol, f"日期重复 {df[tcol].iloc[int(np.flatnonzero(dup)[0])]} "
                    f"(duplicated date on lines {rows})", "每个日期只能有一行；删除重复行后重新导入")


def _instrument_rows(store: MarketStore, kinds: dict[str, str], st: dict[str, bool]) -> pd.DataFrame | None:
    existing = store.read("instruments", columns=["symbol"]).column("symbol").to_pylist()
    new = sorted(set(kinds) - set(existing))
    if not new:
        return None
    rows = []
    for sym in new:
        code, exch = split_symbol(sym)
        rows.append({"symbol": sym, "code": code, "exchange": exch, "name": None, "kind": kinds[sym],
                     "board": board_of(sym, kinds[sym]).value, "list_date": None, "delist_date": None,
                     "is_st": st.get(sym, False)})
    return pd.DataFrame(rows)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in (".csv", ".txt")))
        else:
            out.append(p)
    return out


def import_files(store: MarketStore, paths: Iterable[str | Path], *, fmt: str = "auto", kind: str | None = None,
                 symbol: str | None = None, encoding: str | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> ImportReport:
    files = expand_paths(paths)
    if not files:
        raise ImportFormatError("没有找到要导入的 CSV 文件 (no CSV files found)", "检查路径")
    if symbol and len(files) > 1:
        raise ImportFormatError("--symbol 只能用于单个文件 (--symbol needs exactly one file)", "分开导入")
    parsed: list[tuple[str, pd.DataFrame, str]] = []
    for i, f in enumerate(files):
        pf = parse_csv(f, fmt=fmt, kind=kind, symbol=symbol, encoding=encoding)
        ds_name, frame = normalise(pf)
        parsed.append((ds_name, frame, pf.kind))
        if progress:
            progress(i + 1, len(files) * 2, f"checked {f.name}")
    report = ImportReport(files=len(files))
    kinds = {str(fr["symbol"].iloc[0]): k for _, fr, k in parsed}
    st = {str(fr["symbol"].iloc[0]): bool(fr["is_st"].iloc[-1]) for _, fr, _ in parsed if "is_st" in fr}
    register_instruments(store, kinds, st, report)
    for start in range(0, len(parsed), BATCH_FILES):
        batch = parsed[start:start + BATCH_FILES]
        write_frames(store, [(d, fr) for d, fr, _ in batch], report)
        if progress:
            progress(len(files) + start + len(batch), len(files) * 2, "written")
    return report


def register_instruments(store: MarketStore, kinds: dict[str, str], st: dict[str, bool],
                         report: ImportReport) -> None:
    """Add instrument rows for symbols the store does not know yet (kind, board from the code)."""
    inst = _instrument_rows(store, kinds, st)
    if inst is not None:
        report.writes.append(store.write(INSTRUMENTS.name, inst, origin="instruments"))


def write_frames(store: MarketStore, frames: list[tuple[str, pd.DataFrame]], report: ImportReport) -> None:
    """Write already validated canonical frames, one atomic upsert per dataset."""
    for ds_name in sorted({d for d, _ in frames}):
        frame = pd.concat([fr for d, fr in frames if d == ds_name], ignore_index=True)
        report.writes.append(store.write(ds_name, frame, origin=ds_name))
        report.rows += len(frame)
        report.symbols.update(frame["symbol"].unique().tolist())



TDX_BATCH_ROWS = 2_000_000  # rows per write batch: bounds memory for a whole-market vipdoc folder


def import_tdx(store: MarketStore, root: str | Path, *, symbols: Iterable[str] | None = None,
               freqs: Iterable[str] | None = None, strict: bool = False,
               progress: Callable[[int, int, str], None] | None = None) -> ImportReport:
    """Import 通达信 ``.day``/``.lc1``/``.lc5`` files under a vipdoc folder (see :mod:`.sources.tdx`).

    Two passes keep memory bounded and the store untouched by a bad file: pass 1 decodes and
    validates every selected file (nothing is written if one fails); pass 2 decodes them again and
    writes in batches of about ``TDX_BATCH_ROWS`` rows, each an atomic, idempotent upsert. Bonds,
    repos, B-shares and TDX-internal sector indices are skipped and listed in ``report.skipped``;
    truncated files import their complete records and are listed in ``report.warnings``.
    """
    from ..core.types import normalize_symbol
    from .sources import tdx

    base = Path(root)
    files = tdx.find_files(base)
    report = ImportReport()
    if freqs:
        wanted_freqs = set(freqs)
        files = [f for f in files if f.freq in wanted_freqs]
    if symbols:
        wanted = {normalize_symbol(s) for s in symbols}
        files = [f for f in files if f.symbol in wanted]
        report.warnings.extend(f"{m}: 没有找到通达信文件 (no TDX file for this symbol under {base})"
                               for m in sorted(wanted - {f.symbol for f in files}))
    if not files:
        raise ImportFormatError(f"{base}: 没有找到要导入的通达信行情文件 (no matching TDX .day/.lc1/.lc5 files)",
                                "传入通达信安装目录下的 vipdoc 文件夹 (其下应有 sh/lday/sh600519.day)；"
                                "检查 --symbols",
                                path=str(base))
    chosen = []
    for f in files:
        if f.security.kind is None:
            report.skipped.append(f"{f.path}: {f.security.note}")
        else:
            chosen.append(f)
    if not chosen:
        raise ImportFormatError(f"{base}: 只有不导入的证券类型 ({len(files)} files: bonds/B-shares/sector indices)",
                                "选择股票、指数或 ETF 文件", path=str(base))
    total = 2 * len(chosen)
    kinds: dict[str, str] = {}
    for i, f in enumerate(chosen):
        tp = tdx.read_file(f, strict=strict)
        validate(tp.parsed, tp.parsed.frame, "date" if f.freq == "1d" else "ts")
        report.warnings.extend(tp.warnings)
        kinds[f.symbol] = tp.parsed.kind
        if progress:
            progress(i + 1, total, f"checked {f.path.name}")
    report.files = len(chosen)
    register_instruments(store, kinds, {}, report)
    batch: list[tuple[str, pd.DataFrame]] = []
    rows = 0
    for i, f in enumerate(chosen):
        tp = tdx.read_file(f, strict=strict)
        tcol = "date" if f.freq == "1d" else "ts"
        batch.append((tp.dataset, tp.parsed.frame.drop(columns=["line"]).sort_values(tcol)))
        rows += tp.records
        if rows >= TDX_BATCH_ROWS or i == len(chosen) - 1:
            write_frames(store, batch, report)
            batch, rows = [], 0
        if progress:
            progress(len(chosen) + i + 1, total, f"written {f.path.name}")
    return report

def sample_dir() -> Path:
    """The embedded sample: packaged copy in a wheel, ``data/sample`` in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "sample_data", here.parent / "data" / "sample"):
        if (cand / "stock_1d.parquet").exists():
            return cand
    raise ImportFormatError("找不到内置样例数据 (embedded sample data not found)",
                            "从源码目录运行，或重新安装 jupyterlab-quant")


def load_sample(store: MarketStore, directory: Path | None = None) -> list[WriteResult]:
    """Load every embedded sample file into its dataset (idempotent: a second run writes nothing)."""
    import pyarrow.parquet as pq

    d = directory or sample_dir()
    results = []
    for fname, ds_name in SAMPLE_FILES.items():
        path = d / fname
        if not path.exists():
            continue
        try:
            table = pq.read_table(path)
        except (OSError, ValueError) as exc:
            raise ImportFormatError(f"{path}: 样例文件无法读取: {exc} (sample file unreadable)",
                                    "从仓库重新检出 data/sample", path=str(path)) from exc
        results.append(store.write(ds_name, table, origin=str(path)))
    return results
