"""A comparison written out: terminal (rich), Markdown, CSV, LaTeX (booktabs) and JSON.

Markdown, LaTeX and the terminal show rates as ``value [low, high]``; CSV keeps numbers in
columns of their own (``recall, recall_ci_low, recall_ci_high``) for a spreadsheet or a plot.
CSV and LaTeX hold two tables, the runs and then the pairs, separated by one blank line.
"""

from __future__ import annotations

import io
import json
import sys

import pandas as pd

from phibench.compare.comparison import Comparison, as_dict
from phibench.compare.table import run_rows
from phibench.scoring.formatting import money, pct

FORMATS = ("terminal", "md", "csv", "latex", "json")


def _num(x: float | None, spec: str = ".3f") -> str:
    return "n/a" if x is None else format(x, spec)


def _p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return f"{p:.4f}" if p >= 1e-4 else f"{p:.1e}"


def metric_title(metric: str) -> str:
    return {"npv": "NPV", "f1": "F1"}.get(metric, metric.replace("_", " ").capitalize())


def _auroc(a: dict | None) -> str:
    if not a:
        return "n/a"
    if a.get("ci_low") is None:
        return f"{a['value']:.3f}"
    return f"{a['value']:.3f} [{a['ci_low']:.3f}, {a['ci_high']:.3f}]"


def runs_frame(c: Comparison) -> pd.DataFrame:
    """The runs side by side, as text; an AUROC column when any run reports a confidence."""
    rows = []
    table = run_rows(c.runs, c.metrics)
    with_auroc = any(r["auroc"] for r in table)
    for r in table:
        rows.append({
            "Solution": r["solution"],
            "Samples (errors)": f"{r['samples']} ({r['errors']})",
            **{metric_title(m): pct(r[m]) for m in c.metrics},
            **({"AUROC": _auroc(r["auroc"])} if with_auroc else {}),
            "Cost per 100k images": money(r["cost_per_100k_usd"]),
            "Throughput (images/s)": _num(r["throughput_images_per_s"], ".2f"),
        })
    return pd.DataFrame(rows)


def pairs_frame(c: Comparison) -> pd.DataFrame:
    """Every pair's differences (``b - a``), as text."""
    level = f"{1 - c.alpha:.0%}"
    rows = []
    for p in c.pairs:
        for m, d in p.differences.items():
            sig = d.p_adjusted is not None and d.p_adjusted < c.alpha
            rows.append({
                "A": p.a, "B": p.b, "Metric": m,
                "Value A": _num(d.a), "Value B": _num(d.b),
                f"B - A [{level} CI]": (f"{d.difference:+.3f} [{_num(d.ci_low, '+.3f')}, {_num(d.ci_high, '+.3f')}]"
                                        if d.difference is not None else "n/a"),
                "Test": d.test, "p": _p(d.p), f"p ({c.correction})": _p(d.p_adjusted),
                "Significant": "yes" if sig else "no",
            })
    return pd.DataFrame(rows)


def notes(c: Comparison) -> list[str]:
    """The shared-samples line, the warnings, and how the differences were tested."""
    out = [c.sharing.message()] if c.sharing else []
    out += c.warnings
    out.append(
        f"Differences are B - A; exact McNemar where the rate is a paired proportion, a paired "
        f"bootstrap ({c.resamples} resamples, seed {c.seed}) otherwise; p-values corrected by "
        f"{c.correction} over the pairs, per metric; significant at alpha={c.alpha:g}."
    )
    if any("auroc" in p.differences for p in c.pairs):
        out.append("AUROC (detectors that report a confidence): DeLong's test, paired on the shared "
                   "samples both answered; the score is each run's P(PHI).")
    return out


def _md_table(df: pd.DataFrame) -> list[str]:
    if df.empty:
        return ["(none)"]
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(esc, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(map(esc, row)) + " |" for row in df.itertuples(index=False)]
    return lines


def markdown(c: Comparison) -> str:
    lines = [f"# Comparison of {len(c.runs)} runs", "", *_md_table(runs_frame(c)), ""]
    lines += [f"- {n}" for n in notes(c)]
    lines += ["", "## Pairwise differences", "", *_md_table(pairs_frame(c))]
    return "\n".join(lines) + "\n"


def csv(c: Comparison) -> str:
    runs = []
    for r in run_rows(c.runs, c.metrics):
        row = {"solution": r["solution"], "samples": r["samples"], "errors": r["errors"]}
        for m in c.metrics:
            rate = r[m] or {}
            row |= {m: rate.get("value"), f"{m}_ci_low": rate.get("ci_low"), f"{m}_ci_high": rate.get("ci_high")}
        au = r["auroc"] or {}
        row |= {"auroc": au.get("value"), "auroc_ci_low": au.get("ci_low"), "auroc_ci_high": au.get("ci_high")}
        row |= {k: r[k] for k in ("cost_per_100k_usd", "throughput_images_per_s", "dataset", "run_dir")}
        runs.append(row)
    pairs = [
        {"a": p.a, "b": p.b, "metric": m, "value_a": d.a, "value_b": d.b, "difference": d.difference,
         "ci_low": d.ci_low, "ci_high": d.ci_high, "test": d.test, "p": d.p, "p_adjusted": d.p_adjusted,
         "significant": d.p_adjusted is not None and d.p_adjusted < c.alpha, "shared": p.shared,
         "mcnemar_p": p.mcnemar_p}
        for p in c.pairs for m, d in p.differences.items()
    ]
    buf = io.StringIO()
    pd.DataFrame(runs).to_csv(buf, index=False)
    buf.write("\n")
    pd.DataFrame(pairs).to_csv(buf, index=False)
    return buf.getvalue()


def latex(c: Comparison) -> str:
    """Two booktabs tabulars (``\\toprule``/``\\midrule``/``\\bottomrule``), for a paper."""
    parts = []
    for caption, df in (("Runs", runs_frame(c)), ("Pairwise differences", pairs_frame(c))):
        parts.append(f"% {caption}\n" + df.to_latex(index=False, escape=True))
    return "\n".join(parts)


def to_json(c: Comparison) -> str:
    return json.dumps(as_dict(c), indent=2, default=str) + "\n"


def terminal(c: Comparison) -> None:
    """Print the two tables with rich (wide enough not to cut cells when piped)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 240)
    for title, df in (("phibench compare: runs", runs_frame(c)), ("pairwise differences", pairs_frame(c))):
        table = Table(title=title)
        for col in df.columns:
            table.add_column(str(col))
        for row in df.itertuples(index=False):
            table.add_row(*map(str, row))
        console.print(table)
        if title.endswith("runs"):
            for note in notes(c):
                console.print(f"  {note}", highlight=False)


def render(c: Comparison, fmt: str) -> str:
    """``c`` in ``fmt`` (not ``terminal``, which prints itself)."""
    return {"md": markdown, "csv": csv, "latex": latex, "json": to_json}[fmt](c)
