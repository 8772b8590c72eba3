"""Tests of lossbook.stats: the declared protocol of chapter 11."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from lossbook import stats


def test_advantage_is_a_difference_or_a_log_ratio():
    np.testing.assert_allclose(stats.advantage([0.9, 0.7], [0.8, 0.8]), [0.1, -0.1])
    np.testing.assert_allclose(stats.advantage([1.0, 4.0], [2.0, 2.0], lower_is_better=True), np.log([2.0, 0.5]))
    with pytest.raises(ValueError, match="same length"):
        stats.advantage([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="errors must be positive"):
        stats.advantage([0.0, 1.0], [1.0, 1.0], lower_is_better=True)


def test_sign_flip_test_is_exact_for_small_samples():
    """Ten positive values: 2 of the 1024 sign patterns are as extreme, p = 2 / 1024."""
    d = np.linspace(0.01, 0.02, 10)
    assert stats.sign_flip_test(d) == pytest.approx(2 / 1024)
    assert stats.sign_flip_test(-d) == pytest.approx(2 / 1024)
    symmetric = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
    assert stats.sign_flip_test(symmetric) == pytest.approx(1.0)


def test_sign_flip_test_rejects_at_the_nominal_rate_under_the_null():
    rng = np.random.default_rng(1)
    p = [stats.sign_flip_test(rng.standard_normal(12), n_resamples=999, seed=k) for k in range(200)]
    assert 0.01 < np.mean(np.array(p) < 0.05) < 0.1


def test_holm_matches_its_definition():
    np.testing.assert_allclose(stats.holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(stats.holm([0.5, 0.001]), [0.5, 0.002])
    np.testing.assert_allclose(stats.holm([0.9, 0.3]), [0.9, 0.6])
    with pytest.raises(ValueError, match="numbers in \\[0, 1\\]"):
        stats.holm([1.5])


def test_interval_is_scipys_paired_t_interval():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.85, 0.01, 30), rng.normal(0.84, 0.01, 30)
    low, high = stats.interval(a - b, confidence=0.99)
    ci = scipy_stats.ttest_rel(a, b).confidence_interval(confidence_level=0.99)
    assert (low, high) == pytest.approx((ci.low, ci.high))


def test_tost_supports_equivalence_only_inside_the_margin():
    rng = np.random.default_rng(3)
    d = 0.001 * rng.standard_normal(30)
    assert stats.tost(d, 0.005) < 1e-6
    assert stats.tost(d, 0.0001) > 0.05
    assert stats.tost(d + 0.01, 0.005) > 0.5
    with pytest.raises(ValueError, match="`margin` must be a positive number"):
        stats.tost(d, 0.0)


def test_judge_gives_one_verdict_per_claim():
    rng = np.random.default_rng(4)
    noise = rng.standard_normal((5, 30))
    claims = [
        ("better, true", "better", 0.02 + 0.005 * noise[0], 0.005),
        ("better, reversed", "better", -0.02 + 0.005 * noise[1], 0.005),
        ("better, tiny", "better", 0.0002 * noise[2], 0.005),
        ("equal, true", "equal", 0.0002 * noise[3], 0.005),
        ("equal, noisy", "equal", 0.05 * noise[4], 0.005),
    ]
    verdicts = stats.judge(claims)
    assert [v.verdict for v in verdicts] == ["holds", "reversed", "equivalent", "holds", "undecided"]
    first = verdicts[0]
    assert first.low < first.mean < first.high
    low, high = stats.interval(claims[0][2], confidence=1 - 0.05 / 5)
    assert (first.low, first.high) == pytest.approx((low, high))
    with pytest.raises(ValueError, match="`kind` must be 'better' or 'equal'"):
        stats.judge([("x", "worse", noise[0], 0.1)])
    with pytest.raises(ValueError, match="at least 3 finite numbers"):
        stats.judge([("x", "better", [0.1, 0.2], 0.1)])
