"""Base class of reporters: write or show a finished scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from phibench.plugin import Plugin


class Reporter(Plugin):
    """Turns a scorecard (the JSON-ready dict of :mod:`phibench.scoring`) into an output."""

    kind: ClassVar[str] = "reporter"

    prints: ClassVar[bool] = False
    """True for a reporter that writes to standard output: ``phibench score --json`` skips it,
    so that its output is JSON only."""

    def report(self, scorecard: dict[str, Any], run_dir: Path) -> None:
        raise NotImplementedError
