"""Writes ``scorecard.json``: the versioned, machine-readable scorecard."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from phibench.reporter import Reporter


class JsonReporter(Reporter):
    def report(self, scorecard: dict[str, Any], run_dir: Path) -> None:
        tmp = run_dir / ".scorecard.json.tmp"
        tmp.write_text(json.dumps(scorecard, indent=2, default=str) + "\n")
        os.replace(tmp, run_dir / "scorecard.json")
