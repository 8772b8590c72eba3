"""Tests of lossbook.resampling: Nadeau and Bengio's corrected resampled t."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from lossbook import resampling


def test_a_small_case_matches_the_closed_form():
    """d = 1, 2, 3 with n_test = n_train: s = 1, factor 1/3 + 1, t = 2 / sqrt(4/3) = sqrt(3).

    With 2 degrees of freedom Student's t has the closed-form CDF 1/2 + t / (2 sqrt(2 + t^2)), so the two-sided
    p-value is 1 - sqrt(3) / sqrt(5); the 0.975 quantile of t with 2 degrees of freedom is 4.302653 (tables).
    """
    r = resampling.corrected_resampled_t([1.0, 2.0, 3.0], n_train=50, n_test=50)
    assert r.mean == pytest.approx(2.0)
    assert r.t == pytest.approx(np.sqrt(3.0))
    assert r.p == pytest.approx(1 - np.sqrt(3.0) / np.sqrt(5.0))
    half = 4.302653 * np.sqrt(4.0 / 3.0)
    assert (r.low, r.high) == pytest.approx((2.0 - half, 2.0 + half), abs=1e-5)
    assert r.widening == pytest.approx(2.0)  # sqrt(1 + 3 * 50 / 50)


def test_without_overlap_it_is_the_ordinary_one_sample_t():
    """n_test / n_train -> 0 removes the correction: scipy's ttest_1samp gives t, p and the interval."""
    d = np.random.default_rng(3).normal(0.01, 0.02, size=30)
    r = resampling.corrected_resampled_t(d, n_train=10**12, n_test=1, confidence=0.99)
    ordinary = scipy_stats.ttest_1samp(d, 0.0)
    ci = ordinary.confidence_interval(confidence_level=0.99)
    assert r.t == pytest.approx(ordinary.statistic, rel=1e-9)
    assert r.p == pytest.approx(ordinary.pvalue, rel=1e-9)
    assert (r.low, r.high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert r.widening == pytest.approx(1.0)


def test_the_correction_divides_t_by_the_widening_and_keeps_the_mean():
    d = np.random.default_rng(4).normal(0.02, 0.03, size=20)
    naive = resampling.corrected_resampled_t(d, n_train=10**12, n_test=1)
    r = resampling.corrected_resampled_t(d, n_train=900, n_test=597)
    assert r.widening == pytest.approx(np.sqrt(1 + 20 * 597 / 900))
    assert r.t == pytest.approx(naive.t / r.widening)
    assert (r.high - r.low) == pytest.approx((naive.high - naive.low) * r.widening)
    assert (r.low + r.high) / 2 == pytest.approx(d.mean())
    assert r.p > naive.p


@pytest.mark.parametrize(
    "d, kwargs, message",
    [
        ([1.0, 2.0], {}, "at least 3 finite numbers"),
        ([1.0, np.nan, 2.0], {}, "at least 3 finite numbers"),
        ([[1.0, 2.0, 3.0]], {}, "1-D array"),
        ([1.0, 2.0, 3.0], {"n_train": 0}, "`n_train` must be an integer >= 1"),
        ([1.0, 2.0, 3.0], {"n_test": 2.5}, "`n_test` must be an integer >= 1"),
        ([1.0, 2.0, 3.0], {"confidence": 1.0}, "`confidence` must be"),
        ([0.5, 0.5, 0.5], {}, "same value on every resplit"),
    ],
)
def test_bad_input_gets_a_clear_error(d, kwargs, message):
    kwargs = {"n_train": 100, "n_test": 100, **kwargs}
    with pytest.raises(ValueError, match=message):
        resampling.corrected_resampled_t(d, **kwargs)
