"""The Spark executor's worker side: one task attempt over one partition of task rows.

A worker stores its own rows: it appends them to ``<run dir>/results.parquet`` (atomic part files,
every ``run.flush_rows`` rows or ``run.flush_seconds``) and sends the driver only counts. A dead
driver or a dead worker therefore loses at most one worker's unflushed rows, and a rerun skips
every sample stored.

A worker that dies (a segfault in a codec, the OOM killer) takes its task attempt with it, and
Spark retries the task. So that the retry does not die on the same file, the worker keeps an
in-flight marker, ``<run dir>/workers/inflight/<session>/s<stage>-p<partition>-t<attempt>.json``,
naming the file it is decoding or the files whose frames it is detecting: rewritten before each
stage, reset to ``idle`` as soon as the stage's rows are out, removed when the attempt ends. An
attempt that finds markers of earlier attempts of its partition is a retry, and reads them:

* a marker naming one file: that file killed the worker, so each of its samples gets an error
  row (``error_type`` ``WorkerDied``) and is not run again;
* a marker naming several files (a detect batch spanning files): each of them runs alone, so that
  if one kills the worker again, the next retry knows which;
* samples already stored are skipped, so no sample is stored twice.

Each worker process also writes ``<run dir>/workers/<host>-<pid>.json``: how many times it built
each plugin during this run and in its lifetime, the tasks and samples it did, its peak memory.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from phibench import worker
from phibench.pipeline import PipelineSpec, Task, failed_rows, process, remaining
from phibench.records import SampleError
from phibench.results import BufferedAppender, ResultStore
from phibench.spark.rows import tasks_from_pandas
from phibench.spark.threads import worker_plugin

ACK_COLUMNS = ("stored", "skipped", "died")
"""What a worker sends back per flush: rows it stored, samples found already stored (retries),
and samples recorded as having killed a worker."""
ACK_SCHEMA = ", ".join(f"{name} long" for name in ACK_COLUMNS)
"""Spark DDL of an acknowledgement row."""

WORKER_DIED = "WorkerDied"
"""``error_type`` of a sample whose file killed the worker processing it."""

_load_baseline: dict[str, dict[str, int]] = {}
_done: dict[str, Counter[str]] = {}


def run_partition(
    batches: Iterator[pd.DataFrame], spec: PipelineSpec, threads: int = 1
) -> Iterator[pd.DataFrame]:
    """``mapInPandas`` function: run the pipeline over this partition's tasks, store the rows."""
    from pyspark import TaskContext

    assert spec.store is not None, "the Spark executor needs PipelineSpec.store"
    _load_baseline.setdefault(spec.session_id, worker.load_counts())
    worker_plugin(spec.detector, threads, spec.context)  # built once per process
    markers = _Markers(Path(spec.store.run_dir), spec.session_id, TaskContext.get())
    out = _Output(spec)
    tasks = (t for pdf in batches for t in tasks_from_pandas(pdf))  # streamed on a first attempt
    groups: list[Iterable[Task]] = [tasks]
    if markers.retry:
        groups, died_rows, out.skipped = _recover(list(tasks), markers, spec)
        out.died = len(died_rows)
        out.add(died_rows)
    for group in groups:
        for rows in process(group, spec, markers.watch):  # it marks idle when nothing is busy
            if out.add(rows):
                yield out.ack()
    out.flush()
    yield out.ack()
    markers.done()
    _write_stats(spec, out.samples)


class _Output(BufferedAppender):
    """Buffers rows and appends them to the store; counts what to acknowledge."""

    def __init__(self, spec: PipelineSpec) -> None:
        assert spec.store is not None
        store = spec.store
        super().__init__(ResultStore(store.run_dir), store.flush_rows, store.flush_seconds)
        self.stored = self.skipped = self.died = self.samples = 0

    def add(self, rows: list[dict[str, Any]]) -> bool:
        """Buffer ``rows``; True when that flushed the buffer."""
        self.samples += len(rows)
        return super().add(rows)

    def flush(self) -> int:
        written = super().flush()
        self.stored += written
        return written

    def ack(self) -> pd.DataFrame:
        df = pd.DataFrame({name: [getattr(self, name)] for name in ACK_COLUMNS})
        self.stored = self.skipped = self.died = 0
        return df


