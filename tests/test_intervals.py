"""lossbook.intervals against independent computations: loops, scikit-learn's pinball loss, and simulation."""

import math

import numpy as np
import pytest
import sklearn.metrics

from lossbook import intervals


def _margin_by_counting(y, lower, upper, level):
    """The smallest score m with at least (n + 1) * level of the n scores at or below it, by trying each."""
    scores = [max(lo - t, t - hi) for t, lo, hi in zip(y, lower, upper)]
    return min(m for m in scores if sum(s <= m for s in scores) >= (len(scores) + 1) * level - 1e-9)


def test_coverage_matches_a_loop_and_counts_the_edges_as_inside():
    rng = np.random.default_rng(0)
    y, centre = rng.normal(size=50), rng.normal(size=50)
    lower, upper = centre - 1.0, centre + 1.0
    inside = sum(lo <= t <= hi for t, lo, hi in zip(y, lower, upper))
    assert intervals.coverage(y, lower, upper) == pytest.approx(inside / 50)
    assert intervals.coverage([1.0, 2.0], [1.0, 0.0], [3.0, 2.0]) == 1.0


def test_coverage_gives_one_value_per_seed():
    y = np.array([0.0, 1.0, 2.0])
    lower = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]])
    result = intervals.coverage(y, lower, lower + 1.5)
    np.testing.assert_allclose(result, [2 / 3, 0.0])


@pytest.mark.parametrize("level", [0.5, 0.8, 0.95])
def test_interval_score_equals_scaled_pinball_losses_from_sklearn(level):
    rng = np.random.default_rng(1)
    y = rng.normal(size=200)
    lower = rng.normal(-1, 0.5, size=200)
    upper = lower + rng.uniform(0, 2, size=200)
    alpha = 1 - level
    expected = (
        2
        / alpha
        * (
            sklearn.metrics.mean_pinball_loss(y, lower, alpha=alpha / 2)
            + sklearn.metrics.mean_pinball_loss(y, upper, alpha=1 - alpha / 2)
        )
    )
    assert intervals.interval_score(y, lower, upper, coverage=level) == pytest.approx(expected, rel=1e-12)


def test_interval_score_by_hand():
    # widths 2 and 2; the second target lies 2 above its interval: penalty 2 / 0.2 * 2 = 20
    assert intervals.interval_score([0.0, 3.0], [-1.0, -1.0], [1.0, 1.0], coverage=0.8) == pytest.approx(12.0)


def test_interval_score_is_smallest_at_the_true_quantiles():
    rng = np.random.default_rng(2)
    y = rng.normal(size=200_000)
    z = 1.2815515655446004  # the standard normal 0.9 quantile
    best = intervals.interval_score(y, -z, z, coverage=0.8)
    for scale in (0.8, 1.25):
        assert intervals.interval_score(y, -z * scale, z * scale, coverage=0.8) > best


@pytest.mark.parametrize("n, level", [(19, 0.8), (20, 0.8), (44, 0.8), (9, 0.9), (10, 0.7), (100, 0.95)])
def test_margin_matches_counting(n, level):
    rng = np.random.default_rng(n)
    y = rng.normal(size=n)
    lower, upper = rng.normal(-0.5, 0.3, size=n), rng.normal(0.5, 0.3, size=n)
    lower, upper = np.minimum(lower, upper), np.maximum(lower, upper)
    assert intervals.conformal_margin(y, lower, upper, coverage=level) == _margin_by_counting(y, lower, upper, level)


def test_margin_by_hand_and_its_sign():
    y = [0.0, 1.0, 2.0, 3.0]
    # scores 0.5, -0.5, 0.5, 1.5; k = ceil(5 * 0.5) = 3, the third smallest is 0.5
    assert intervals.conformal_margin(y, [0.5] * 4, [1.5] * 4, coverage=0.5) == 0.5
    # an interval far too wide gets a negative margin: it is narrowed
    assert intervals.conformal_margin(y, [-10.0] * 4, [10.0] * 4, coverage=0.5) < 0


@pytest.mark.parametrize("n", [19, 20, 30])
def test_conformal_coverage_is_k_over_n_plus_one_by_simulation(n):
    """With continuous exchangeable scores the conformalised interval covers k / (n + 1) exactly."""
    rng = np.random.default_rng(3)
    trials, level = 20_000, 0.8
    y = rng.normal(size=(trials, n + 1))
    lower, upper = np.full_like(y, -0.3), np.full_like(y, 0.3)  # a bad interval: covers 0.24
    new_low, new_high = intervals.conformalise(y[:, :n], lower[:, :n], upper[:, :n], lower[:, n:], upper[:, n:], coverage=level)
    covered = np.mean((y[:, n] >= new_low[:, 0]) & (y[:, n] <= new_high[:, 0]))
    k = math.ceil((n + 1) * level - 1e-9)
    assert covered == pytest.approx(k / (n + 1), abs=4 * math.sqrt(0.25 / trials))
    assert covered >= level - 4 * math.sqrt(0.25 / trials)


def test_one_margin_per_seed():
    y = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0]])
    low, high = intervals.conformalise(
        y, np.full((2, 4), 0.5), np.full((2, 4), 1.5), np.zeros((2, 3)), np.ones((2, 3)), coverage=0.5
    )
    np.testing.assert_allclose(low, [[-0.5] * 3, [-0.5] * 3])
    np.testing.assert_allclose(high, [[1.5] * 3, [1.5] * 3])


def test_scalar_margin_broadcasts_over_new_rows():
    low, high = intervals.conformalise([0.0, 1.0, 2.0, 3.0], [0.5] * 4, [1.5] * 4, [10.0, 20.0], [11.0, 21.0], coverage=0.5)
    np.testing.assert_allclose(low, [9.5, 19.5])
    np.testing.assert_allclose(high, [11.5, 21.5])


def test_a_negative_margin_never_turns_an_interval_inside_out():
    # every calibration target at the centre of a wide interval: margin -1; the narrow new interval becomes a point
    low, high = intervals.conformalise(np.zeros(9), -np.ones(9), np.ones(9), [2.0, 0.0], [2.5, 4.0], coverage=0.5)
    np.testing.assert_allclose(low, [2.25, 1.0])
    np.testing.assert_allclose(high, [2.25, 3.0])


def test_too_few_calibration_rows_is_an_error():
    with pytest.raises(ValueError, match="too few for coverage 0.9.*at least 9"):
        intervals.conformal_margin(np.zeros(5), -np.ones(5), np.ones(5), coverage=0.9)


@pytest.mark.parametrize(
    "args, match",
    [
        (([1.0, 2.0], [0.0], [3.0, 4.0, 5.0]), "same number of rows"),
        (([1.0, 2.0], [2.0, 0.0], [1.0, 3.0]), "lower <= upper"),
        (([1.0, np.nan], [0.0, 0.0], [3.0, 3.0]), "must be finite"),
        (([], [], []), "is empty"),
        ((["a", "b"], [0.0, 0.0], [1.0, 1.0]), "real numbers"),
        ((1.0, 0.0, 2.0), "one target per row"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        intervals.coverage(*args)


@pytest.mark.parametrize("level", [0.0, 1.0, 80, True])
def test_bad_coverage(level):
    with pytest.raises(ValueError, match="coverage"):
        intervals.interval_score([0.0], [-1.0], [1.0], coverage=level)


def test_margins_per_seed_need_predictions_per_seed():
    with pytest.raises(ValueError, match="one margin per leading index"):
        intervals.conformalise(np.zeros((2, 4)), -np.ones((2, 4)), np.ones((2, 4)), [0.0], [1.0], coverage=0.5)
