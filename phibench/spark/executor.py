"""``executor=spark``: the per-sample pipeline in Spark Python workers, here or on a cluster.

The driver turns the planned tasks into a DataFrame of task rows, range-partitioned by path into
partitions of nearly equal size that never split a file (a file is read once), and runs
:func:`~phibench.spark.worker.run_partition` over it with ``mapInPandas``.
What travels is plain data: task rows and the :class:`~phibench.pipeline.PipelineSpec` (plugin
names and parameters). Each Python worker builds the detector once and keeps it across batches,
partitions and jobs (``spark.python.worker.reuse``).

Workers write their rows to ``<run dir>/results.parquet`` themselves and return counts, so the run
directory must be on storage the workers see: on one machine that is any folder; on a cluster a
shared filesystem (NFS, a FUSE mount of object storage, DBFS's ``/dbfs/...``). The driver follows
progress by counting the rows of the part files that appear (a driver-side collect of rows would
serialise the job or hold everything until the end), and when the job ends it checks that every
task was acknowledged.

The built-in plugin ``phibench_plugins.executors`` registers this class as ``spark``. The module
imports no pyspark (only :meth:`SparkExecutor.execute` does), so that registering it works
without the ``[spark]`` extra and choosing it fails with the extra's name.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from phibench import extras
from phibench.exceptions import ConfigError, PhibenchError
from phibench.executor import Executor, RowSink
from phibench.pipeline import PipelineSpec, Task
from phibench.spark.session import SessionParams

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


class SparkExecutor(Executor):
    """Runs tasks in Spark: ``local[*]``, ``local[N]``, ``spark://host:port`` or ``existing``."""

    requires = extras.needs("spark")

    @dataclass
    class Params(SessionParams):
        """The session's settings (:class:`~phibench.spark.session.SessionParams`), and the job's."""

        workers: int = 0
        """Worker slots of a local master: ``executor.workers=2`` means ``local[2]`` (no quoting
        needed on the command line, unlike ``executor.master='local[2]'``). 0: ``master`` as given."""
        partitions: int = 0
        """Partitions of the task rows; 0: eight per parallel slot (small, even partitions keep
        every worker busy to the end), at most one per file."""
        arrow_batch_size: int = 1000
        """Task rows per Arrow batch handed to a worker
        (``spark.sql.execution.arrow.maxRecordsPerBatch``)."""

    def execute(self, tasks: Sequence[Task], pipeline: PipelineSpec, sink: RowSink) -> None:
        if pipeline.store is None:
            raise ConfigError("executor=spark stores rows from its workers: set PipelineSpec.store")
        from phibench.spark.rows import TASK_SCHEMA, tasks_to_pandas
        from phibench.spark.session import parallelism, session_for, ui_url
        from phibench.spark.worker import ACK_COLUMNS, ACK_SCHEMA, run_partition

        p = self.params
        spark = session_for(p, self.master())
        if url := ui_url(spark):
            print(f"phibench: Spark UI at {url}", file=sys.stderr)
        ordered = sorted(tasks, key=lambda t: (t.sample.path, t.sample.frame))
        n_parts, why = self._partitions(ordered, parallelism(spark), pipeline)
        log.info("spark: %d samples in %d partitions (%s; master %s)", len(ordered), n_parts, why,
                 self.master())
        rows = (
            spark.createDataFrame(tasks_to_pandas(ordered), TASK_SCHEMA)
            .repartitionByRange(n_parts, "path")
            .sortWithinPartitions("path", "frame")
        )
        fn = functools.partial(run_partition, spec=pipeline, threads=p.threads_per_worker)
        job = rows.mapInPandas(fn, ACK_SCHEMA)
        results = Path(pipeline.store.run_dir) / "results.parquet"
        with _arrow_batch_size(spark, p.arrow_batch_size):
            acks = _run_with_progress(spark, job, pipeline.session_id, _PartWatcher(results, sink))
        stored, skipped, died = (sum(a[name] for a in acks) for name in ACK_COLUMNS)
        if (acked := stored + skipped) != len(ordered):
            log.error("spark: %d tasks, %d acknowledged; rerun to complete", len(ordered), acked)
        if died:
            log.warning("spark: %d samples recorded as WorkerDied (their file killed a worker)",
                        died)
        _log_workers(Path(pipeline.store.run_dir), pipeline.session_id)

    def master(self) -> str:
        """The master URL: ``local[workers]`` when ``workers`` is set, else ``master``."""
        p = self.params
        if p.workers < 0:
            raise ConfigError(f"executor.workers must be >= 0, got {p.workers}")
        if p.workers:
            if not p.master.startswith("local"):
                raise ConfigError(f"executor.workers sizes a local master; master is {p.master!r}")
            return f"local[{p.workers}]"
        return p.master

    def _partitions(self, tasks: Sequence[Task], parallelism: int, pipeline: PipelineSpec) -> tuple[int, str]:
        """How many partitions, and why (logged). ``executor.partitions`` when set. A streaming
        detector (a remote model) gets one partition per slot, more (a whole number per slot,
        at most eight) only once each holds at least ``batch_size`` frames (8 x its requests in
        flight): every partition pays a ramp, a tail of requests draining and Spark's task
        start, a short one cannot keep its requests in flight, and a slot left alone with the
        last partition runs at half the endpoint's concurrency. Other detectors get eight small partitions per slot, which keep
        every worker busy to the end. Never more partitions than files."""
        files = len({t.sample.path for t in tasks})
        slots = max(1, parallelism)
        if self.params.partitions:
            wanted, why = self.params.partitions, "executor.partitions"
        elif pipeline.streams:
            rounds = max(1, min(8, len(tasks) // (slots * max(1, pipeline.batch_size))))
            wanted = slots * rounds  # a whole number of partitions a slot: no slot runs alone at the end
            why = (f"streaming detector: {rounds} partition(s) a slot of at least {pipeline.batch_size} "
                   f"frames, to keep its requests in flight")
        else:
            wanted, why = 8 * slots, "8 per slot"
        n = max(1, min(wanted, files))
        return n, why + (f"; capped at {files} files" if n < wanted else "")


class _PartWatcher:
    """Counts rows of part files that appear in ``results.parquet`` and reports them stored."""

    def __init__(self, folder: Path, sink: RowSink) -> None:
        self.folder, self.sink = folder, sink
        self.seen = set(self._parts())
        self.counted = 0

    def _parts(self) -> list[str]:
        return [p.name for p in self.folder.glob("part-*.parquet")] if self.folder.exists() else []

    def poll(self) -> None:
        for name in self._parts():
            if name not in self.seen:
                self.seen.add(name)
                n = pq.read_metadata(self.folder / name).num_rows
                self.counted += n
                self.sink.stored(n)


def _run_with_progress(spark: Any, job: Any, group: str, watcher: _PartWatcher) -> list[Any]:
    """Collect ``job`` in a thread while the watcher follows stored rows; cancel on Ctrl-C."""
    from phibench.spark.session import context

    sc = context(spark)  # None for Spark Connect: no job group, Ctrl-C then stops only the driver
    box: dict[str, Any] = {}

    def collect() -> None:
        try:
            if sc is not None:
                sc.setJobGroup(group, "phibench run", interruptOnCancel=True)
            box["acks"] = job.collect()
        except BaseException as exc:  # noqa: BLE001 - handed to the driver thread
            box["error"] = exc

    thread = threading.Thread(target=collect, name="phibench-spark-job", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(POLL_SECONDS)
            watcher.poll()
    except KeyboardInterrupt:
        if sc is not None:
            sc.cancelJobGroup(group)
        raise
    watcher.poll()
    if "error" in box:
        raise PhibenchError(
            f"the Spark job failed: {_cause(box['error'])}. Rows finished so far are kept in "
            "results.parquet: fix the cause and rerun the same command to resume."
        ) from box["error"]
    acks = box["acks"]
    total = sum(a["stored"] for a in acks)
    if total > watcher.counted:  # a part the listing did not show yet (slow shared storage)
        watcher.sink.stored(total - watcher.counted)
    return acks


def _cause(exc: BaseException) -> str:
    """The line that says what went wrong: a Python worker's exception, else the first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    pattern = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Failure): ")
    raised = [line for line in lines if pattern.match(line)]
    return (raised[-1] if raised else lines[0] if lines else type(exc).__name__)[:500]


class _arrow_batch_size:
    """Set ``spark.sql.execution.arrow.maxRecordsPerBatch`` for the job, then put it back."""

    KEY = "spark.sql.execution.arrow.maxRecordsPerBatch"

    def __init__(self, spark: Any, n: int) -> None:
        self.spark, self.n = spark, n

    def __enter__(self) -> None:
        self.before = self.spark.conf.get(self.KEY, None)
        self.spark.conf.set(self.KEY, str(self.n))

    def __exit__(self, *exc: object) -> None:
        if self.before is None:
            self.spark.conf.unset(self.KEY)
        else:
            self.spark.conf.set(self.KEY, self.before)


def _log_workers(run_dir: Path, session_id: str) -> None:
    """Log the worker processes of this run and how often each built its plugins."""
    inflight = run_dir / "workers" / "inflight"
    shutil.rmtree(inflight / session_id, ignore_errors=True)
    if inflight.is_dir() and not any(inflight.iterdir()):
        inflight.rmdir()
    stats = []
    for path in sorted((run_dir / "workers").glob("*.json")):
        try:
            s = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if s.get("session_id") == session_id:
            stats.append(s)
    loads = sorted({n for s in stats for n in s["loads_this_run"].values()})
    log.info(
        "spark: %d worker processes; plugin builds per worker: %s; peak worker memory %.0f MB",
        len(stats), loads or [0], max((s["peak_rss_mb"] for s in stats), default=0.0),
    )
