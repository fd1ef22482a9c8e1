"""Writes ``scorecard.json``: the versioned, machine-readable scorecard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from phibench import files
from phibench.reporter import Reporter


class JsonReporter(Reporter):
    def report(self, scorecard: dict[str, Any], run_dir: Path) -> None:
        files.write_text(run_dir / "scorecard.json", json.dumps(scorecard, indent=2, default=str) + "\n")
