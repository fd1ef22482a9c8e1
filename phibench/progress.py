"""The progress bar of a run: driven by finished samples, drawn on stderr, never showing PHI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextmanager
def progress_bar(total: int, completed: int = 0, *, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``, to be called with the number of samples just finished."""
    progress = Progress(
        TextColumn("[bold]phibench"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("samples"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )
    with progress:
        task = progress.add_task("run", total=total, completed=completed)
        yield lambda n: progress.advance(task, n)
