"""Comparing runs: ``phibench compare`` (runs side by side, paired tests on shared samples) and
the figures ``phibench gate`` tests against a baseline.

::

    runs.py        load a run directory or a scorecard.json; labels (parameters that differ)
    samples.py     the samples runs share; refusal when none, or when their labels disagree
    metrics.py     each metric per sample, and how a detection error enters it
    paired.py      differences on shared samples: exact McNemar, paired bootstrap
    unpaired.py    differences from two scorecards alone: two independent proportions
    auroc.py       AUROC differences: DeLong's paired test, or two independent AUROCs
    comparison.py  every pair of runs, corrected for multiple comparisons
    table.py       the side-by-side row of one run (compare, ``phibench table``, pixels_table)
    formats.py     terminal, Markdown, CSV, LaTeX, JSON
    html.py        ``--html FILE``: one self-contained page with the plots
"""

from phibench.compare.comparison import Comparison, Pair, adjust, as_dict, compare
from phibench.compare.metrics import DEFAULT_METRICS, METRICS
from phibench.compare.paired import Difference
from phibench.compare.runs import Run, discover, labels, load, load_all, solution
from phibench.compare.samples import Sharing

__all__ = [
    "DEFAULT_METRICS", "METRICS", "Comparison", "Difference", "Pair", "Run", "Sharing", "adjust",
    "as_dict", "compare", "discover", "labels", "load", "load_all", "solution",
]
