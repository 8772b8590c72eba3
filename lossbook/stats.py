r"""One declared protocol for judging claims about two losses trained with the same seeds.

Chapter 11's comparisons follow a protocol declared before its tests are run:

- every claim is about one paired sample, the *advantage* of loss A over
  loss B per seed (a positive value favours A): the difference of accuracies,
  or for a mean squared error the log of the ratio ``log(mse_B / mse_A)``,
  since errors differ by factors, not by fixed amounts;
- the primary test of "no difference" is a sign-flip permutation test of the
  mean advantage: under no difference each seed's advantage is as likely to
  be negative as positive. :func:`sign_flip` draws at least 100,000 random
  sign patterns (all :math:`2^n` of them when that is fewer), sums each
  pattern from tables of partial sums in a fixed order (so that no figure
  depends on the processor), and returns the Monte Carlo standard error of
  its p-value with it; :func:`sign_flip_table` lists every pattern for a
  handful of seeds;
- the primary p-values of all claims form one family, adjusted by Holm's
  step-down method (:func:`holm`); a claim whose adjusted p-value lies
  within three Monte Carlo standard errors of :math:`\alpha` is tested again
  with ten times as many patterns, up to a million, and what is still that
  close is called *borderline*, not given a verdict either way;
- each claim gets a simultaneous (Bonferroni) interval for the mean
  advantage: the sign-flip test inverted (:func:`sign_flip_interval`, the
  shifts the test does not reject), or a :math:`t`-interval (:func:`interval`);
- a "no difference" statement needs an equivalence test (:func:`tost`, two
  one-sided t-tests) against a margin stated in advance; the equivalence
  p-values are a second family, also Holm-adjusted;
- :func:`judge` applies all of it and gives each claim one verdict.

:func:`sign_flip_test` is the earlier form of the test (SciPy's
``permutation_test`` with 9,999 patterns, no Monte Carlo error), kept so that
results computed with it can be reproduced; ``judge(..., precise=True)``
uses :func:`sign_flip`. Anything else (a Wilcoxon test, an unadjusted
interval) is a secondary analysis and is labelled so where it appears.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lossbook._validation import check_int as _check_int
from lossbook._validation import check_rate as _check_rate

__all__ = [
    "BORDERLINE_SE",
    "N_PATTERNS",
    "SignFlip",
    "SignFlipTable",
    "Verdict",
    "advantage",
    "holm",
    "interval",
    "judge",
    "sign_flip",
    "sign_flip_interval",
    "sign_flip_table",
    "sign_flip_test",
    "tost",
]

#: Sign patterns :func:`sign_flip` and :func:`judge` draw unless told otherwise.
N_PATTERNS = 100_000

#: Monte Carlo standard errors within which an adjusted p-value counts as borderline.
BORDERLINE_SE = 3.0


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

    SciPy computes the two-sided p-value as twice the smaller one-sided one,
    each with the observed sample counted among the ``B = n_resamples``
    random patterns, so the smallest p-value it can return is
    :math:`2 / (B + 1)`: 0.0002 for the default 9,999 patterns. For verdicts
    use :func:`sign_flip`, which draws at least 100,000 patterns and reports
    the Monte Carlo error; this function keeps the results computed with it
    reproducible.

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


class _Patterns:
    """Sign patterns of ``n`` seeds, one bit per seed (1 = flip) packed eight to a byte: (patterns, bytes) uint8.

    Every pattern when :math:`2^n` <= ``n_resamples`` (``exact``); otherwise ``n_resamples`` random ones, and
    :meth:`draw` continues the same random stream in further chunks.
    """

    def __init__(self, n: int, n_resamples: int, seed: int):
        self.n, self.bytes = n, -(-n // 8)
        self.exact = n <= 62 and 2**n <= n_resamples
        self._rng = np.random.default_rng(seed)
        if self.exact:
            codes = np.arange(2**n, dtype="<u8")
            self.codes = codes.view(np.uint8).reshape(-1, 8)[:, : self.bytes]
        else:
            self.codes = self.draw(n_resamples)

    def draw(self, count: int) -> np.ndarray:
        codes = self._rng.integers(0, 256, size=(count, self.bytes), dtype=np.uint8)
        codes[:, -1] &= np.uint8((1 << (self.n - 8 * (self.bytes - 1))) - 1)  # no bits beyond the last seed
        return codes


def _byte_tables(samples: np.ndarray) -> np.ndarray:
    """For each byte of a pattern, the sum of the flipped values of every sample for each of its 256 values.

    ``samples`` is (n, claims); the result (bytes, 256, claims). Built by additions in a fixed order, so the
    sums do not depend on the processor or a linear-algebra library.
    """
    n, claims = samples.shape
    padded = np.zeros((8 * (-(-n // 8)), claims))
    padded[:n] = samples
    tables = np.zeros((padded.shape[0] // 8, 256, claims))
    for j in range(tables.shape[0]):
        for bit in range(8):
            tables[j, 1 << bit : 2 << bit] = tables[j, : 1 << bit] + padded[8 * j + bit]
    return tables


def _flipped_sums(codes: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """Sum of the flipped values of every sample under every pattern: (patterns, claims)."""
    sums = tables[0][codes[:, 0]]
    for j in range(1, codes.shape[1]):
        sums += tables[j][codes[:, j]]
    return sums


def _count_flipped(codes: np.ndarray) -> np.ndarray:
    """Number of seeds each pattern flips."""
    return np.unpackbits(codes, axis=1).sum(axis=1, dtype=np.int64)


def _extreme(d: np.ndarray, flipped: np.ndarray) -> int:
    """Patterns whose mean is at least as far from 0 as the observed mean (room for rounding in ties)."""
    total = d.sum()
    return int(np.count_nonzero(np.abs(total - 2.0 * flipped) >= abs(total) - 1e-9 * np.abs(d).sum()))


def _p_value(extreme: int, patterns: int, exact: bool) -> tuple[float, float]:
    """Two-sided p-value and its Monte Carlo standard error from the count of patterns as extreme."""
    if exact:
        return extreme / patterns, 0.0
    p = (1 + extreme) / (patterns + 1)
    return p, math.sqrt(p * (1 - p) / patterns)


def _shift_bounds(d: np.ndarray, flipped: np.ndarray, n_flipped: np.ndarray, level: float, exact: bool):
    """The shifts d0 at which the sign-flip test of ``d - d0`` does not reject at ``level``: (low, high)."""
    n, total = d.size, d.sum()
    # A pattern's mean of d - d0 is at least as far from 0 as the observed one exactly when d0 lies between
    # the mean of the flipped values and the mean of the kept ones; a pattern that flips all or none counts
    # at every d0, and so does the observed sample itself in the Monte Carlo count.
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_flipped = np.where(n_flipped > 0, flipped / n_flipped, np.nan)
        mean_kept = np.where(n_flipped < n, (total - flipped) / (n - n_flipped), np.nan)
    everywhere = (n_flipped == 0) | (n_flipped == n)
    lows = np.where(everywhere, -np.inf, np.fmin(mean_flipped, mean_kept))
    highs = np.where(everywhere, np.inf, np.fmax(mean_flipped, mean_kept))
    observed = 0 if exact else 1  # the Monte Carlo count holds the observed sample too, at every d0
    needed = max(1, math.ceil(level * (lows.size + observed) - 1e-9)) - observed  # for p >= level
    if needed < 1:
        return -math.inf, math.inf
    low = np.partition(lows, needed - 1)[needed - 1]
    high = -np.partition(-highs, needed - 1)[needed - 1]
    return float(low), float(high)


@dataclasses.dataclass(frozen=True)
class SignFlip:
    """The outcome of :func:`sign_flip`.

    Attributes
    ----------
    p : float
        Two-sided p-value.
    se : float
        Its Monte Carlo standard error, :math:`\\sqrt{p(1 - p) / B}` for
        :math:`B` random patterns; 0 when every pattern was enumerated.
    patterns : int
        Sign patterns used.
    exact : bool
        Whether they were all :math:`2^n` patterns.
    """

    p: float
    se: float
    patterns: int
    exact: bool


def sign_flip(d, *, n_resamples: int = N_PATTERNS, seed: int = 0) -> SignFlip:
    r"""Two-sided sign-flip test that the mean of ``d`` is 0, with the Monte Carlo error of its p-value.

    Each sign pattern :math:`s \in \{-1, +1\}^n` gives the mean
    :math:`\frac1n \sum_i s_i d_i`; the p-value is the share of patterns whose
    mean is at least as far from 0 as the observed :math:`\bar d`. When
    :math:`2^n \le` ``n_resamples`` every pattern is enumerated and the test is
    exact (the all-plus and all-minus patterns always count, so the floor is
    :math:`2 / 2^n`). Otherwise :math:`B` = ``n_resamples`` random patterns
    are drawn and :math:`p = (1 + k) / (B + 1)`, with :math:`k` the patterns as
    extreme and the observed sample counted once (a valid p-value; its floor
    is :math:`1 / (B + 1)`). Each pattern's sum is read from tables of partial
    sums, eight seeds to a table, added in a fixed order.

    The null hypothesis is that each seed's advantage is *symmetric about 0*
    (as likely to be :math:`-d_i` as :math:`d_i`), which is stronger than a
    mean of 0: with a skewed advantage, such as one stuck run far out on one
    side, a small p-value rejects symmetry as much as it locates the mean.

    Parameters
    ----------
    d : array_like
        One advantage per seed (:func:`advantage`).
    n_resamples : int, default 100_000
        Random sign patterns; 100,000 puts the standard error of a p-value
        near 0.01 at about 0.0003.
    seed : int, default 0
        Of the random patterns.

    Returns
    -------
    SignFlip

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import stats
    >>> stats.sign_flip(np.linspace(0.01, 0.02, 10))  # all 1024 patterns, 2 as extreme
    SignFlip(p=0.001953125, se=0.0, patterns=1024, exact=True)
    >>> d = 0.006 + 0.01 * np.random.default_rng(5).standard_normal(30)  # 30 seeds: 100,000 random patterns
    >>> result = stats.sign_flip(d)
    >>> round(result.p, 4), round(result.se, 4), result.patterns
    (0.0227, 0.0005, 100000)
    """
    d = _sample(d)
    _check_int(n_resamples, "n_resamples", low=1, example=N_PATTERNS)
    _check_int(seed, "seed", low=0, example=0)
    patterns = _Patterns(d.size, n_resamples, seed)
    flipped = _flipped_sums(patterns.codes, _byte_tables(d[:, None]))[:, 0]
    p, se = _p_value(_extreme(d, flipped), flipped.size, patterns.exact)
    return SignFlip(p, se, flipped.size, patterns.exact)


def sign_flip_interval(d, *, confidence: float = 0.95, n_resamples: int = N_PATTERNS, seed: int = 0) -> tuple[float, float]:
    r"""Confidence interval for the centre of ``d`` that matches the sign-flip test: the shifts it does not reject.

    The interval holds every :math:`d_0` for which :func:`sign_flip` of
    :math:`d - d_0`, with the same patterns (same ``n_resamples`` and
    ``seed``), gives :math:`p \ge 1 - \text{confidence}`. So 0 lies outside
    the interval exactly when the test rejects "no difference" at that level.
    It is computed in closed form: a pattern counts for :math:`d_0` when
    :math:`d_0` lies between the mean of the values it flips and the mean of
    the values it keeps, so each bound is an order statistic of those means.

    The interval assumes what the test assumes: that the advantages, less
    their centre :math:`d_0`, are symmetric about 0 (which makes the centre
    both mean and median); with a skewed advantage it is a range of plausible
    centres of symmetry, not a guaranteed range for the mean.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import stats
    >>> d = [0.004, 0.012, 0.009, -0.002, 0.007, 0.010, 0.001, 0.006]
    >>> low, high = stats.sign_flip_interval(d)  # exact: all 256 patterns
    >>> round(low, 4), round(high, 4)
    (0.0017, 0.0097)
    >>> stats.sign_flip(np.subtract(d, low)).p >= 0.05, stats.sign_flip(np.subtract(d, low - 1e-4)).p >= 0.05
    (True, False)
    """
    d = _sample(d)
    _check_rate(confidence, "confidence", high=1, example=0.95)
    _check_int(n_resamples, "n_resamples", low=1, example=N_PATTERNS)
    _check_int(seed, "seed", low=0, example=0)
    patterns = _Patterns(d.size, n_resamples, seed)
    flipped = _flipped_sums(patterns.codes, _byte_tables(d[:, None]))[:, 0]
    return _shift_bounds(d, flipped, _count_flipped(patterns.codes), 1 - confidence, patterns.exact)


@dataclasses.dataclass(frozen=True)
class SignFlipTable:
    """Every sign pattern of a few seeds' advantages, from :func:`sign_flip_table`; ``print`` shows the table.

    Attributes
    ----------
    d : numpy.ndarray
        The advantages, one per seed.
    signs : numpy.ndarray
        ``(2**n, n)`` array of +1 and -1, one row per pattern; row 0 keeps every sign.
    means : numpy.ndarray
        Mean of each pattern's signed advantages.
    extreme : numpy.ndarray
        Whether the pattern's mean is at least as far from 0 as the observed one.
    p : float
        Share of the patterns that are as extreme: the exact two-sided p-value.
    """

    d: np.ndarray
    signs: np.ndarray
    means: np.ndarray
    extreme: np.ndarray
    p: float

    def __str__(self) -> str:
        head = " ".join(f"{f'seed {i}':>8}" for i in range(self.d.size))
        lines = [f"pattern {head}      mean  as extreme?"]
        for row, (signs, mean, extreme) in enumerate(zip(self.signs, self.means, self.extreme)):
            cells = " ".join(f"{s * x:+8.4f}" for s, x in zip(signs, self.d))
            lines.append(f"{row:7d} {cells}  {mean:+.5f}  {'yes' if extreme else ''}")
        count = int(self.extreme.sum())
        lines.append(f"{count} of {self.signs.shape[0]} patterns as extreme as the observed: p = {self.p:.4f}")
        return "\n".join(lines)


def sign_flip_table(d) -> SignFlipTable:
    r"""The sign-flip test worked by hand: every pattern of signs of a few seeds' advantages, and the exact p-value.

    With :math:`n` seeds there are :math:`2^n` ways to give each advantage a
    sign; under "no difference" (each advantage symmetric about 0) all are
    equally likely. The p-value is the share whose mean is at least as far
    from 0 as the observed one. Meant for up to 10 seeds; :func:`sign_flip`
    does the same for many.

    Examples
    --------
    >>> from lossbook import stats
    >>> table = stats.sign_flip_table([0.012, 0.004, 0.009, -0.002])
    >>> print(table)
    pattern   seed 0   seed 1   seed 2   seed 3      mean  as extreme?
          0  +0.0120  +0.0040  +0.0090  -0.0020  +0.00575  yes
          1  -0.0120  +0.0040  +0.0090  -0.0020  -0.00025
          2  +0.0120  -0.0040  +0.0090  -0.0020  +0.00375
          3  -0.0120  -0.0040  +0.0090  -0.0020  -0.00225
          4  +0.0120  +0.0040  -0.0090  -0.0020  +0.00125
          5  -0.0120  +0.0040  -0.0090  -0.0020  -0.00475
          6  +0.0120  -0.0040  -0.0090  -0.0020  -0.00075
          7  -0.0120  -0.0040  -0.0090  -0.0020  -0.00675  yes
          8  +0.0120  +0.0040  +0.0090  +0.0020  +0.00675  yes
          9  -0.0120  +0.0040  +0.0090  +0.0020  +0.00075
         10  +0.0120  -0.0040  +0.0090  +0.0020  +0.00475
         11  -0.0120  -0.0040  +0.0090  +0.0020  -0.00125
         12  +0.0120  +0.0040  -0.0090  +0.0020  +0.00225
         13  -0.0120  +0.0040  -0.0090  +0.0020  -0.00375
         14  +0.0120  -0.0040  -0.0090  +0.0020  +0.00025
         15  -0.0120  -0.0040  -0.0090  +0.0020  -0.00575  yes
    4 of 16 patterns as extreme as the observed: p = 0.2500
    >>> table.p == stats.sign_flip([0.012, 0.004, 0.009, -0.002]).p
    True
    """
    d = np.asarray(d, dtype=float)
    if d.ndim != 1 or not 1 <= d.size <= 10 or not np.all(np.isfinite(d)):
        raise ValueError(
            f"`d` must be a 1-D array of 1 to 10 finite advantages, one per seed (the table has 2**n rows); got "
            f"shape {d.shape}. For more seeds use stats.sign_flip(d)."
        )
    flips = (np.arange(2**d.size)[:, None] >> np.arange(d.size)) & 1
    signs = 1.0 - 2.0 * flips
    means = signs @ d / d.size
    tie = 1e-9 * np.abs(d).sum() / d.size
    extreme = np.abs(means) >= abs(d.mean()) - tie
    return SignFlipTable(d, signs, means, extreme, float(extreme.mean()))


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
        Simultaneous (Bonferroni) interval for the mean advantage: a
        :math:`t`-interval, or the sign-flip test inverted
        (:func:`sign_flip_interval`), as ``judge`` was asked.
    p : float
        Holm-adjusted p-value of the primary sign-flip test.
    p_equivalent : float
        Holm-adjusted p-value of the equivalence test at ``margin``.
    margin : float
    verdict : str
        "holds" (a "better" claim with a significant difference its way, or
        an "equal" claim the equivalence test supports), "reversed" (a
        significant difference the other way), "differs" (an equality claim
        with a significant difference that the equivalence test does not
        place within the margin), "equivalent" (a "better" claim whose
        difference lies within the margin), "borderline" (``p`` within a few
        Monte Carlo standard errors of :math:`\alpha`, so that the sign
        patterns drawn cannot tell on which side it lies), or "undecided".
    p_se : float
        Monte Carlo standard error of ``p``: the Holm factor times the raw
        p-value's error, 0 when every sign pattern was enumerated.
    note : str
        Why a verdict is borderline, or that a significant difference is
        smaller than the margin; empty otherwise.
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
    p_se: float = 0.0
    note: str = ""


def _holm_se(pvalues: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """Standard errors of Holm-adjusted p-values: the raw error of the p-value that sets each adjusted one, scaled."""
    order = np.argsort(pvalues, kind="stable")
    scaled = pvalues[order] * (pvalues.size - np.arange(pvalues.size))
    scaled_errors = errors[order] * (pvalues.size - np.arange(pvalues.size))
    setter = np.zeros(pvalues.size, dtype=int)
    for k in range(1, pvalues.size):
        setter[k] = k if scaled[k] >= scaled[setter[k - 1]] else setter[k - 1]
    adjusted_errors = np.empty_like(errors)
    adjusted_errors[order] = scaled_errors[setter]
    return adjusted_errors


def _scipy_p_values(samples, n_resamples, seed):
    """p-values of :func:`sign_flip_test` and their Monte Carlo errors (2 sqrt(p1 (1 - p1) / B), p1 = p / 2)."""
    pvalues = np.array([sign_flip_test(d, n_resamples=n_resamples, seed=seed) for d in samples])
    random = np.array([2**d.size > n_resamples for d in samples])
    half = pvalues / 2
    return pvalues, np.where(random, 2 * np.sqrt(half * (1 - half) / n_resamples), 0.0)


def judge(
    claims,
    *,
    alpha: float = 0.05,
    n_resamples: int | None = None,
    seed: int = 0,
    precise: bool = False,
    intervals: str | None = None,
    borderline: float = BORDERLINE_SE,
    max_resamples: int = 1_000_000,
) -> list[Verdict]:
    r"""Judge a family of claims by the declared protocol (module notes).

    Parameters
    ----------
    claims : sequence of (name, kind, advantage, margin)
        ``kind`` is ``"better"`` (the first loss does better) or ``"equal"``;
        ``advantage`` the per-seed advantage (:func:`advantage`); ``margin``
        the equivalence margin on the same scale.
    alpha : float, default 0.05
        Family-wise error rate of each family (differences, equivalences).
    n_resamples : int, optional
        Random sign patterns per test: by default 100,000 with
        ``precise=True``, 9,999 without.
    seed : int, default 0
        Of the random sign patterns.
    precise : bool, default False
        Test with :func:`sign_flip` (one set of patterns shared by every
        claim with the same number of seeds, Monte Carlo errors, exact
        enumeration for few seeds) and, unless ``intervals`` says otherwise,
        report sign-flip intervals. ``False`` keeps the earlier
        :func:`sign_flip_test` and :math:`t`-intervals, so that results
        computed with them are reproduced.
    intervals : {"sign-flip", "t"}, optional
        The simultaneous interval of each claim, at level
        :math:`1 - \alpha / m` for :math:`m` claims: the sign-flip test
        inverted (:func:`sign_flip_interval`), which excludes 0 only when
        the claim's Bonferroni test rejects and so never contradicts a
        rejection it reports; or the :math:`t`-interval (:func:`interval`).
        Holm can reject a claim whose Bonferroni interval still touches 0.
        Default ``"sign-flip"`` with ``precise=True``, ``"t"`` without.
    borderline : float, default 3.0
        A claim is "borderline" when its Holm-adjusted p-value would fall on
        the other side of ``alpha`` if every raw p-value moved by this many
        Monte Carlo standard errors. 0 switches the rule off.
    max_resamples : int, default 1_000_000
        With ``precise=True``, a family in which some claim is borderline
        is tested again with ten times as many patterns (the first
        ``n_resamples`` are the same), and so on up to this many; what is
        still borderline then is reported so. The intervals use the first
        ``n_resamples`` patterns.

    Returns
    -------
    list of Verdict
        In the order of ``claims``.

    Notes
    -----
    An "equal" claim is judged by the equivalence test first: when it
    supports equivalence within the margin the claim holds, even where the
    difference test also finds a (real but negligible) difference, which the
    verdict's ``note`` then says.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import stats
    >>> rng = np.random.default_rng(0)
    >>> claims = [("A > B", "better", 0.01 + 0.002 * rng.standard_normal(30), 0.005),
    ...           ("C = D", "equal", 0.0005 * rng.standard_normal(30), 0.005)]
    >>> [(v.claim, v.verdict) for v in stats.judge(claims)]
    [('A > B', 'holds'), ('C = D', 'holds')]
    >>> first = stats.judge(claims, precise=True)[0]
    >>> first.verdict, round(first.p, 5), first.p_se > 0
    ('holds', 2e-05, True)
    """
    intervals, n_resamples = _judge_settings(alpha, seed, precise, intervals, n_resamples, max_resamples, borderline)
    claims = _checked_claims(claims)
    samples = [_sample(d) for _, _, d, _ in claims]
    level = alpha / len(claims)
    counts = _SignFlips.count(samples, n_resamples, seed, level, intervals) if precise or intervals == "sign-flip" else None
    bounds = [interval(d, confidence=1 - level) for d in samples] if intervals == "t" else counts.bounds

    def adjust():
        if precise:
            raw, raw_se = counts.p_values()
        else:
            raw, raw_se = _scipy_p_values(samples, n_resamples, seed)
        at_least = holm(np.clip(raw - borderline * raw_se, 0.0, 1.0))
        at_most = holm(np.clip(raw + borderline * raw_se, 0.0, 1.0))
        return holm(raw), _holm_se(raw, raw_se), (at_least < alpha) != (at_most < alpha)

    p, p_se, unsure = adjust()
    # Where the patterns drawn cannot place a claim, draw more (continuing the same stream), up to max_resamples.
    while precise and np.any(unsure & ~counts.exact) and counts.patterns.max() < max_resamples:
        counts.draw_more(n_resamples, max_resamples)
        p, p_se, unsure = adjust()
    p_eq = holm([tost(d, margin) for d, (_, _, _, margin) in zip(samples, claims)])

    verdicts = []
    for k, ((name, kind, _, margin), d) in enumerate(zip(claims, samples)):
        mean = float(d.mean())
        outcome, note = _outcome(kind, mean, p[k] < alpha, p_eq[k] < alpha, margin)
        if unsure[k] and not (kind == "equal" and p_eq[k] < alpha):
            outcome = "borderline"
            note = (
                f"p {p[k]:.4f} lies within {borderline:g} Monte Carlo standard errors ({p_se[k]:.4f} each) "
                f"of {alpha:g}; more sign patterns would settle it"
            )
        low, high = bounds[k]
        verdicts.append(
            Verdict(
                name,
                kind,
                mean,
                float(low),
                float(high),
                float(p[k]),
                float(p_eq[k]),
                float(margin),
                outcome,
                float(p_se[k]),
                note,
            )
        )
    return verdicts


def _judge_settings(alpha, seed, precise, intervals, n_resamples, max_resamples, borderline):
    """Check :func:`judge`'s settings; return the kind of interval and the number of sign patterns."""
    _check_rate(alpha, "alpha", high=1, example=0.05)
    _check_int(seed, "seed", low=0, example=0)
    if not isinstance(precise, (bool, np.bool_)):
        raise ValueError(f"`precise` must be True or False; got {precise!r}.")
    if intervals is None:
        intervals = "sign-flip" if precise else "t"
    if intervals not in ("sign-flip", "t"):
        raise ValueError(f"`intervals` must be 'sign-flip' or 't'; got {intervals!r}.")
    if n_resamples is None:
        n_resamples = N_PATTERNS if precise else 9999
    _check_int(n_resamples, "n_resamples", low=1, example=N_PATTERNS)
    _check_int(max_resamples, "max_resamples", low=1, example=1_000_000)
    if not (isinstance(borderline, (int, float)) and np.isfinite(borderline) and borderline >= 0):
        raise ValueError(f"`borderline` must be a number of standard errors, 0 or more (e.g. 3.0); got {borderline!r}.")
    return intervals, n_resamples


