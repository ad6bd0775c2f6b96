"""The market store: hive-partitioned Parquet under ``$JLQ_HOME/store/<dataset>/``.

Layout: ``bars_1d/year=2020/part-<uuid>.parquet`` (``year=YYYY/month=MM`` for minute bars), each file
sorted by (symbol, time) with 64k-row groups so per-symbol reads touch few row groups. A per-dataset
``_manifest.json`` lists the live files and carries a version number.

Why a manifest: a write stages new files under hidden temp names, renames them into place, then
replaces the manifest with one ``os.replace`` — the commit point. Readers only read files the manifest
lists, so a crash at any step leaves the previous version fully readable; files no manifest lists are
garbage that :meth:`MarketStore.gc` removes (after a grace period, so readers holding an older file
list in another process never lose a file under them). Re-running an interrupted import completes it
because upserts are idempotent: a partition whose merged content equals its current content is not
rewritten. A cross-process file lock makes writers take turns.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import filelock
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.errors import ImportFormatError, StoreBusy, StoreCorrupt
from .schema import DATASETS, Dataset, get

ROW_GROUP = 65_536
MAX_FILES_PER_PARTITION = 16  # appends beyond this merge the partition back into one sorted file
GC_GRACE_S = 600.0


@dataclass
class Manifest:
    dataset: str
    version: int = 0
    partitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    updated_at: str = ""

    @property
    def files(self) -> list[str]:
        return [f for p in sorted(self.partitions) for f in self.partitions[p]["files"]]

    @property
    def rows(self) -> int:
        return sum(int(p["rows"]) for p in self.partitions.values())

    def to_json(self) -> str:
        return json.dumps({"dataset": self.dataset, "version": self.version, "partitions": self.partitions,
                           "updated_at": self.updated_at}, ensure_ascii=False, indent=1, sort_keys=True)


@dataclass(frozen=True)
class WriteResult:
    dataset: str
    rows_in: int
    partitions_written: int
    partitions_unchanged: int
    version: int

    @property
    def changed(self) -> bool:
        return self.partitions_written > 0


def conform(ds: Dataset, data: pa.Table | pd.DataFrame, *, origin: str = "") -> pa.Table:
    """Cast ``data`` to the dataset's schema (column order, types); missing optional columns → null."""
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    missing = [c for c in ds.required if c not in table.column_names]
    if missing:
        raise ImportFormatError(f"{origin or ds.name}: 缺少必需列 {missing} (missing required columns)",
                                "检查文件表头或用 --format 指定格式", path=origin, field=missing[0])
    arrays = []
    for col in ds.columns:
        if col.name in table.column_names:
            arr = table.column(col.name)
            try:
                arr = arr.cast(col.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ImportFormatError(f"{origin or ds.name}: 列 {col.name} 无法转换为 {col.type}: {exc}",
                                        "检查该列的取值", path=origin, field=col.name) from exc
        else:
            arr = pa.nulls(table.num_rows, col.type)
        if not col.nullable and arr.null_count:
            idx = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
            raise ImportFormatError(f"{origin or ds.name}: 第 {idx + 1} 行 {col.name} 为空 (required value missing)",
                                    "补全或删除该行后重新导入", path=origin, row=idx + 1, field=col.name)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=ds.schema)


def _partition_labels(ds: Dataset, table: pa.Table) -> np.ndarray:
    if ds.partition == "none" or ds.time_column is None:
        return np.full(table.num_rows, "all", dtype=object)
    t = table.column(ds.time_column)
    years = pc.year(t).to_numpy(zero_copy_only=False)
    if ds.partition == "year":
        return np.char.add("year=", years.astype(str)).astype(object)
    months = pc.month(t).to_numpy(zero_copy_only=False)
    return np.array([f"year={y}/month={m:02d}" for y, m in zip(years, months, strict=True)], dtype=object)


def _sort(ds: Dataset, table: pa.Table) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in ds.key])


