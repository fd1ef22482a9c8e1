"""Writes ``scorecard.json``: the versioned, machine-readable scorecard."""

from __future__ import annotations

import json
from pathlib import Path

from phibench import files
from phibench.records import Scorecard
from phibench.reporter import Reporter


def text(scorecard: Scorecard) -> str:
    """The file's text: the record's stored form (:meth:`Scorecard.to_dict`), indented."""
    return json.dumps(scorecard.to_dict(), indent=2, default=str) + "\n"


class JsonReporter(Reporter):
    def report(self, scorecard: Scorecard, run_dir: Path) -> None:
        files.write_text(run_dir / "scorecard.json", text(scorecard))
