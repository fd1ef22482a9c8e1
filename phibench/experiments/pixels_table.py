"""The Pixels announcement's comparison table, from the runs of one sweep.

``phibench run -m +experiment=pixels_table`` runs each detector of the sweep over one dataset;
when the sweep ends, Hydra calls :class:`PixelsTableCallback`, which reads every run's
``scorecard.json`` and writes ``pixels_table.md`` / ``pixels_table.json`` in the sweep folder, in
the announcement's layout: solution, cost per 100k images, recall, precision, specificity, NPV --
here each with its 95% Wilson interval, and with the endpoint that answered. ``phibench table
DIR ...`` rebuilds it from any run folders. It is one view of the table ``phibench compare``
shows (the same rows, :mod:`phibench.compare.table`), without the paired tests.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from phibench import files
from phibench.compare.runs import SCORECARD, discover, labels, solution
from phibench.compare.table import run_row
from phibench.exceptions import ConfigError
from phibench.scoring.formatting import money, pct

__all__ = ["PixelsTableCallback", "markdown", "rows", "scorecards", "solution", "write"]

log = logging.getLogger(__name__)

COLUMNS = ("recall", "precision", "specificity", "npv")
TABLE_MD = "pixels_table.md"
TABLE_JSON = "pixels_table.json"

PUBLISHED = (
    ("ISV (commercial)", "$4,400 per month prepaid", 1.0, 0.71, 0.93, 1.0),
    ("Presidio (OSS)", "$0", 0.7, 0.7, 0.95, 0.95),
    ("Claude 3.7 Sonnet", "$270", 1.0, 1.0, 1.0, 1.0),
    ("GPT-4o", "$150", 1.0, 1.0, 1.0, 1.0),
    ("Llama 4 Maverick (OSS)", "$45", 1.0, 0.91, 0.98, 1.0),
)
"""The announcement's own figures (MIDI-B, 70 images), quoted for reference, never measured here."""


def scorecards(dirs: list[Path]) -> list[dict[str, Any]]:
    """Every ``scorecard.json`` in ``dirs`` or their sub-folders, in sweep order (none: empty)."""
    found: list[Path] = []
    for d in dirs:
        try:
            found.extend(discover([d]))
        except ConfigError:  # a sweep whose every job failed still gets its (empty) table
            log.warning("no runs in %s", d)
    cards = [(p, p if p.is_file() else p / SCORECARD) for p in found]
    return [json.loads(f.read_text()) | {"run_dir": str(p)} for p, f in cards if f.is_file()]


def rows(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs' rows of the comparison table (:func:`phibench.compare.table.run_row`), with
    this view's four rates; runs of one detector are told apart by the parameters that differ."""
    return [run_row(sc, label, COLUMNS) for sc, label in zip(cards, labels(cards))]


def markdown(table: list[dict[str, Any]]) -> str:
    datasets = sorted({str(r["dataset"]) for r in table})
    lines = [
        f"# PHI detection in DICOM images: {', '.join(datasets) or '(no runs)'}",
        "",
        "| Solution | Cost per 100k images | Recall | Precision | Specificity | NPV | Samples (errors) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        cells = " | ".join(pct(r[k]) for k in COLUMNS)
        lines.append(f"| {r['solution']} | {money(r['cost_per_100k_usd'])} | {cells} | {r['samples']} ({r['errors']}) |")
    lines += [
        "",
        "Rates with 95% Wilson intervals; errors are scored apart (never as \"no PHI\"). Endpoints: "
        + ("; ".join(f"{r['solution']}: {', '.join(r['endpoints']) or 'local'}" for r in table) or "none"),
        "",
        "For reference, the announcement's published figures (MIDI-B, 70 images; not measured here):",
        "",
        "| Solution | Cost Estimates per 100k images | Recall | Precision | Specificity | NPV |",
        "|---|---|---|---|---|---|",
        *(f"| {s} | {c} | {r} | {p} | {sp} | {n} |" for s, c, r, p, sp, n in PUBLISHED),
    ]
    return "\n".join(lines) + "\n"


def write(dirs: list[Path], out_dir: Path) -> Path:
    """Build the table from the runs in ``dirs`` and write it to ``out_dir``; the Markdown path."""
    table = rows(scorecards(dirs))
    out_dir.mkdir(parents=True, exist_ok=True)
    files.write_text(out_dir / TABLE_JSON, json.dumps(table, indent=2, default=str))
    return files.write_text(out_dir / TABLE_MD, markdown(table))


try:
    from hydra.experimental.callback import Callback
except ImportError:  # pragma: no cover - hydra is a dependency
    Callback = object  # type: ignore[assignment,misc]


class PixelsTableCallback(Callback):  # type: ignore[misc]
    """Hydra callback: when the sweep ends, write the table in the sweep folder and print it."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        md = write([sweep_dir], sweep_dir)
        print(md.read_text())
        print(f"table written to {md}")
