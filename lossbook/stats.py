r"""One declared protocol for judging claims about two losses trained with the same seeds.

Chapter 11's comparisons follow a protocol fixed before any result is seen:

- every claim is about one paired sample, the *advantage* of loss A over
  loss B per seed (a positive value favours A): the difference of accuracies,
  or for a mean squared error the log of the ratio ``log(mse_B / mse_A)``,
  since errors differ by factors, not by fixed amounts;
- the primary test of "no difference" is a sign-flip permutation test of the
  mean advantage (:func:`sign_flip_test`, ``scipy.stats.permutation_test``):
  under no difference each seed's advantage is as likely to be negative as
  positive;
- the primary p-values of all claims form one family, adjusted by Holm's
  step-down method (:func:`holm`), and each claim gets a simultaneous
  (Bonferroni) t-interval for the mean advantage (:func:`interval`);
- a "no difference" statement needs an equivalence test (:func:`tost`, two
  one-sided t-tests, ``scipy.stats.ttest_rel``) against a margin stated in
  advance; the equivalence p-values are a second family, also Holm-adjusted;
- :func:`judge` applies all of it and gives each claim one verdict.

Anything else (a Wilcoxon test, an unadjusted interval) is a secondary
analysis and is labelled so where it appears.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lossbook._validation import check_int as _check_int
from lossbook._validation import check_rate as _check_rate

__all__ = ["Verdict", "advantage", "holm", "interval", "judge", "sign_flip_test", "tost"]


def _sample(values, name="advantage"):
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 3 or not np.all(np.isfinite(values)):
        raise ValueError(
            f"`{name}` must be a 1-D array of at least 3 finite numbers, one per seed; got shape "
            f"{values.shape}. Pass e.g. stats.advantage(a, b)."
        )
    return values


def advantage(a, b, *, lower_is_better: bool = False) -> np.ndarray:
    r"""The advantage of loss A over loss B, seed by seed: positive when A does better.

    For a metric where higher is better (accuracy) it is ``a - b``; for an
    error (``lower_is_better=True``) the log ratio

    .. math::

        d_i = \log(b_i / a_i),

    so that 0.1 means A's error is about 10 % smaller than B's.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import stats
    >>> stats.advantage([0.9, 0.8], [0.85, 0.8]).round(3).tolist()
    [0.05, 0.0]
    >>> stats.advantage([1.0, 2.0], [2.0, 2.0], lower_is_better=True).round(3).tolist()
    [0.693, 0.0]
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"`a` and `b` must be 1-D arrays of the same length, one value per seed; got shapes {a.shape} and "
            f"{b.shape}. Train both losses with the same seeds."
        )
    if lower_is_better:
        if np.any(a <= 0) or np.any(b <= 0):
            raise ValueError("errors must be positive to take the log of their ratio; got a value <= 0.")
        return np.log(b) - np.log(a)
    return a - b


def sign_flip_test(d, *, n_resamples: int = 9999, seed: int = 0) -> float:
    r"""Two-sided p-value of a sign-flip permutation test that the mean of ``d`` is 0.

    Under "no difference" each seed's advantage is as likely to be ``-d_i`` as
    ``d_i``; the p-value is the share of random sign flips whose mean is at
    least as far from 0 as the observed one (``scipy.stats.permutation_test``
    with ``permutation_type="samples"``, which flips signs for one sample; the
    exact test when ``2**n <= n_resamples``).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import stats
    >>> p = stats.sign_flip_test(np.full(10, 0.01) + np.linspace(0, 0.001, 10))
    >>> round(p, 4)  # all 10 positive: only the all-positive and all-negative flips are as extreme
    0.002
    """
    from scipy import stats as _stats

    d = _sample(d)
    _check_int(n_resamples, "n_resamples", low=1, example=9999)
    _check_int(seed, "seed", low=0, example=0)
    result = _stats.permutation_test(
        (d,),
        np.mean,
        permutation_type="samples",
        n_resamples=n_resamples,
        alternative="two-sided",
        random_state=np.random.default_rng(seed),
    )
    return float(result.pvalue)


