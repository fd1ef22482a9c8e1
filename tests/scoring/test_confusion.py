import pandas as pd

from phibench.scoring import Confusion


def frame(rows):
    return pd.DataFrame(rows, columns=["has_phi_true", "has_phi_pred", "error"]).astype(
        {"has_phi_true": "boolean", "has_phi_pred": "boolean"}
    )


def test_counts_keep_errors_apart_from_negatives():
    df = frame(
        [
            (True, True, None), (True, False, None), (False, False, None), (False, True, None),
            (True, None, "decode: X: y"), (False, None, "read: X: y"), (None, True, None),
        ]
    )
    c = Confusion.from_results(df)
    assert (c.tp, c.fn, c.tn, c.fp) == (1, 1, 1, 1)
    assert (c.errors, c.errors_on_phi, c.errors_on_no_phi, c.unlabeled) == (2, 1, 1, 1)
    rates = c.rates()
    assert rates["recall"].value == 0.5 and rates["recall"].n == 2
    # fail closed: the errored PHI sample counts as flagged
    assert rates["recall_fail_closed"].value == 2 / 3
    assert rates["specificity_fail_closed"].value == 1 / 3
    assert rates["coverage"].value == 4 / 6


def test_merge_of_partitions_equals_the_whole():
    rows = [(True, True, None), (False, True, None), (True, None, "x"), (False, False, None), (True, False, None)]
    whole = Confusion.from_results(frame(rows))
    parts = Confusion.from_results(frame(rows[:2])).merge(Confusion.from_results(frame(rows[2:])))
    assert parts == whole and whole.total == 5


def test_the_rates_are_the_metric_names_every_table_uses_in_their_order():
    from phibench.compare import METRICS
    from phibench.scoring.confusion import RATE_NAMES, Confusion
    from phibench_plugins.reporters.tables import METRIC_ORDER

    assert tuple(Confusion(tp=3, fp=1, tn=2, fn=1).rates()) == RATE_NAMES == METRICS == METRIC_ORDER
