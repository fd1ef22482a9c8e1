"""A dataset's card: what the set is, how it is labelled, where it comes from, and how to cite it.

Every dataset plugin carries one (``Dataset.card``), so ``phibench datasets show NAME`` can print
it for a built-in set and a third party's alike, and a scorecard can name the rules its labels
follow. The card holds no data and no PHI; the fingerprint of a concrete copy is computed from the
files a run plans, never stored on the card.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetCard:
    """The facts about a dataset that do not depend on which copy of it is on disk."""

    summary: str
    """What the set is, in a paragraph: its images, their origin, what it is for."""

    label_rules: str
    """How ``has_phi`` and the regions are decided: what counts as PHI, what is boxed, by whom."""

    source: str
    """Where the files come from and how to get them (nothing is downloaded at run time)."""

    licence: str
    """The licence or data-use terms of the files (``"generated; no licence needed"`` for ours)."""

    citation: str = ""
    """How to cite the set (a reference or BibTeX); empty when there is nothing to cite."""

    format: str = ""
    """The layout of the files and labels the plugin reads (paths, tables, box convention)."""

    details: str = ""
    """Anything else worth knowing (caveats, versions), as Markdown."""
