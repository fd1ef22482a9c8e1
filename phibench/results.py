"""The results store: ``<run dir>/results.parquet``, the single source of truth of a run.

``results.parquet`` is a Parquet *dataset* (a folder of part files), so rows are appended as they
are computed without rewriting what is there: each flush writes one part to a hidden temp name and
renames it into place, which is atomic. A run killed at any moment keeps every part it flushed,
and ``pandas.read_parquet(<run dir>/results.parquet)`` reads them all (hidden temp files are
ignored by pyarrow). If a sample appears twice (a resumed run that retried it), the latest row
wins when reading through :meth:`ResultStore.read`. A run that finishes merges its parts into one
(:meth:`ResultStore.compact`).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from phibench import files
from phibench.records import ResultRow

SCHEMA = ResultRow.arrow_schema()
"""Columns of ``results.parquet``, derived from :class:`~phibench.records.ResultRow` (whose
fields document each column). JSON strings hold entities and ground-truth regions (PHI)."""

COLUMNS = SCHEMA.names


class ResultStore:
    """Appends result rows to ``<run_dir>/results.parquet`` and reads them back."""

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.path = Path(run_dir) / "results.parquet"
        self._tag = uuid.uuid4().hex[:12]
        self._seq = 0

    def append(self, rows: Iterable[ResultRow | Mapping[str, Any]]) -> int:
        """Write ``rows`` as one new part, atomically. Returns the number of rows written.

        Rows are :class:`~phibench.records.ResultRow` objects, stored through their
        :meth:`~phibench.records.ResultRow.to_record`; a plain mapping of stored values (a row
        read back, a test's partial row) is accepted too, its missing columns null."""
        records = [r.to_record() if isinstance(r, ResultRow) else r for r in rows]
        if not records:
            return 0
        unknown = {k for r in records for k in r} - set(COLUMNS)
        if unknown:  # a misspelt key would otherwise become a silent null column
            raise ValueError(f"result rows carry unknown columns: {', '.join(sorted(unknown))}")
        table = pa.Table.from_pylist(
            [{c: r.get(c) for c in COLUMNS} for r in records], schema=SCHEMA
        )
        if not self.path.is_dir():
            files.private_dir(self.path)
        self._seq += 1
        final = self.path / f"part-{self._tag}-{self._seq:06d}.parquet"
        files.write_atomic(final, lambda tmp: pq.write_table(table, tmp))
        return len(records)

    def parts(self) -> list[Path]:
        """The part files, in name order (hidden temp files are not parts)."""
        return sorted(self.path.glob("*.parquet")) if self.path.is_dir() else []

    def compact(self) -> tuple[int, int]:
        """Merge every part into one, losslessly (every row kept, retried ones too; read order
        does not matter: :meth:`read` sorts), at the end
        of a run: a 100k-frame run leaves thousands of small parts, which every later read
        (``phibench score``, ``compare``) would open one by one. Returns ``(parts, rows)``.

        Crash-safe without a lock of its own (the run holds the run lock): the merged part is
        renamed into place before the old ones are removed, so a crash in between leaves each
        row twice, which :meth:`read` and :meth:`done_ids` count once (same sample, same
        ``finished_at``)."""
        parts = self.parts()
        if len(parts) < 2:
            return len(parts), 0
        final = self.path / f"part-{self._tag}-compacted-{uuid.uuid4().hex[:8]}.parquet"
        rows = 0

        def merge(tmp: Path) -> None:  # part by part: one part in memory at a time, not the run
            nonlocal rows
            with pq.ParquetWriter(tmp, SCHEMA) as writer:
                for part in parts:
                    table = pq.read_table(part, schema=SCHEMA)
                    writer.write_table(table)
                    rows += table.num_rows

        files.write_atomic(final, merge)
        for part in parts:
            part.unlink(missing_ok=True)
        return len(parts), rows

    def read(self) -> pd.DataFrame:
        """All rows, one per sample (the latest wins), in sample-id order."""
        if not self.path.exists() or not any(self.path.glob("*.parquet")):
            return SCHEMA.empty_table().to_pandas()
        df = pq.read_table(self.path, schema=SCHEMA).to_pandas()
        df = df.sort_values(["finished_at"], kind="stable").drop_duplicates("sample_id", keep="last")
        return df.sort_values("sample_id", kind="stable").reset_index(drop=True)

    def done_ids(self, retry_errors: bool = False, session_id: str | None = None) -> set[str]:
        """Ids of samples a (re)run skips: every sample with a row; with ``retry_errors``, only
        those whose latest row is an answer (no detection error, no failed redaction) -- plus, in
        either case, every sample this ``session_id`` already stored (a retried Spark task must
        not run again the file that just failed, or killed, its worker)."""
        if not self.path.exists() or not any(self.path.glob("*.parquet")):
            return set()
        cols = ["sample_id", "error", "redaction", "session_id", "finished_at"]
        df = pq.read_table(self.path, columns=cols, schema=SCHEMA).to_pandas()
        if not retry_errors:
            return set(df["sample_id"])
        mine = set(df.loc[df["session_id"] == session_id, "sample_id"]) if session_id else set()
        latest = df.sort_values("finished_at", kind="stable").drop_duplicates("sample_id", keep="last")
        ok = latest["error"].isna() & (latest["redaction"].fillna("") != "failed")
        return set(latest.loc[ok, "sample_id"]) | mine


class BufferedAppender:
    """Buffers rows and appends them to a :class:`ResultStore` every ``flush_rows`` rows or
    ``flush_seconds``, whichever comes first: the driver's sink and Spark workers both use it."""

    def __init__(self, store: ResultStore, flush_rows: int, flush_seconds: float) -> None:
        self.store, self.flush_rows, self.flush_seconds = store, flush_rows, flush_seconds
        self.buffer: list[ResultRow | Mapping[str, Any]] = []
        self.last = time.monotonic()

    def add(self, rows: list[ResultRow] | list[Mapping[str, Any]]) -> bool:
        """Buffer ``rows``; True when that flushed the buffer."""
        self.buffer.extend(rows)
        due = time.monotonic() - self.last >= self.flush_seconds
        if due or len(self.buffer) >= self.flush_rows:
            self.flush()
            return True
        return False

    def flush(self) -> int:
        """Append what is buffered as one part; the number of rows written."""
        written = self.store.append(self.buffer)
        self.buffer, self.last = [], time.monotonic()
        return written
