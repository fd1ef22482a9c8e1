"""Prints the scorecard as tables on the terminal (stdout)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from phibench.records import Scorecard
from phibench.reporter import Reporter
from phibench_plugins.reporters import tables


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    t = Table(title=title, title_justify="left")
    for h in header:
        t.add_column(h)
    for r in rows:
        t.add_row(*r)
    return t


class TerminalReporter(Reporter):
    prints = True

    def report(self, scorecard: Scorecard, run_dir: Path) -> None:
        console = Console(width=110)
        console.print(f"[bold]{tables.title(scorecard)}[/bold]")
        console.print(_table("Confusion matrix", ("", "count"), tables.confusion_rows(scorecard)))
        console.print(_table("Detection (95% Wilson CI)", ("metric", "value [CI]", "k/n"), tables.metric_rows(scorecard)))
        if scorecard.per_category.phi:
            console.print(_table("Recall per PHI category", ("category", "image", "region"), tables.category_rows(scorecard)))
        if tables.region_rows(scorecard):
            console.print(_table("Regions, all categories", tables.REGIONS_HEADER, tables.region_rows(scorecard)))
        if scorecard.redaction:
            console.print(_table("Redaction (95% CI)", ("metric", "value [CI]", "k/n"), tables.redaction_rows(scorecard)))
            console.print(_table("Redaction run", ("", ""), tables.redaction_run_rows(scorecard)))
        console.print(_table("Run", ("", ""), tables.run_rows(scorecard)))
        console.print(f"results: {run_dir / 'results.parquet'}  scorecard: {run_dir / 'scorecard.json'}")