def _dedupe_keep_last(ds: Dataset, table: pa.Table) -> pa.Table:
    """Drop earlier rows whose key repeats later in ``table`` (later = newer wins)."""
    idx = pa.array(np.arange(table.num_rows))
    keyed = table.select(list(ds.key)).append_column("_i", idx)
    last = keyed.group_by(list(ds.key), use_threads=False).aggregate([("_i", "max")])
    keep = np.sort(last.column("_i_max").to_numpy())
    return table.take(pa.array(keep))


def _shares_symbols(paths: list[str], new: pa.Table) -> bool:
    """Whether any symbol of ``new`` already has rows in the partition files (reads one column)."""
    existing = pq.read_table(paths, columns=["symbol"]).column("symbol")
    return bool(pc.any(pc.is_in(pc.unique(new.column("symbol")), value_set=pc.unique(existing))).as_py())


class MarketStore:
    """Writes and lists the Parquet files of every dataset under ``root``."""

    def __init__(self, root: Path, *, lock_timeout_s: float = 30.0) -> None:
        self.root = Path(root)
        self.lock_timeout_s = lock_timeout_s

    # ---- reading the manifest -------------------------------------------------------------
    def dataset_dir(self, name: str) -> Path:
        return self.root / get(name).name

    def _manifest_path(self, name: str) -> Path:
        return self.dataset_dir(name) / "_manifest.json"

    def manifest(self, name: str) -> Manifest:
        path = self._manifest_path(name)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Manifest(dataset=name)
        except (OSError, ValueError) as exc:
            raise StoreCorrupt(f"清单文件损坏 {path}: {exc} (manifest unreadable)",
                               "从备份恢复或删除该数据集目录后重新导入") from exc
        return Manifest(dataset=name, version=int(raw["version"]), partitions=raw["partitions"],
                        updated_at=raw.get("updated_at", ""))

    def manifest_token(self, name: str) -> tuple[int, int]:
        """Cheap change detector (mtime_ns, size) for caches; one stat call."""
        try:
            st = self._manifest_path(name).stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    def files(self, name: str) -> list[Path]:
        base = self.dataset_dir(name)
        return [base / f for f in self.manifest(name).files]

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        ds = get(name)
        files = self.files(name)
        if not files:
            return ds.schema.empty_table() if columns is None else ds.schema.empty_table().select(columns)
        return pq.read_table([str(f) for f in files], columns=columns or ds.column_names,
                             schema=ds.schema if columns is None else None)

    # ---- writing --------------------------------------------------------------------------
    @contextmanager
    def write_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.root / ".write.lock"), timeout=self.lock_timeout_s)
        try:
            with lock:
                yield
        except filelock.Timeout as exc:
            raise StoreBusy(f"存储正被另一个进程写入 ({self.root}) (store is locked by another writer)",
                            "等待其完成后重试") from exc

    def _stage(self, ds: Dataset, part: str, table: pa.Table) -> str:
        pdir = self.dataset_dir(ds.name) / part if part != "all" else self.dataset_dir(ds.name)
        pdir.mkdir(parents=True, exist_ok=True)
        name = f"part-{uuid.uuid4().hex}.parquet"
        tmp = pdir / f".{name}.tmp"
        pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP, write_statistics=True)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, pdir / name)
        return name if part == "all" else f"{part}/{name}"

    def _commit(self, name: str, manifest: Manifest) -> None:
        manifest.version += 1
        manifest.updated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        path = self._manifest_path(name)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(manifest.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def write(self, name: str, data: pa.Table | pd.DataFrame, *, origin: str = "",
              replace_symbols: bool = False) -> WriteResult:
        """Upsert rows by the dataset key (new rows win). All touched partitions commit at once.

        ``replace_symbols``: drop existing rows of the symbols in ``data`` first (full reload).
        """
        ds = get(name)
        table = _dedupe_keep_last(ds, conform(ds, data, origin=origin))
        labels = _partition_labels(ds, table)
        with self.write_lock():
            manifest = self.manifest(name)
            symbols = pc.unique(table.column("symbol")) if replace_symbols else None
            parts = sorted(set(labels.tolist()))
            if replace_symbols:
                parts = sorted(set(parts) | set(manifest.partitions))
            written = unchanged = 0
            base = self.dataset_dir(name)
            for part in parts:
                new = table.filter(pa.array(labels == part))
                old_files = manifest.partitions.get(part, {}).get("files", [])
                paths = [str(base / f) for f in old_files]
                if (old_files and new.num_rows and symbols is None and len(old_files) < MAX_FILES_PER_PARTITION
                        and not _shares_symbols(paths, new)):
                    # new symbols only (a backfill batch): append a file instead of rewriting the partition
                    entry = manifest.partitions[part]
                    entry["files"] = [*old_files, self._stage(ds, part, _sort(ds, new))]
                    entry["rows"] = int(entry["rows"]) + new.num_rows
                    written += 1
                    continue
                old = pq.read_table(paths, schema=ds.schema) if old_files else ds.schema.empty_table()
                kept_old = old.filter(pc.invert(pc.is_in(old.column("symbol"), symbols))) if symbols else old
                merged = _sort(ds, _dedupe_keep_last(ds, pa.concat_tables([kept_old, new])))
                if old_files and merged.equals(old if len(old_files) == 1 else _sort(ds, old)):
                    unchanged += 1
                    continue
                if merged.num_rows == 0:
                    manifest.partitions.pop(part, None)
                else:
                    manifest.partitions[part] = {"files": [self._stage(ds, part, merged)],
                                                 "rows": merged.num_rows}
                written += 1
            if written:
                self._commit(name, manifest)
            self._gc_locked(name, manifest, GC_GRACE_S)
        return WriteResult(name, table.num_rows, written, unchanged, manifest.version)

    def compact(self, name: str | None = None) -> dict[str, int]:
        """Rewrite every multi-file partition as one sorted file; returns partitions rewritten per dataset."""
        out: dict[str, int] = {}
        for ds in [get(name)] if name else list(DATASETS.values()):
            with self.write_lock():
                manifest = self.manifest(ds.name)
                n = 0
                base = self.dataset_dir(ds.name)
                for part, entry in list(manifest.partitions.items()):
                    if len(entry["files"]) <= 1:
                        continue
                    t = pq.read_table([str(base / f) for f in entry["files"]], schema=ds.schema)
                    merged = _sort(ds, _dedupe_keep_last(ds, t))
                    manifest.partitions[part] = {"files": [self._stage(ds, part, merged)],
                                                 "rows": merged.num_rows}
                    n += 1
                if n:
                    self._commit(ds.name, manifest)
                self._gc_locked(ds.name, manifest, GC_GRACE_S)
            out[ds.name] = n
        return out

    def gc(self, grace_s: float = GC_GRACE_S) -> int:
        removed = 0
        with self.write_lock():
            for ds in DATASETS.values():
                removed += self._gc_locked(ds.name, self.manifest(ds.name), grace_s)
        return removed

    def _gc_locked(self, name: str, manifest: Manifest, grace_s: float) -> int:
        """Delete files no manifest lists (superseded or staged by a crashed writer) once old enough."""
        base = self.dataset_dir(name)
        if not base.exists():
            return 0
        live = {str(base / f) for f in manifest.files}
        now, removed = time.time(), 0
        for p in base.rglob("*"):
            if not p.is_file() or p.name == "_manifest.json" or str(p) in live:
                continue
            if p.suffix not in (".parquet", ".tmp"):
                continue
            try:
                if now - p.stat().st_mtime >= grace_s:
                    p.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    # ---- information ----------------------------------------------------------------------
    def info(self) -> list[dict[str, Any]]:
        rows = []
        for ds in DATASETS.values():
            m = self.manifest(ds.name)
            size = sum((self.dataset_dir(ds.name) / f).stat().st_size for f in m.files)
            rows.append({"dataset": ds.name, "rows": m.rows, "files": len(m.files), "version": m.version,
                         "bytes": size, "updated_at": m.updated_at, "doc": ds.doc})
        return rows
