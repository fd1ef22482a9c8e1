"""Base class of reporters: write or show a finished scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from phibench.config import ReportSettings
from phibench.plugin import Plugin

if TYPE_CHECKING:
    from phibench.records import Scorecard


def report_settings(scorecard: Scorecard) -> ReportSettings:
    """The run's ``report`` settings (show PHI or not, how many cases to show), read from the
    scorecard's config; defaults for a scorecard made before the node existed, where only
    ``run.show_phi`` said whether PHI may be shown."""
    config = scorecard.config or {}
    node = dict(config.get("report") or {})
    legacy = (config.get("run") or {}).get("show_phi")
    if "show_phi" not in node and legacy is not None:
        node["show_phi"] = legacy
    known = set(ReportSettings.__dataclass_fields__)
    return ReportSettings(**{k: v for k, v in node.items() if k in known})


class Reporter(Plugin):
    """Turns a finished scorecard (:class:`~phibench.records.Scorecard`) into an output: a file
    in the run directory, the terminal, a tracking server.

    ``report`` reads the record's fields (``scorecard.metrics["recall"].value``,
    ``scorecard.confusion.fn``); ``scorecard.to_dict()`` is the JSON-ready form, the exact
    content of ``scorecard.json``. The scorecard holds no PHI; the run's rows
    (``run_dir / "results.parquet"``) do, so a reporter that reads them shows their text or
    pixels only when :func:`report_settings` says ``show_phi``."""

    kind: ClassVar[str] = "reporter"

    prints: ClassVar[bool] = False
    """True for a reporter that writes to standard output: ``phibench score --json`` skips it,
    so that its output is JSON only."""

    def report(self, scorecard: Scorecard, run_dir: Path) -> None:
        """Write or show ``scorecard``, the scorecard of the run in ``run_dir``."""
        raise NotImplementedError
