"""The per-sample pipeline: the same function runs inline and inside Spark workers.

For each file: read once, render each planned frame once, hand frames to the detector in small
batches, and turn every outcome into a result row (:class:`~phibench.records.ResultRow`). With
a redactor, a file's frames are kept until all of them have their detection; then the file is
redacted (:mod:`phibench.redaction`), reusing the frames and their OCR, and its rows carry the
redaction columns. No exception escapes for a sample: a failure at any stage becomes that
sample's error row (or redaction error), and an error is never "no PHI".
"""

from __future__ import annotations

import itertools
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from phibench import worker
from phibench.context import RunContext
from phibench.detector import Detector
from phibench.frame import Frame
from phibench.limits import DEFAULT_LIMITS, Limits
from phibench.records import Detection, GroundTruth, ResultRow, Sample, SampleError
from phibench.redaction import FileRedaction, Item, RedactionSpec
from phibench.redaction.stage import abandoned_columns
from phibench.secrets import redact_text
from phibench.sources import open_source
from phibench.specs import PluginSpec


@dataclass(frozen=True)
class Task:
    """One planned sample with its ground truth: what an executor hands to the pipeline."""

    sample: Sample
    truth: GroundTruth


@dataclass(frozen=True)
class StoreSpec:
    """Where and how often a worker appends its own rows to ``<run_dir>/results.parquet``."""

    run_dir: str
    """Absolute path of the run directory; on a cluster it must be storage every worker sees."""
    flush_rows: int = 256
    flush_seconds: float = 10.0


@dataclass(frozen=True)
class PipelineSpec:
    """Everything a worker needs to process tasks, as plain data."""

    detector: PluginSpec
    price_per_core_hour_usd: float = 0.0
    batch_size: int = 8
    """Frames handed to the detector per call (lets remote detectors work concurrently); the
    larger of ``run.batch_size`` and the detector's ``preferred_batch_size``."""
    streams: bool = False
    """Whether the detector streams (``Detector.streams``): executors size their partitions for
    it (a streaming detector wants long partitions that keep its requests in flight)."""
    session_id: str = ""
    session_started_at: float = 0.0
    store: StoreSpec | None = None
    """Set when workers store their rows themselves (Spark); the inline executor uses its sink."""
    redaction: RedactionSpec | None = None
    """Set when the run redacts: which redactor, and where the redacted files go."""
    context: RunContext | None = None
    """The run (directory, limits), handed to every plugin a worker builds."""
    retry_errors: bool = True
    """Whether samples whose stored row is an error run again (see ``run.retry_errors``)."""

    @property
    def limits(self) -> Limits:
        return self.context.limits if self.context else DEFAULT_LIMITS


Watch = Callable[[str, list[Task]], None]
"""Told ``(stage, tasks)`` whenever the samples being worked on change: ``tasks`` are all of
them (files being read and rendered, frames with the detector, a file being redacted) and
``stage`` the one that just started (``"decode"``, ``"detect"``, ``"redact"``), or ``("idle",
[])`` when none. Executors use it to know what a dead worker was doing."""

AHEAD_MIN = 8
"""Frames a streaming detector's renderer may run ahead, at least (see :func:`process`)."""


