"""Base class of executors: where the per-sample pipeline runs (in process, on Spark, ...)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from phibench.pipeline import PipelineSpec, Task
from phibench.plugin import Plugin

RowSink = Callable[[list[dict[str, Any]]], None]
"""Called on the driver with each batch of finished result rows, as soon as they exist."""


class Executor(Plugin):
    """Runs :func:`phibench.pipeline.process` over tasks and hands every finished row to a sink.

    An executor decides only *where* work runs. It must deliver each task's row exactly once,
    keep going when a sample fails (the pipeline already turns failures into rows), and deliver
    rows as they finish so that an interrupted run keeps them.
    """

    kind: ClassVar[str] = "executor"

    def execute(self, tasks: Sequence[Task], pipeline: PipelineSpec, sink: RowSink) -> None:
        raise NotImplementedError
