r"""Prediction intervals: their coverage, their interval score, and split-conformal calibration (chapter 12).

An interval :math:`[\ell_i, u_i]` for each row aims to hold the target with
probability ``coverage`` (for example 0.8, from the 0.1 and 0.9 quantiles).

- :func:`coverage` is the share of rows whose target lies inside;
- :func:`interval_score` (Gneiting & Raftery 2007; Winkler 1972) adds the
  width to a penalty for every miss, so a wide interval cannot buy coverage
  for free. With :math:`\alpha = 1 - \text{coverage}`,

  .. math::

      S_\alpha(\ell, u; y) = (u - \ell) + \tfrac{2}{\alpha}(\ell - y)_+ + \tfrac{2}{\alpha}(y - u)_+ ,

  which equals :math:`\tfrac{2}{\alpha}` times the sum of the pinball losses
  of :math:`\ell` at :math:`\alpha/2` and of :math:`u` at :math:`1 - \alpha/2`;
- :func:`conformal_margin` and :func:`conformalise` are split-conformal
  quantile regression, CQR (Romano, Patterson & Candès 2019): on calibration
  rows used for nothing else, each row's score is how far its target lies
  outside the interval, :math:`E_i = \max(\ell_i - y_i,\ y_i - u_i)`
  (negative inside). The margin is the :math:`\lceil (n + 1)(1 - \alpha) \rceil`-th
  smallest of the :math:`n` scores, and :math:`[\ell - m, u + m]` then covers
  a new exchangeable row with probability at least :math:`1 - \alpha`.

Every function reduces over the last axis, so a leading axis (one row of
predictions per seed) gives one value per seed.
"""

from __future__ import annotations

import math

import numpy as np

from lossbook import _validation as _v

__all__ = ["conformal_margin", "conformalise", "coverage", "interval_score"]


def _arrays(y, lower, upper):
    """Targets and bounds as float64 arrays broadcast to one shape; the last axis holds the rows."""
    arrays = [_v.as_float_array(a, name) for a, name in ((y, "y"), (lower, "lower"), (upper, "upper"))]
    for a, name in zip(arrays, ("y", "lower", "upper")):
        _v.check_nonempty(a, name)
        _v.check_finite(a, name)
    if arrays[0].ndim == 0:
        raise ValueError("`y` must hold one target per row; got a single number. Pass an array of shape (n,).")
    try:
        y, lower, upper = np.broadcast_arrays(*arrays)
    except ValueError:
        raise ValueError(
            f"`y`, `lower` and `upper` must have the same number of rows (last axis); got shapes "
            f"{arrays[0].shape}, {arrays[1].shape} and {arrays[2].shape}. Pass e.g. split.y_test with "
            "predictions of shape (n,) or (seeds, n)."
        ) from None
    if np.any(lower > upper):
        where = np.argwhere(lower > upper)[0]
        raise ValueError(
            f"every interval needs lower <= upper; got lower {lower[tuple(where)]:.6g} above upper "
            f"{upper[tuple(where)]:.6g} at index {tuple(int(i) for i in where)}. Two quantile models can cross: "
            "sort them first, e.g. np.minimum(lower, upper) and np.maximum(lower, upper)."
        )
    return y, lower, upper


def _level(value):
    _v.check_scalar(value, "coverage", low=0, high=1, low_open=True, high_open=True, example=0.8)
    return float(value)


def _out(values):
    return float(values) if np.ndim(values) == 0 else values


def coverage(y, lower, upper):
    r"""Share of the rows whose target lies in its closed interval :math:`[\ell_i, u_i]`.

    Parameters
    ----------
    y, lower, upper : array_like, shape (..., n)
        Targets and the bounds of each row's interval; they broadcast
        together (e.g. ``y`` of shape (n,) with bounds of shape (seeds, n)).

    Returns
    -------
    float or numpy.ndarray
        One share per leading index.

    Raises
    ------
    ValueError
        If an input is empty, not finite, the shapes do not broadcast, or a
        lower bound lies above its upper bound.

    Examples
    --------
    >>> from lossbook import intervals
    >>> intervals.coverage([1.0, 2.0, 5.0], [0.0, 2.0, 0.0], [1.0, 3.0, 4.0])
    0.6666666666666666
    """
    y, lower, upper = _arrays(y, lower, upper)
    return _out(np.mean((y >= lower) & (y <= upper), axis=-1))


