"""The in-process executor: the per-sample pipeline in this Python process, for debugging and
small runs. The Spark executor runs the very same pipeline function in its workers."""

from __future__ import annotations

from collections.abc import Sequence

from phibench.executor import Executor, RowSink
from phibench.pipeline import PipelineSpec, Task, process


class InlineExecutor(Executor):
    """Runs every task here, in order, handing rows to the sink as each batch finishes."""

    def execute(self, tasks: Sequence[Task], pipeline: PipelineSpec, sink: RowSink) -> None:
        for rows in process(tasks, pipeline):
            sink(rows)
