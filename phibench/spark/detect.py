"""Worker side of :class:`~phibench.spark.PhiDetector`: batches of paths → detection columns.

Each input row names a DICOM file (and, optionally, a frame). Rows become pipeline tasks, the
same :func:`phibench.pipeline.process` as ``phibench run`` answers them with the detector cached
in this worker process, and the answers come back as columns of the same row. Without a frame
column every frame of the file is examined and the answers combine: PHI in any frame is PHI; no
answer for some frame and PHI in none is no answer (an error is never "no PHI").
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pandas as pd

from phibench.pipeline import PipelineSpec, Task, process
from phibench.records import GroundTruth, ResultRow, Sample
from phibench.sources import count_frames
from phibench.spark.rows import result_type
from phibench.spark.threads import worker_plugin

USAGE_FIELDS = ("input_tokens", "output_tokens", "latency_s", "cpu_s", "cost_usd")
"""Result columns summed over a file's frames into ``usage``."""
USAGE_TYPE = "struct<" + ",".join(f"{name}:{result_type(name)}" for name in USAGE_FIELDS) + ">"
DETECTION_SCHEMA = (
    f"has_phi {result_type('has_phi_pred')}, entities {result_type('entities')}, "
    f"error {result_type('error')}, usage {USAGE_TYPE}"
)
"""Columns :class:`~phibench.spark.PhiDetector` adds: ``has_phi`` (null when there is no answer),
``entities`` (JSON list; each entity with its ``frame``), ``error`` (``stage: type: message``)
and ``usage`` (tokens, seconds, USD). Types are those of the result columns they come from
(:class:`~phibench.records.ResultRow`: ``has_phi_pred``, ``entities``, ``error``, usage's)."""

DETECTION_COLUMNS = ["has_phi", "entities", "error", "usage"]

CHUNK_ROWS = 64
"""Input rows answered, and handed back to Spark, at a time: results stream, nothing piles up."""


def detect_batches(
    batches: Iterator[pd.DataFrame],
    spec: PipelineSpec,
    path_col: str,
    frame_col: str | None,
    threads: int,
) -> Iterator[pd.DataFrame]:
    """``mapInPandas`` function: each batch comes back with the detection columns appended."""
    worker_plugin(spec.detector, threads)  # built once per worker process
    for pdf in batches:
        for start in range(0, len(pdf), CHUNK_ROWS):
            chunk = pdf.iloc[start : start + CHUNK_ROWS].reset_index(drop=True)
            yield chunk.assign(**detection_columns(chunk, spec, path_col, frame_col))


def detection_columns(
    chunk: pd.DataFrame, spec: PipelineSpec, path_col: str, frame_col: str | None
) -> dict[str, list[Any]]:
    """The detection columns for ``chunk``'s rows, in order."""
    frames = chunk[frame_col].tolist() if frame_col else [None] * len(chunk)
    tasks: list[Task] = []
    for i, (path, frame) in enumerate(zip(chunk[path_col].tolist(), frames, strict=True)):
        path = "" if path is None else str(path)
        wanted = [int(frame)] if frame is not None and frame == frame else range(_frames(path))
        tasks += [Task(Sample(f"{i}#{f}", path, f, "dataframe"), GroundTruth(None)) for f in wanted]
    tasks.sort(key=lambda t: (t.sample.path, t.sample.frame))
    answers: dict[int, list[ResultRow]] = defaultdict(list)
    for rows in process(tasks, spec):
        for row in rows:
            answers[int(row.sample_id.split("#", 1)[0])].append(row)
    out: dict[str, list[Any]] = {name: [] for name in DETECTION_COLUMNS}
    for i in range(len(chunk)):
        for name, value in combine(sorted(answers[i], key=lambda r: r.frame)).items():
            out[name].append(value)
    return out


def combine(rows: list[ResultRow]) -> dict[str, Any]:
    """One file's answer from its frames' result rows. The rows' entities are the detector's
    records (never encoded and decoded again here); each is written with its ``frame``."""
    errors = [r for r in rows if r.error is not None]
    found = any(r.has_phi_pred for r in rows if r.error is None)
    has_phi = True if found else (None if errors or not rows else False)
    error = None
    if has_phi is None:
        first = errors[0] if errors else None
        error = "no frame to examine" if first is None else (
            first.error if len(rows) == 1 else f"frame {first.frame}: {first.error}"
        )
    entities = [{**asdict(entity), "frame": r.frame} for r in rows for entity in r.entities]
    usage = {
        "input_tokens": sum(int(r.input_tokens or 0) for r in rows),
        "output_tokens": sum(int(r.output_tokens or 0) for r in rows),
        "latency_s": sum(float(r.latency_s or 0.0) for r in rows),
        "cpu_s": sum(float(r.cpu_s or 0.0) for r in rows),
        "cost_usd": sum(float(r.cost_usd or 0.0) for r in rows),
    }
    return {"has_phi": has_phi, "entities": json.dumps(entities), "error": error, "usage": usage}


def _frames(path: str) -> int:
    """Frames of ``path`` from its header; 1 when it can't be read (the error shows as a row)."""
    try:
        return max(1, count_frames(path))
    except Exception:  # noqa: BLE001 - the pipeline reports the real error for this file
        return 1