def holm(pvalues) -> np.ndarray:
    r"""Holm's step-down adjustment of a family of p-values.

    Sort the :math:`m` p-values, multiply the :math:`k`-th smallest by
    :math:`m - k + 1`, keep the running maximum, cap at 1. Rejecting where
    the adjusted value is below :math:`\alpha` keeps the chance of any false
    rejection in the family at most :math:`\alpha` (Holm 1979). SciPy has no
    Holm adjustment (``scipy.stats.false_discovery_control`` controls the
    false discovery rate, a different guarantee).

    Examples
    --------
    >>> from lossbook import stats
    >>> stats.holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1 or p.size == 0 or np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError(f"`pvalues` must be a non-empty 1-D array of numbers in [0, 1]; got {pvalues!r}.")
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (p.size - np.arange(p.size))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def interval(d, *, confidence: float = 0.95) -> tuple[float, float]:
    r"""The t confidence interval for the mean of ``d`` (``scipy.stats.ttest_1samp``).

    For a simultaneous interval over :math:`m` claims pass
    ``confidence = 1 - alpha / m`` (Bonferroni).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import stats
    >>> low, high = stats.interval([1.0, 2.0, 3.0])
    >>> round(low, 3), round(high, 3)
    (-0.484, 4.484)
    """
    from scipy import stats as _stats

    d = _sample(d)
    _check_rate(confidence, "confidence", high=1, example=0.95)
    ci = _stats.ttest_1samp(d, 0.0).confidence_interval(confidence_level=confidence)
    return float(ci.low), float(ci.high)


def tost(d, margin: float) -> float:
    r"""p-value of the equivalence test (TOST) that the mean of ``d`` lies within ``(-margin, margin)``.

    Two one-sided t-tests (``scipy.stats.ttest_1samp``), of mean >= margin
    and of mean <= -margin; the p-value is the larger of the two. Below
    :math:`\alpha` it supports "no difference larger than the margin", which
    failing to reject "no difference" never does.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import stats
    >>> d = np.array([0.001, -0.002, 0.0, 0.002, -0.001, 0.001])
    >>> stats.tost(d, 0.005) < 0.05, stats.tost(d, 0.0005) < 0.05
    (True, False)
    """
    from scipy import stats as _stats

    d = _sample(d)
    if not (np.isfinite(margin) and margin > 0):
        raise ValueError(f"`margin` must be a positive number, stated before the test; got {margin!r}.")
    above = _stats.ttest_1samp(d, -margin, alternative="greater").pvalue
    below = _stats.ttest_1samp(d, margin, alternative="less").pvalue
    return float(max(above, below))


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of one claim under :func:`judge`.

    Attributes
    ----------
    claim : str
    kind : {"better", "equal"}
        "A does better than B" or "A and B do equally well".
    mean : float
        Mean advantage of A over B.
    low, high : float
        Simultaneous (Bonferroni) t-interval for the mean advantage.
    p : float
        Holm-adjusted p-value of the primary sign-flip test.
    p_equivalent : float
        Holm-adjusted p-value of the equivalence test at ``margin``.
    margin : float
    verdict : str
        "holds", "reversed" (a significant difference the other way),
        "differs" (an equality claim with a significant difference),
        "equivalent" (a "better" claim whose difference lies within the
        margin), or "undecided".
    """

    claim: str
    kind: str
    mean: float
    low: float
    high: float
    p: float
    p_equivalent: float
    margin: float
    verdict: str


def judge(claims, *, alpha: float = 0.05, n_resamples: int = 9999, seed: int = 0) -> list[Verdict]:
    """Judge a family of claims by the declared protocol (module notes).

    Parameters
    ----------
    claims : sequence of (name, kind, advantage, margin)
        ``kind`` is ``"better"`` (the first loss does better) or ``"equal"``;
        ``advantage`` the per-seed advantage (:func:`advantage`); ``margin``
        the equivalence margin on the same scale.
    alpha : float, default 0.05
        Family-wise error rate of each family (differences, equivalences).
    n_resamples, seed : int
        Of the sign-flip tests.

    Returns
    -------
    list of Verdict
        In the order of ``claims``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import stats
    >>> rng = np.random.default_rng(0)
    >>> claims = [("A > B", "better", 0.01 + 0.002 * rng.standard_normal(30), 0.005),
    ...           ("C = D", "equal", 0.0005 * rng.standard_normal(30), 0.005)]
    >>> [(v.claim, v.verdict) for v in stats.judge(claims)]
    [('A > B', 'holds'), ('C = D', 'holds')]
    """
    _check_rate(alpha, "alpha", high=1, example=0.05)
    claims = list(claims)
    if not claims:
        raise ValueError("`claims` must hold at least one (name, kind, advantage, margin) tuple.")
    for name, kind, _, _ in claims:
        if kind not in ("better", "equal"):
            raise ValueError(f"claim {name!r}: `kind` must be 'better' or 'equal'; got {kind!r}.")
    samples = [_sample(d) for _, _, d, _ in claims]
    m = len(claims)
    p = holm([sign_flip_test(d, n_resamples=n_resamples, seed=seed) for d in samples])
    p_eq = holm([tost(d, margin) for d, (_, _, _, margin) in zip(samples, claims)])
    verdicts = []
    for (name, kind, _, margin), d, p_k, q_k in zip(claims, samples, p, p_eq):
        low, high = interval(d, confidence=1 - alpha / m)
        mean = float(d.mean())
        if p_k < alpha:
            outcome = ("holds" if mean > 0 else "reversed") if kind == "better" else "differs"
        elif q_k < alpha:
            outcome = "equivalent" if kind == "better" else "holds"
        else:
            outcome = "undecided"
        verdicts.append(Verdict(name, kind, mean, low, high, float(p_k), float(q_k), float(margin), outcome))
    return verdicts
