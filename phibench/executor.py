"""Base class of executors: where the per-sample pipeline runs (in process, on Spark, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

from phibench.pipeline import PipelineSpec, Task
from phibench.plugin import Plugin
from phibench.records import ResultRow


class RowSink(Protocol):
    """Where an executor delivers finished work, on the driver."""

    def __call__(self, rows: list[ResultRow]) -> None:
        """Store these finished result rows (and count them as done). A row that must cross to
        another process travels as :meth:`ResultRow.to_record` (plain data) and comes back with
        :meth:`ResultRow.from_record`."""

    def stored(self, n: int) -> None:
        """Count ``n`` rows that a worker already stored in ``results.parquet`` itself."""


class Executor(Plugin):
    """Runs :func:`phibench.pipeline.process` over tasks and hands every finished row to a sink.

    An executor decides only *where* work runs. It must deliver each task's row exactly once,
    keep going when a sample fails (the pipeline already turns failures into rows), and deliver
    rows as they finish so that an interrupted run keeps them.
    """

    kind: ClassVar[str] = "executor"

    def execute(self, tasks: Sequence[Task], pipeline: PipelineSpec, sink: RowSink) -> None:
        raise NotImplementedError