class _Markers:
    """This task attempt's in-flight marker, and those its earlier attempts left behind.

    The marker exists from the attempt's start to its end (stage ``idle`` between stages), so an
    attempt that finds another's marker knows it is a retry, even as a re-run stage's attempt 0.
    """

    def __init__(self, run_dir: Path, session_id: str, ctx: Any) -> None:
        self.dir = run_dir / "workers" / "inflight" / session_id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.prefix = f"s{ctx.stageId()}-p{ctx.partitionId()}"
        self.path = self.dir / f"{self.prefix}-t{ctx.taskAttemptId()}.json"
        self.attempt = ctx.attemptNumber()
        self.found = self._earlier()
        self.retry = self.attempt > 0 or bool(self.found)
        self.stage = ""
        self.idle()

    def watch(self, stage: str, tasks: list[Task]) -> None:
        """Record which files the pipeline works on now (``idle``: none), before it starts on
        them: with a streaming detector several files are in hand at once."""
        self._write(stage, sorted({t.sample.path for t in tasks}))

    def idle(self) -> None:
        if self.stage != "idle":
            self._write("idle", [])

    def done(self) -> None:
        self.path.unlink(missing_ok=True)

    def _write(self, stage: str, paths: list[str]) -> None:
        tmp = self.dir / f".{self.path.name}.tmp"
        tmp.write_text(json.dumps({"stage": stage, "paths": paths}))
        os.replace(tmp, self.path)
        self.stage = stage

    def _earlier(self) -> list[dict[str, Any]]:
        found = []
        for p in sorted(self.dir.glob(f"{self.prefix}-t*.json")):
            try:
                found.append(json.loads(p.read_text()))
            except (OSError, ValueError):  # a marker cut short by the death itself
                continue
        return found


def _recover(
    tasks: list[Task], markers: _Markers, spec: PipelineSpec
) -> tuple[list[list[Task]], list[dict[str, Any]], int]:
    """A retry's plan: (groups to run, error rows for files that killed a worker, skipped)."""
    assert spec.store is not None
    done = ResultStore(spec.store.run_dir).done_ids(spec.retry_errors, spec.session_id)
    todo = remaining(tasks, done, whole_files=spec.redaction is not None)
    blamed: dict[str, str] = {}
    suspects: set[str] = set()
    for marker in markers.found:
        paths = marker.get("paths") or []
        if marker.get("stage") == "idle":
            continue
        if len(paths) == 1:
            blamed[paths[0]] = marker.get("stage", "decode")
        else:
            suspects.update(paths)
    by_path: dict[str, list[Task]] = {}
    for t in todo:
        by_path.setdefault(t.sample.path, []).append(t)
    died: list[dict[str, Any]] = []
    alone: list[list[Task]] = []
    rest: list[Task] = []
    for path, group in by_path.items():
        if path in blamed:
            err = SampleError(
                path, blamed[path], WORKER_DIED,
                f"the worker process died while this file was in stage {blamed[path]} (a crash "
                f"in native code, or out of memory); recorded by task attempt {markers.attempt} "
                "instead of running it again",
            )
            died += failed_rows(group, err, spec)
        elif path in suspects:
            alone.append(group)
        else:
            rest.extend(group)
    return [*alone, rest], died, len(tasks) - len(todo)


def _write_stats(spec: PipelineSpec, samples: int) -> None:
    """``<run dir>/workers/<host>-<pid>.json``: model loads, work done and peak memory."""
    assert spec.store is not None
    done = _done.setdefault(spec.session_id, Counter())
    done.update(tasks=1, samples=samples)
    loads, base = worker.load_counts(), _load_baseline.get(spec.session_id, {})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    host, pid = socket.gethostname(), os.getpid()
    stats = {
        "host": host,
        "pid": pid,
        "session_id": spec.session_id,
        "loads_this_run": {k: v - base.get(k, 0) for k, v in loads.items() if v > base.get(k, 0)},
        "loads_lifetime": loads,
        "tasks_this_run": done["tasks"],
        "samples_this_run": done["samples"],
        "peak_rss_mb": round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1),
        "threads": int(os.environ.get("OMP_NUM_THREADS", "0")),
    }
    folder = Path(spec.store.run_dir) / "workers"
    path = folder / f"{host}-{pid}.json"
    tmp = folder / f".{path.name}.tmp"
    tmp.write_text(json.dumps(stats, indent=1))
    os.replace(tmp, path)
