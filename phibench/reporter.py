"""Base class of reporters: write or show a finished scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from phibench.config import ReportSettings
from phibench.plugin import Plugin


def report_settings(scorecard: dict[str, Any]) -> ReportSettings:
    """The run's ``report`` settings (show PHI or not, how many cases to show), read from the
    scorecard's config; defaults for a scorecard made before the node existed, where only
    ``run.show_phi`` said whether PHI may be shown."""
    config = scorecard.get("config") or {}
    node = dict(config.get("report") or {})
    legacy = (config.get("run") or {}).get("show_phi")
    if "show_phi" not in node and legacy is not None:
        node["show_phi"] = legacy
    known = set(ReportSettings.__dataclass_fields__)
    return ReportSettings(**{k: v for k, v in node.items() if k in known})


class Reporter(Plugin):
    """Turns a scorecard (the JSON-ready dict of :mod:`phibench.scoring`) into an output."""

    kind: ClassVar[str] = "reporter"

    prints: ClassVar[bool] = False
    """True for a reporter that writes to standard output: ``phibench score --json`` skips it,
    so that its output is JSON only."""

    def report(self, scorecard: dict[str, Any], run_dir: Path) -> None:
        raise NotImplementedError