def interval_score(y, lower, upper, *, coverage):
    r"""Mean interval (Winkler) score of intervals that aim at ``coverage``; lower is better.

    .. math::

        \bar S = \frac1n \sum_i (u_i - \ell_i) + \tfrac{2}{\alpha}(\ell_i - y_i)_+ + \tfrac{2}{\alpha}(y_i - u_i)_+ ,
        \qquad \alpha = 1 - \text{coverage}.

    It is a proper score for the pair of quantiles at :math:`\alpha/2` and
    :math:`1 - \alpha/2`: their true values minimise its expectation.

    Parameters
    ----------
    y, lower, upper : array_like, shape (..., n)
        As in :func:`coverage`.
    coverage : float
        The nominal coverage, in (0, 1); 0.8 for a 0.1-0.9 interval.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from lossbook import intervals
    >>> round(intervals.interval_score([0.0, 3.0], [-1.0, -1.0], [1.0, 1.0], coverage=0.8), 6)
    12.0
    """
    alpha = 1.0 - _level(coverage)
    y, lower, upper = _arrays(y, lower, upper)
    penalty = np.maximum(lower - y, 0.0) + np.maximum(y - upper, 0.0)
    return _out(np.mean(upper - lower + 2.0 / alpha * penalty, axis=-1))


def conformal_margin(y, lower, upper, *, coverage):
    r"""The split-conformal (CQR) margin from calibration rows.

    With the scores :math:`E_i = \max(\ell_i - y_i,\ y_i - u_i)` of the
    :math:`n` calibration rows, the margin is their
    :math:`k`-th smallest, :math:`k = \lceil (n + 1)\,\text{coverage} \rceil`.
    It is negative when the interval is too wide (CQR then narrows it).

    Parameters
    ----------
    y, lower, upper : array_like, shape (..., n)
        Targets and the model's interval on calibration rows that chose
        nothing else (not the rows that trained it or chose its settings).
    coverage : float
        Target coverage, in (0, 1).

    Returns
    -------
    float or numpy.ndarray
        One margin per leading index.

    Raises
    ------
    ValueError
        If :math:`k > n`: too few calibration rows for this coverage (the
        margin would be infinite).

    Examples
    --------
    >>> from lossbook import intervals
    >>> y = [0.0, 1.0, 2.0, 3.0]
    >>> intervals.conformal_margin(y, [0.5, 0.5, 0.5, 0.5], [1.5, 1.5, 1.5, 1.5], coverage=0.5)
    0.5
    """
    level = _level(coverage)
    y, lower, upper = _arrays(y, lower, upper)
    n = y.shape[-1]
    k = math.ceil((n + 1) * level - 1e-9)  # guards against (n + 1) * level landing a hair above an integer
    if k > n:
        raise ValueError(
            f"{n} calibration rows are too few for coverage {level:g}: the margin is the "
            f"ceil((n + 1) * coverage) = {k}-th smallest score. Use at least {math.ceil(level / (1 - level) - 1e-9)} "
            "rows, or a lower coverage."
        )
    below, above = lower - y, y - upper  # how far each row lies below the interval, and above it
    return _out(np.sort(np.maximum(below, above), axis=-1)[..., k - 1])


def conformalise(y_calibration, lower_calibration, upper_calibration, lower, upper, *, coverage):
    r"""Widen (or narrow) an interval by its CQR margin from calibration rows.

    Parameters
    ----------
    y_calibration, lower_calibration, upper_calibration : array_like, shape (..., n)
        Calibration targets and the model's interval on them.
    lower, upper : array_like, shape (..., m)
        The same model's interval on the rows to predict; a leading axis must
        match that of the calibration arrays (one margin per seed).
    coverage : float
        Target coverage, in (0, 1).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower - margin, upper + margin)``. A negative margin larger than
        an interval's half-width would turn it inside out (it would hold no
        value); that interval becomes the single point at its centre.

    Examples
    --------
    >>> from lossbook import intervals
    >>> low, high = intervals.conformalise([0.0, 1.0, 2.0, 3.0], [0.5] * 4, [1.5] * 4, [10.0], [11.0], coverage=0.5)
    >>> float(low[0]), float(high[0])
    (9.5, 11.5)
    """
    margin = np.asarray(conformal_margin(y_calibration, lower_calibration, upper_calibration, coverage=coverage))
    lower = _v.as_float_array(lower, "lower")
    upper = _v.as_float_array(upper, "upper")
    _arrays(lower, lower, upper)
    if margin.ndim and (lower.ndim < 2 or lower.shape[:-1] != margin.shape):
        raise ValueError(
            f"the calibration arrays give one margin per leading index, shape {margin.shape}; `lower` and `upper` "
            f"must then have shape {margin.shape + ('m',)}, got {lower.shape}. Pass each seed's predictions in one row."
        )
    lower, upper = lower - margin[..., None], upper + margin[..., None]
    centre = (lower + upper) / 2  # a negative margin larger than the half-width leaves an empty interval: its centre
    return np.minimum(lower, centre), np.maximum(upper, centre)