def _checked_claims(claims) -> list:
    claims = list(claims)
    if not claims:
        raise ValueError("`claims` must hold at least one (name, kind, advantage, margin) tuple.")
    for claim in claims:
        if not (isinstance(claim, (tuple, list)) and len(claim) == 4):
            raise ValueError(f"each claim must be a (name, kind, advantage, margin) tuple; got {claim!r}.")
        if claim[1] not in ("better", "equal"):
            raise ValueError(f"claim {claim[0]!r}: `kind` must be 'better' or 'equal'; got {claim[1]!r}.")
    return claims


def _outcome(kind, mean, differs, equivalent, margin) -> tuple[str, str]:
    """The verdict on one claim from its two tests, and a note; "borderline" is decided by :func:`judge`."""
    within = f"a real difference, but within the margin {margin:g}"
    if kind == "equal" and equivalent:
        return "holds", within if differs else ""
    if differs:
        outcome = ("holds" if mean > 0 else "reversed") if kind == "better" else "differs"
        return outcome, within if equivalent else ""
    return ("equivalent" if equivalent else "undecided"), ""


@dataclasses.dataclass
class _SignFlips:
    """The sign patterns of a family of claims: one set per sample size, shared by the claims of that size.

    For each claim: how many patterns gave a sum at least as extreme as the
    observed one, how many were drawn, whether they enumerate every pattern,
    and its simultaneous sign-flip interval (or None).
    """

    samples: list
    extreme: np.ndarray
    patterns: np.ndarray
    exact: np.ndarray
    groups: dict
    bounds: list

    @classmethod
    def count(cls, samples, n_resamples, seed, level, intervals) -> "_SignFlips":
        m = len(samples)
        found = cls(samples, np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64), np.zeros(m, dtype=bool), {}, [None] * m)
        for n in sorted({d.size for d in samples}):
            members = [k for k, d in enumerate(samples) if d.size == n]
            drawn = _Patterns(n, n_resamples, seed)
            tables = _byte_tables(np.column_stack([samples[k] for k in members]))
            sums = _flipped_sums(drawn.codes, tables)
            found.groups[n] = (members, drawn, tables)
            n_flipped = _count_flipped(drawn.codes) if intervals == "sign-flip" else None
            for column, k in enumerate(members):
                found.extreme[k], found.patterns[k] = _extreme(samples[k], sums[:, column]), sums.shape[0]
                found.exact[k] = drawn.exact
                if intervals == "sign-flip":
                    found.bounds[k] = _shift_bounds(samples[k], sums[:, column], n_flipped, level, drawn.exact)
        return found

    def p_values(self):
        """The p-value of every claim and its Monte Carlo error."""
        return np.array([_p_value(*args) for args in zip(self.extreme, self.patterns, self.exact)]).T

    def draw_more(self, n_resamples, max_resamples) -> None:
        """Nine times as many patterns again for every drawn group (continuing its stream), up to ``max_resamples``."""
        extra = min(9 * int(self.patterns.max()), max_resamples - int(self.patterns.max()))
        for members, drawn, tables in self.groups.values():
            if drawn.exact:
                continue
            for start in range(0, extra, n_resamples):
                sums = _flipped_sums(drawn.draw(min(n_resamples, extra - start)), tables)
                for column, k in enumerate(members):
                    self.extreme[k] += _extreme(self.samples[k], sums[:, column])
                    self.patterns[k] += sums.shape[0]
