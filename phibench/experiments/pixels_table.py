"""The Pixels announcement's comparison table, from the runs of one sweep.

``phibench run -m +experiment=pixels_table`` runs each detector of the sweep over one dataset;
when the sweep ends, Hydra calls :class:`PixelsTableCallback`, which reads every run's
``scorecard.json`` and writes ``pixels_table.md`` / ``pixels_table.json`` in the sweep folder, in
the announcement's layout: solution, cost per 100k images, recall, precision, specificity, NPV --
here each with its 95% Wilson interval, and with the endpoint that answered. ``phibench table
DIR ...`` rebuilds it from any run folders.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from phibench import files
from phibench.scoring.formatting import money, pct

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
    """Every ``scorecard.json`` in ``dirs`` or their sub-folders, in sweep order."""
    found: list[Path] = []
    for d in dirs:
        if (d / "scorecard.json").is_file():
            found.append(d / "scorecard.json")
        else:
            found.extend(sorted(d.glob("*/scorecard.json"), key=_job_order))
    return [json.loads(p.read_text()) | {"run_dir": str(p.parent)} for p in found]


def _job_order(path: Path) -> tuple[int, str]:
    head = path.parent.name.split("_", 1)[0]
    return (int(head) if head.isdigit() else 1 << 30, path.parent.name)


def solution(sc: dict[str, Any]) -> str:
    """How a run is named in the table: detector, its model or OCR, and its endpoint."""
    d = sc.get("detector", {})
    name = str(d.get("name", "?"))
    extra = d.get("model") or d.get("ocr")
    label = f"{name} ({extra})" if extra else name
    if sc.get("simulated"):
        label += " [SIMULATED endpoint]"
    return label


def rows(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for sc in cards:
        cost = sc.get("cost_per_100k_usd")
        out.append(
            {
                "solution": solution(sc),
                "cost_per_100k_usd": cost,
                **{k: sc.get("metrics", {}).get(k) for k in COLUMNS},
                "samples": sc.get("samples"),
                "errors": sc.get("confusion", {}).get("errors"),
                "endpoints": sc.get("endpoints", []),
                "dataset": sc.get("dataset"),
                "run_dir": sc.get("run_dir"),
            }
        )
    return out


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
