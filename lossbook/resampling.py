r"""Tests for comparisons repeated over resplits of one finite data set.

When every seed draws its training and test parts afresh from a generator,
the per-seed advantages are independent, and :mod:`lossbook.stats` applies.
When every seed instead reshuffles the *same* finite data set into training
and test parts, the test parts of different seeds overlap, and so do the
training parts: the advantages are positively correlated, and the ordinary
t-interval over seeds is too narrow for a claim about new data of this kind.

Nadeau and Bengio (2003) model that correlation with
:math:`\rho = n_\text{test} / (n_\text{train} + n_\text{test})` and replace the
variance factor :math:`1/J` of the mean of :math:`J` resplits by
:math:`1/J + n_\text{test}/n_\text{train}`: the *corrected resampled t*
(:func:`corrected_resampled_t`). It is a heuristic, conservative in their
simulations, and is used here as a sensitivity check beside the declared
protocol, not in its place.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lossbook._validation import check_int as _check_int
from lossbook._validation import check_rate as _check_rate

__all__ = ["CorrectedT", "corrected_resampled_t"]


@dataclasses.dataclass(frozen=True)
class CorrectedT:
    r"""The corrected resampled t of one paired sample.

    Attributes
    ----------
    mean : float
        Mean advantage over the resplits.
    t : float
        The corrected t statistic, with ``len(d) - 1`` degrees of freedom.
    p : float
        Its two-sided p-value.
    low, high : float
        The corrected t-interval for the mean at the requested confidence.
    widening : float
        How many times wider the corrected interval is than the ordinary
        one, :math:`\sqrt{1 + J\,n_\text{test}/n_\text{train}}`.
    """

    mean: float
    t: float
    p: float
    low: float
    high: float
    widening: float


def corrected_resampled_t(d, *, n_train, n_test, confidence: float = 0.95) -> CorrectedT:
    r"""Nadeau and Bengio's corrected resampled t-test of the mean of ``d``.

    For :math:`J` resplits of one data set, each training on
    :math:`n_\text{train}` rows and testing on :math:`n_\text{test}`, with
    advantages :math:`d_j` of sample variance :math:`s^2`,

    .. math::

        t = \frac{\bar d}{\sqrt{\left(\frac1J + \frac{n_\text{test}}{n_\text{train}}\right) s^2}},

    referred to Student's t with :math:`J - 1` degrees of freedom. The
    ordinary one-sample t is the case :math:`n_\text{test}/n_\text{train} = 0`.

    Parameters
    ----------
    d : array_like
        One advantage per resplit (:func:`lossbook.stats.advantage`).
    n_train, n_test : int
        Rows in each resplit's training and test parts.
    confidence : float, default 0.95
        Of the interval; ``1 - alpha / m`` for a simultaneous one over
        :math:`m` claims.

    Returns
    -------
    CorrectedT

    Examples
    --------
    >>> from lossbook import resampling
    >>> r = resampling.corrected_resampled_t([1.0, 2.0, 3.0], n_train=100, n_test=100)
    >>> round(r.t, 4), round(r.p, 4), round(r.widening, 4)  # the ordinary t would be 3.4641
    (1.7321, 0.2254, 2.0)
    """
    from scipy import stats as _stats

    d = np.asarray(d, dtype=float)
    if d.ndim != 1 or d.size < 3 or not np.all(np.isfinite(d)):
        raise ValueError(
            f"`d` must be a 1-D array of at least 3 finite numbers, one per resplit; got shape {d.shape}. "
            "Pass e.g. stats.advantage(a, b)."
        )
    _check_int(n_train, "n_train", low=1, example=158)
    _check_int(n_test, "n_test", low=1, example=158)
    _check_rate(confidence, "confidence", high=1, example=0.95)
    j = d.size
    variance = d.var(ddof=1)
    factor = 1 / j + n_test / n_train
    se = np.sqrt(factor * variance)
    mean = float(d.mean())
    if se == 0:
        raise ValueError(
            "`d` has the same value on every resplit, so the corrected t is undefined; "
            "check that the advantages were computed per resplit."
        )
    t = mean / se
    p = 2 * _stats.t.sf(abs(t), j - 1)
    half = _stats.t.ppf(0.5 + confidence / 2, j - 1) * se
    return CorrectedT(mean, float(t), float(p), mean - float(half), mean + float(half), float(np.sqrt(factor * j)))
