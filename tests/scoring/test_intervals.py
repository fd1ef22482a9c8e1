import pytest

from phibench.scoring import wilson


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Textbook Wilson 95% intervals (Newcombe 1998, Table I; Agresti & Coull 1998)
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (8, 10, 0.4902, 0.9433),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_matches_published_values(k, n, low, high):
    rate = wilson(k, n)
    assert rate.value == pytest.approx(k / n)
    assert rate.ci_low == pytest.approx(low, abs=5e-4)
    assert rate.ci_high == pytest.approx(high, abs=5e-4)


def test_no_trials_gives_no_value():
    rate = wilson(0, 0)
    assert rate.value is None and rate.ci_low is None and rate.n == 0
