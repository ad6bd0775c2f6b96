"""Hot read path: a memory-mapped Arrow snapshot of one dataset version, sorted by (symbol, time).

Parquet stays the source of truth. For each manifest version the first reader derives
``_snapshot/v<version>/`` holding ``data.arrow`` (uncompressed Arrow IPC, zero-copy via mmap) and
NumPy offset indexes: where each symbol's rows start, and a by-time permutation with offsets per
date. One symbol's history is then a slice, a cross-section a gather of a few thousand rows, and a
universe scan runs over contiguous arrays — no Parquet decoding, no query planning.
The directory is built under a temporary name and renamed into place, so a crash leaves nothing
half-written; old versions are removed by the next build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import Dataset
from .store import MarketStore


@dataclass
class Snapshot:
    dataset: Dataset
    table: pa.Table            # sorted by (symbol, time)
    symbols: np.ndarray        # unique symbols, sorted
    starts: np.ndarray         # int64, len(symbols)+1: rows of symbols[i] are starts[i]:starts[i+1]
    times: np.ndarray          # int64 time column (days or seconds since epoch), same order as table
    by_time: np.ndarray        # int64 permutation ordering rows by (time, symbol)
    time_keys: np.ndarray      # unique times, sorted
    time_starts: np.ndarray    # offsets into by_time per unique time
    _sym_index: dict[str, int] | None = None

    def symbol_index(self, symbol: str) -> int | None:
        if self._sym_index is None:
            self._sym_index = {s: i for i, s in enumerate(self.symbols.tolist())}
        return self._sym_index.get(symbol)

    def rows_of(self, symbol: str, lo: int | None, hi: int | None) -> tuple[int, int] | None:
        """Row range of ``symbol`` with time in [lo, hi] (epoch units), or None if unknown symbol."""
        i = self.symbol_index(symbol)
        if i is None:
            return None
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        t = self.times[a:b]
        s = a + (int(np.searchsorted(t, lo, "left")) if lo is not None else 0)
        e = a + (int(np.searchsorted(t, hi, "right")) if hi is not None else b - a)
        return s, e

    def rows_at(self, key: int) -> np.ndarray:
        k = int(np.searchsorted(self.time_keys, key))
        if k >= len(self.time_keys) or self.time_keys[k] != key:
            return np.empty(0, dtype=np.int64)
        return self.by_time[self.time_starts[k]:self.time_starts[k + 1]]


def _time_ints(col: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_date32(col.type):
        return col.cast(pa.int32()).to_numpy().astype(np.int64)
    return col.cast(pa.int64()).to_numpy()


def _build(store: MarketStore, ds: Dataset, target: Path) -> None:
    table = store.read(ds.name).sort_by([(k, "ascending") for k in ds.key]).combine_chunks()
    tmp = target.parent / f".build-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    with pa.OSFile(str(tmp / "data.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table, max_chunksize=max(table.num_rows, 1))
    sym = table.column("symbol")
    symbols, counts = np.unique(sym.to_numpy(zero_copy_only=False).astype(str), return_counts=True)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    times = _time_ints(table.column(ds.time_column)) if ds.time_column else np.zeros(table.num_rows, np.int64)
    by_time = np.lexsort((np.repeat(np.arange(len(symbols)), counts), times)).astype(np.int64)
    sorted_times = times[by_time]
    keys, first = np.unique(sorted_times, return_index=True)
    time_starts = np.concatenate([first, [len(by_time)]]).astype(np.int64)
    for name, arr in (("symbols", symbols), ("starts", starts), ("times", times), ("by_time", by_time),
                      ("time_keys", keys), ("time_starts", time_starts)):
        np.save(tmp / f"{name}.npy", arr)
    try:
        os.rename(tmp, target)
    except OSError:  # another process won the race: theirs is identical
        shutil.rmtree(tmp, ignore_errors=True)


def open_snapshot(store: MarketStore, ds: Dataset) -> Snapshot:
    """Open (building if needed) the snapshot of the dataset's current manifest version."""
    manifest = store.manifest(ds.name)
    digest = hashlib.sha1(manifest.to_json().encode()).hexdigest()[:10]
    snapdir = store.dataset_dir(ds.name) / "_snapshot"
    target = snapdir / f"v{manifest.version}-{digest}"
    if not (target / "data.arrow").exists():
        snapdir.mkdir(parents=True, exist_ok=True)
        _build(store, ds, target)
        for old in snapdir.iterdir():
            if old.name != target.name and not old.name.startswith(".build-"):
                shutil.rmtree(old, ignore_errors=True)
    source = pa.memory_map(str(target / "data.arrow"), "r")
    table = pa.ipc.open_file(source).read_all()

    def load(name: str) -> np.ndarray:
        return np.load(target / f"{name}.npy", mmap_mode="r" if name != "symbols" else None)

    return Snapshot(ds, table, load("symbols"), load("starts"), load("times"), load("by_time"),
                    load("time_keys"), load("time_starts"))


def column_f64(snap: Snapshot, name: str) -> np.ndarray:
    col = snap.table.column(name)
    if col.num_chunks == 1 and col.null_count == 0 and pa.types.is_float64(col.type):
        return col.chunk(0).to_numpy(zero_copy_only=True)
    return pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
