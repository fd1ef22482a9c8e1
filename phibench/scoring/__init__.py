"""Scoring: from ``results.parquet`` alone to a scorecard (counts that merge, rates with intervals)."""

from phibench.scoring.confusion import Confusion
from phibench.scoring.intervals import Rate, wilson
from phibench.scoring.scorecard import SCHEMA_VERSION, build_scorecard

__all__ = ["SCHEMA_VERSION", "Confusion", "Rate", "build_scorecard", "wilson"]
