"""``phibench compare --html FILE``: the comparison for people, one self-contained page.

The runs side by side (each rate with its interval, AUROC, cost, throughput), every metric's
rates across the runs with their interval bars, cost vs recall, the ROC curves of detectors that
report a confidence, the pairwise differences as tables and forest plots (significant ones after
the correction in red), the notes on shared samples and tests, and each run's provenance.

Like ``report.html`` it links to nothing and loads nothing (plots are PNG data URIs, CSS is
inline, a Content-Security-Policy forbids the rest), and it holds no PHI: only figures computed
from the runs' scorecards and results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from markupsafe import Markup

from phibench import figures, page
from phibench.compare.auroc import METRIC as AUROC
from phibench.compare.comparison import Comparison
from phibench.compare.formats import metric_title, notes, pairs_frame, runs_frame
from phibench.compare.table import run_rows

TEMPLATE = page.head(""".plots { display: flex; flex-wrap: wrap; gap: 12px; } tr.significant td { background: #fde8e8; }
""") + """<body>
<h1>{{ title }}</h1>
<ul class="note" id="notes">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>

<h2 id="runs">Runs side by side</h2>
{{ runs_table }}

<h2 id="rates">Rates across runs</h2>
<div class="plots">{% for name, src in rate_plots %}<img class="plot" data-kind="plot" data-metric="{{ name }}" alt="{{ name }} per run" src="{{ src }}">{% endfor %}</div>

<h2 id="cost">Cost vs recall</h2>
{% if cost_plot %}<img class="plot" data-kind="plot" alt="cost vs recall" src="{{ cost_plot }}">{% else %}<p class="note">No recall or cost to plot.</p>{% endif %}

<h2 id="roc">ROC curves</h2>
{% if roc_plot %}<img class="plot" data-kind="plot" alt="ROC curves" src="{{ roc_plot }}">
<p class="note">Runs whose detector reports a confidence: {{ roc_runs }}.</p>{% else %}<p class="note">No run reports a confidence.</p>{% endif %}

<h2 id="differences">Pairwise differences</h2>
<div class="plots">{% for name, src in diff_plots %}<img class="plot" data-kind="plot" data-metric="{{ name }}" alt="{{ name }} differences" src="{{ src }}">{% endfor %}</div>
<table id="pairs"><tr>{% for c in pair_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for sig, row in pair_rows %}<tr{% if sig %} class="significant"{% endif %}>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>

<h2 id="provenance">Provenance</h2>
<table><tr><th>run</th><th>where</th><th>dataset fingerprint</th><th>phibench</th><th>started</th><th>hardware</th></tr>
{% for r in provenance %}<tr>{% for c in r %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>
</body></html>
"""


def _provenance(c: Comparison) -> list[tuple[str, ...]]:
    out = []
    for r in c.runs:
        prov = r.scorecard.provenance or {}
        hw = prov.get("hardware") or {}
        out.append((
            r.label, str(r.path), str(prov.get("dataset_fingerprint") or "n/a"),
            _version(r.scorecard.versions or {}),
            str(prov.get("started_at") or "n/a"),
            ", ".join(f"{hw[k]}{' cores' if k == 'cores' else ''}" for k in ("cpu_model", "cores") if hw.get(k)) or "n/a",
        ))
    return out


def _version(v: Mapping[str, Any]) -> str:
    lib = (v.get("libraries") or {}).get("phibench") or "n/a"
    return f"{lib} (git {str(v['git_revision'])[:10]})" if v.get("git_revision") else str(lib)


def render(c: Comparison) -> str:
    """The page, as text."""
    rows = run_rows(c.runs, c.metrics)
    rate_plots = [(m, figures.rates([(r["solution"], r[m]) for r in rows], f"{metric_title(m)}, 95% intervals", m))
                  for m in c.metrics]
    rate_plots.append((AUROC, figures.rates([(r["solution"], r["auroc"]) for r in rows],
                                            "AUROC, DeLong 95% intervals", "AUROC")))
    tested = [*c.metrics, AUROC]
    diff_plots = []
    for m in tested:
        drawn = [(f"{p.b} - {p.a}", d.difference, d.ci_low, d.ci_high,
                  d.p_adjusted is not None and d.p_adjusted < c.alpha)
                 for p in c.pairs if (d := p.differences.get(m)) is not None]
        diff_plots.append((m, figures.differences(drawn, f"{metric_title(m)}: B - A")))
    curves = [(r.label, tf.to_dict()) for r in c.runs if (tf := r.scorecard.threshold_free)]
    pairs = pairs_frame(c)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(TEMPLATE).render(
        title=f"phibench comparison of {len(c.runs)} runs",
        notes=notes(c),
        runs_table=Markup(runs_frame(c).to_html(index=False, escape=True, border=0)),
        rate_plots=[(m, src) for m, src in rate_plots if src],
        cost_plot=figures.cost_vs_recall(
            [{"label": r["solution"], "recall": r.get("recall"), "cost": r["cost_per_100k_usd"]}
             for r in _with_recall(c, rows)], highlight_first=False, title="cost per 100k images vs recall"),
        roc_plot=figures.roc_curves(curves),
        roc_runs=", ".join(label for label, _ in curves),
        diff_plots=[(m, src) for m, src in diff_plots if src],
        pair_columns=list(pairs.columns),
        pair_rows=[(row[-1] == "yes", list(row)) for row in pairs.itertuples(index=False)],
        provenance=_provenance(c),
    )


def _with_recall(c: Comparison, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run rows with each run's recall, whether or not ``recall`` is among the compared metrics."""
    if "recall" in c.metrics:
        return rows
    return [r | {"recall": rate.to_dict() if (rate := run.scorecard.metrics.get("recall")) else None}
            for r, run in zip(rows, c.runs)]
