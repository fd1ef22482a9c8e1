"""Image-level confusion counts. Errors are counted apart, never as negatives."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd
from sklearn.metrics import confusion_matrix

from phibench.scoring.intervals import Rate, wilson


RATE_NAMES: tuple[str, ...] = (
    "recall", "precision", "specificity", "npv", "accuracy", "f1",
    "recall_fail_closed", "specificity_fail_closed", "coverage", "error_rate",
)
"""The scorecard's ``metrics``, in the order :meth:`Confusion.rates` gives them and reports show
them: the one list ``phibench compare``, ``phibench gate`` and the reporters name metrics from."""


@dataclass(frozen=True)
class Confusion:
    """Counts of one run or one partition; :meth:`merge` adds partitions together."""

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    errors: int = 0
    """Samples without an answer (any stage failed). Not in tp/fp/tn/fn."""
    errors_on_phi: int = 0
    """Errors on samples whose ground truth has PHI."""
    errors_on_no_phi: int = 0
    unlabeled: int = 0
    """Answered samples without ground truth (folder datasets may leave labels out)."""

    @classmethod
    def from_results(cls, df: pd.DataFrame) -> "Confusion":
        failed = df["error"].notna() | df["has_phi_pred"].isna()
        labeled = df["has_phi_true"].notna()
        answered = df[~failed & labeled]
        tn, fp, fn, tp = (
            confusion_matrix(
                answered["has_phi_true"].astype(bool),
                answered["has_phi_pred"].astype(bool),
                labels=[False, True],
            ).ravel()
            if len(answered)
            else (0, 0, 0, 0)
        )
        truth = df.loc[failed, "has_phi_true"]
        return cls(
            tp=int(tp),
            fp=int(fp),
            tn=int(tn),
            fn=int(fn),
            errors=int(failed.sum()),
            errors_on_phi=int((truth == True).sum()),  # noqa: E712 - nullable column
            errors_on_no_phi=int((truth == False).sum()),  # noqa: E712
            unlabeled=int((~failed & ~labeled).sum()),
        )

    def merge(self, other: "Confusion") -> "Confusion":
        a, b = asdict(self), asdict(other)
        return Confusion(**{k: a[k] + b[k] for k in a})

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn + self.errors + self.unlabeled

    def rates(self) -> dict[str, Rate]:  # keys: RATE_NAMES, in that order
        """Detection rates over answered, labeled samples, each with a 95% Wilson interval.

        ``recall_fail_closed`` and ``specificity_fail_closed`` count each error as a positive
        answer (what a fail-closed pipeline does: it redacts). ``coverage`` is the share of
        labeled samples that got an answer. F1's interval treats it as ``tp`` out of
        ``tp + (fp + fn) / 2``, its effective number of trials.
        """
        tp, fp, tn, fn = self.tp, self.fp, self.tn, self.fn
        labeled = tp + fp + tn + fn + self.errors_on_phi + self.errors_on_no_phi
        return {
            "recall": wilson(tp, tp + fn),
            "precision": wilson(tp, tp + fp),
            "specificity": wilson(tn, tn + fp),
            "npv": wilson(tn, tn + fn),
            "accuracy": wilson(tp + tn, tp + fp + tn + fn),
            "f1": wilson(tp, tp + (fp + fn) / 2),
            "recall_fail_closed": wilson(tp + self.errors_on_phi, tp + fn + self.errors_on_phi),
            "specificity_fail_closed": wilson(tn, tn + fp + self.errors_on_no_phi),
            "coverage": wilson(labeled - self.errors_on_phi - self.errors_on_no_phi, labeled),
            "error_rate": wilson(self.errors, self.total, higher_is_better=False),
        }