def process(
    tasks: Iterable[Task], spec: PipelineSpec, watch: Watch | None = None
) -> Iterator[list[ResultRow]]:
    """Run the pipeline over ``tasks`` (sorted by path); yield result rows as they are ready
    (file by file when redacting).

    Frames flow from the renderer to :meth:`Detector.detect_stream`. For most detectors that is
    batches of ``batch_size`` rendered in turn, as before. For a streaming detector (a remote
    model: ``Detector.streams``) a thread reads and renders ahead into a bounded queue of
    ``max(AHEAD_MIN, batch_size // 4)`` frames while the detector keeps its requests in flight,
    so neither waits on the other and memory stays bounded. Rows are the same either way; only
    their order may differ (a row is yielded when its answer comes)."""
    detector: Detector = worker.instance(spec.detector, spec.context)
    redaction = FileRedaction(spec.redaction) if spec.redaction else None
    batch_size = effective_batch_size(spec.batch_size, detector)
    where = f"{socket.gethostname()}:{os.getpid()}"
    busy = _Busy(watch)
    files = _Files(redaction, busy)
    # With a redactor, frames keep their dataset: the redaction stage counts frames and renders
    # unplanned ones from it instead of reading the file again.
    needs_header = detector.needs_header or redaction is not None
    rendered = _rendered(list(tasks), needs_header, spec.limits, busy)
    if detector.streams:
        rendered = _ahead(rendered, max(AHEAD_MIN, batch_size // 4))
    handed: dict[str, tuple[Task, float]] = {}

    def frames() -> Iterator[Frame]:
        """The rendered frames, in order; open files and failed renders are booked on the way."""
        try:
            for item in rendered:
                if isinstance(item, list):
                    files.open(item)
                    continue
                task, outcome, render_s = item
                if isinstance(outcome, SampleError):
                    det = Detection.failed(outcome)
                    files.add(task, None, det, _row(task, det, spec, where, render_s, 0.0))
                    continue
                handed[task.sample.sample_id] = (task, render_s)
                busy.start("detect", [task])
                yield outcome
        except _SourceFailed:
            raise
        except Exception as exc:  # a bug here must stop the run, not pass for the detector's
            raise _SourceFailed(f"the pipeline's frame source failed: {type(exc).__name__}") from exc

    source = frames()
    while True:
        try:
            for frame, det in detector.detect_stream(source, batch_size):
                got = handed.pop(frame.sample.sample_id, None)
                if got is None:
                    raise RuntimeError("detect_stream answered a frame it was not given")
                yield from _booked(files, busy, got[0], frame, det, got[1], detector, spec, where)
            lost = "the detector gave no result for this frame"
        except _SourceFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - the frames it held fail, closed; the rest go on
            lost = exc
        for task, render_s in list(handed.values()):  # handed over, never answered: fail closed
            err = SampleError.from_exception(task.sample.path, "detect", lost if isinstance(lost, Exception)
                                             else RuntimeError(lost))
            yield from _booked(files, busy, task, None, Detection.failed(err), render_s, detector, spec, where)
        handed.clear()
        if isinstance(lost, str):
            break
    yield from files.ready()


def _booked(files: "_Files", busy: "_Busy", task: Task, frame: Frame | None, det: Detection,
            render_s: float, detector: Detector, spec: PipelineSpec, where: str) -> Iterator[list[ResultRow]]:
    """Book one detection: its row (with its cost), and whatever rows that made ready."""
    row = _row(task, det, spec, where, render_s, detector.cost_usd(det, spec.price_per_core_hour_usd))
    files.add(task, frame, det, row)
    busy.stop("detect", [task])
    yield from files.ready()


Rendered = list[Task] | tuple[Task, Frame | SampleError, float]
"""What the renderer gives: a file's tasks as it opens the file, then each task's frame (or the
error that stands for it) with its render time."""


def _rendered(tasks: list[Task], keep_header: bool, limits: Limits, busy: "_Busy") -> Iterator[Rendered]:
    for _, group in itertools.groupby(tasks, key=lambda t: t.sample.path):
        group_tasks = list(group)
        yield group_tasks
        busy.start("decode", group_tasks)
        try:
            yield from _render_file(group_tasks, keep_header, limits)
        finally:
            busy.stop("decode", group_tasks)


class _SourceFailed(Exception):
    """The renderer itself broke (a bug, not a sample's failure): the run must not go on."""


def _ahead(items: Iterator[Rendered], size: int) -> Iterator[Rendered]:
    """``items``, produced on a thread at most ``size`` frames ahead of the consumer."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=size)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put(("failed", exc))
            return
        put(("end", None))

    thread = threading.Thread(target=produce, name="phibench-render-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "end":
                return
            if kind == "failed":
                raise _SourceFailed(f"rendering ahead failed: {type(value).__name__}") from value
            yield value
    finally:
        stop.set()
        thread.join(timeout=5)


class _Busy:
    """What this worker is working on now, told to ``watch`` whenever the files change."""

    def __init__(self, watch: Watch | None) -> None:
        self.watch = watch
        self.lock = threading.Lock()
        self.tasks: dict[tuple[str, str], Task] = {}
        self.paths: tuple[str, ...] = ()
        self.stage = "idle"

    def start(self, stage: str, tasks: list[Task]) -> None:
        self._change(stage, tasks, add=True)

    def stop(self, stage: str, tasks: list[Task]) -> None:
        self._change(stage, tasks, add=False)

    def _change(self, stage: str, tasks: list[Task], add: bool) -> None:
        if self.watch is None:
            return
        with self.lock:
            for t in tasks:
                key = (stage, t.sample.sample_id)
                if add:
                    self.tasks[key] = t
                else:
                    self.tasks.pop(key, None)
            label = stage if add else self.stage
            paths = tuple(sorted({t.sample.path for t in self.tasks.values()}))
            if (paths, label) == (self.paths, self.stage):
                return  # the same files in the same stage: the marker already says so
            self.paths, self.stage = paths, label
            if self.tasks:
                self.watch(label, list(self.tasks.values()))
            else:
                self.paths, self.stage = (), "idle"
                self.watch("idle", [])


class _Files:
    """Rows waiting for the rest of their file. Without a redactor nothing waits: rows are ready
    as soon as they exist. With one, a file's rows (and frames) wait until every planned frame
    of the file has its detection; then the file is redacted and its rows are ready."""

    def __init__(self, redaction: FileRedaction | None, busy: _Busy) -> None:
        self.redaction, self.busy = redaction, busy
        self.expected: dict[str, int] = {}
        self.items: dict[str, list[tuple[Item, ResultRow, Task]]] = {}
        self.loose: list[ResultRow] = []

    def open(self, tasks: list[Task]) -> None:
        path = tasks[0].sample.path
        self.expected[path] = self.expected.get(path, 0) + len(tasks)
        self.items.setdefault(path, [])

    def add(self, task: Task, frame: Frame | None, det: Detection, row: ResultRow) -> None:
        if self.redaction is None:
            self.loose.append(row)  # the redaction columns keep their null defaults
            return
        item = Item(task.sample, task.truth, frame, det)
        self.items[task.sample.path].append((item, row, task))

    def ready(self) -> Iterator[list[ResultRow]]:
        if self.loose:
            rows, self.loose = self.loose, []
            yield rows
        if self.redaction is None:
            return
        for path in [p for p, got in self.items.items() if len(got) >= self.expected[p]]:
            got = self.items.pop(path)
            del self.expected[path]
            tasks = [task for _, _, task in got]
            self.busy.start("redact", tasks)
            try:
                cols = self.redaction.run(path, [item for item, _, _ in got])
            finally:
                self.busy.stop("redact", tasks)
            yield [row.with_redaction(cols[item.sample.sample_id]) for item, row, _ in got]


def remaining(tasks: Iterable[Task], done: set[str], whole_files: bool) -> list[Task]:
    """The tasks still to run, given the ids ``done``. With ``whole_files`` (a redacting run) a
    file with any task to run runs whole: its redacted output is written from all its frames at
    once, never from a subset beside rows of an earlier attempt."""
    tasks = list(tasks)
    todo = [t for t in tasks if t.sample.sample_id not in done]
    if not whole_files or not todo:
        return todo
    paths = {t.sample.path for t in todo}
    return [t for t in tasks if t.sample.path in paths]


def effective_batch_size(configured: int, detector: Detector) -> int:
    """Frames per detector call: the larger of ``run.batch_size`` and the detector's
    ``preferred_batch_size`` (a remote detector asks for enough to keep its slots full)."""
    return max(int(configured), int(detector.preferred_batch_size or 0), 1)


def failed_rows(
    tasks: Iterable[Task], error: SampleError, spec: PipelineSpec
) -> list[ResultRow]:
    """Error rows for ``tasks`` without running them (e.g. a file that killed its worker). In a
    redacting run they say ``redaction=failed``, and no copy of the file stays under
    ``redacted/``: nothing vouches for one an earlier attempt may have left."""
    where = f"{socket.gethostname()}:{os.getpid()}"
    rows = [_row(t, Detection.failed(error), spec, where, 0.0, 0.0) for t in tasks]
    if spec.redaction is None:
        return rows
    message = f"redact: not redacted: {error}"
    return [r.with_redaction(abandoned_columns(spec.redaction, r.path, message)) for r in rows]


def _render_file(
    tasks: list[Task], keep_header: bool, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[Task, Frame | SampleError, float]]:
    """Read one file once and render each task's frame; failures become SampleErrors."""
    path = tasks[0].sample.path
    t0 = time.perf_counter()
    try:
        source = open_source(path, limits)  # DICOM, or PNG/JPEG/TIFF/slide by content
    except Exception as exc:  # noqa: BLE001 - recorded per sample
        err = SampleError.from_exception(path, "read", exc)
        share = (time.perf_counter() - t0) / len(tasks)
        for task in tasks:
            yield task, err, share
        return
    try:
        for task in tasks:
            t1 = time.perf_counter()
            try:
                image = source.render(task.sample.frame)
                frame = Frame(task.sample, image, source.header if keep_header else None, source.kind)
                yield task, frame, time.perf_counter() - t1
            except Exception as exc:  # noqa: BLE001 - recorded per sample
                yield task, SampleError.from_exception(path, "decode", exc), time.perf_counter() - t1
    finally:
        source.close()


def _row(
    task: Task, det: Detection, spec: PipelineSpec, where: str, render_s: float, cost: float
) -> ResultRow:
    s, err = task.sample, det.error
    return ResultRow(
        sample_id=s.sample_id,
        path=s.path,
        frame=s.frame,
        dataset=s.dataset,
        has_phi_true=task.truth.has_phi,
        has_phi_pred=det.has_phi,
        error=str(err) if err else None,
        error_stage=err.stage if err else None,
        error_type=err.exc_type if err else None,
        confidence=det.confidence,
        entities=det.entities,
        truth_regions=task.truth.regions,
        detector=spec.detector.name,
        endpoint=redact_text(det.endpoint) if det.endpoint else det.endpoint,
        input_tokens=det.usage.input_tokens,
        output_tokens=det.usage.output_tokens,
        latency_s=det.latency_s,
        attempts=det.attempts,
        cpu_s=det.cpu_s,
        render_s=render_s,
        cost_usd=cost,
        worker=where,
        session_id=spec.session_id,
        session_started_at=spec.session_started_at,
        finished_at=time.time(),
    )
