r"""How far a classifier's probabilities can be trusted, and one way to repair them (chapter 14).

A classifier is *calibrated* when, among the cases it gives probability
:math:`c` to its predicted class, a share :math:`c` is classified correctly.
This module measures that for the top label, as Guo et al. (2017) do:

- :func:`top_label` reads each row's predicted class, its probability (the
  *confidence*) and whether the prediction is right;
- :func:`calibration_bins` groups the cases by confidence into equal-width
  bins and gives each bin's mean confidence and accuracy, the points of a
  reliability diagram (:func:`lossbook.plotting.confidence_diagram`);
- :func:`expected_calibration_error` (ECE) is the gap between the two,
  averaged over the bins with weights proportional to their sizes;
- :func:`expected_ece_if_calibrated` is the ECE that a perfectly calibrated
  model with the same confidences would show on average: the ECE of a finite
  sample is biased upwards, and by how much depends on the confidences, so a
  model's ECE is read against its own reference;
- :func:`brier_decomposition` splits the Brier score, a proper scoring rule,
  into reliability (miscalibration), resolution and uncertainty (Murphy 1973);
- :func:`fit_temperature` and :func:`scale` repair an over- or
  under-confident network after training: divide its logits by one number
  :math:`T`, fitted on validation data by minimising the negative
  log-likelihood. The predicted classes, and so the accuracy, stay the same.

Labels are class indices ``0 .. K-1`` of shape ``(n,)``; probabilities are
rows of shape ``(n, K)`` that sum to 1; logits are rows of finite numbers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize, special

from lossbook import _validation as _v

__all__ = [
    "Bins",
    "BrierDecomposition",
    "brier_decomposition",
    "calibration_bins",
    "expected_calibration_error",
    "expected_ece_if_calibrated",
    "fit_temperature",
    "scale",
    "top_label",
]

_PROBABILITY_FIX = "Pass the softmax of the logits, e.g. lossbook.calibration.scale(logits, 1.0)."


def _labels(labels, n_classes, caller):
    y = _v.check_targets("index", labels, caller=caller, n_classes=n_classes, name="labels", columns="the probabilities")
    return np.asarray(y).reshape(-1).astype(np.int64)


def _rows(values, name, caller, *, probabilities):
    x = _v.check_class_rows(values, name, caller=caller, fix="For a binary classifier stack the two columns: np.c_[1 - p, p].")
    if probabilities:
        _v.check_in_range(x, name, low=0.0, high=1.0, fix=_PROBABILITY_FIX)
        _v.check_rows_sum_to_one(x, name, fix=_PROBABILITY_FIX)
    return x


def _same_length(y, rows):
    if y.size != rows.shape[0]:
        raise ValueError(
            f"`labels` must hold one class per row; got {y.size} labels and {rows.shape[0]} rows. "
            "Check that both come from the same cases."
        )


def _inputs(probabilities, labels, caller):
    p = _rows(probabilities, "probabilities", caller, probabilities=True)
    y = _labels(labels, p.shape[1], caller)
    _same_length(y, p)
    return p, y


def top_label(probabilities, labels):
    """The predicted class of each case, its probability and whether it is right.

    Parameters
    ----------
    probabilities : array_like of shape (n, K)
        Rows of class probabilities.
    labels : array_like of int, shape (n,)
        The true classes.

    Returns
    -------
    confidence : numpy.ndarray of shape (n,)
        The largest probability of each row.
    correct : numpy.ndarray of bool, shape (n,)
        Whether the class with that probability is the true one (the first
        of tied classes counts, as ``argmax`` picks it).

    Raises
    ------
    ValueError
        If the rows are not probabilities, the labels not class indices of
        the rows' columns, or the lengths differ.

    Examples
    --------
    >>> from lossbook import calibration
    >>> confidence, correct = calibration.top_label([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1]], [0, 2])
    >>> confidence.tolist(), correct.tolist()
    ([0.7, 0.6], [True, False])
    """
    p, y = _inputs(probabilities, labels, "top_label")
    predicted = p.argmax(axis=1)
    return p[np.arange(y.size), predicted], predicted == y


@dataclasses.dataclass(frozen=True)
class Bins:
    """Cases grouped by confidence into equal-width bins.

    Attributes
    ----------
    edges : numpy.ndarray of shape (n_bins + 1,)
        From 0 to 1; bin ``b`` holds the confidences in ``(edges[b], edges[b + 1]]``
        (the first bin also holds 0).
    count : numpy.ndarray of int, shape (n_bins,)
        Cases per bin.
    confidence, accuracy : numpy.ndarray of shape (n_bins,)
        Mean confidence and share of correct predictions per bin; NaN for an
        empty bin.
    """

    edges: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray

    @property
    def gap(self) -> np.ndarray:
        """Confidence minus accuracy per bin: positive where the model is overconfident (NaN when empty)."""
        return self.confidence - self.accuracy

    @property
    def ece(self) -> float:
        """The expected calibration error of these bins (:func:`expected_calibration_error`)."""
        used = self.count > 0
        return float(np.sum(self.count[used] * np.abs(self.gap[used])) / self.count.sum())


def _bin_of(values, n_bins):
    """The equal-width edges from 0 to 1 and each value's bin: ``(edges[b], edges[b + 1]]``, 0 in the first."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return edges, np.clip(np.searchsorted(edges, values, side="left") - 1, 0, n_bins - 1)


def calibration_bins(probabilities, labels, *, n_bins: int = 15) -> Bins:
    """Group the cases by their top-label confidence into ``n_bins`` equal-width bins.

    Parameters
    ----------
    probabilities : array_like of shape (n, K)
    labels : array_like of int, shape (n,)
    n_bins : int, default 15
        The number of bins between 0 and 1 (15, as in Guo et al. 2017).

    Returns
    -------
    Bins

    Raises
    ------
    ValueError
        As :func:`top_label`, or if ``n_bins`` is not an integer >= 1.

    Examples
    --------
    >>> from lossbook import calibration
    >>> bins = calibration.calibration_bins([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]], [0, 1, 1], n_bins=2)
    >>> bins.count.tolist(), bins.confidence.round(2).tolist(), bins.accuracy.tolist()
    ([0, 3], [nan, 0.77], [nan, 0.6666666666666666])
    """
    _v.check_int(n_bins, "n_bins", low=1, example=15)
    confidence, correct = top_label(probabilities, labels)
    edges, which = _bin_of(confidence, n_bins)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(which, weights=correct.astype(float), minlength=n_bins) / count
    return Bins(edges, count, mean_confidence, accuracy)


def expected_calibration_error(probabilities, labels, *, n_bins: int = 15) -> float:
    r"""Expected calibration error of the top label: the confidence-accuracy gap averaged over bins.

    .. math::

        \mathrm{ECE} = \sum_{b=1}^{B} \frac{n_b}{n} \,
        \bigl| \mathrm{acc}(b) - \mathrm{conf}(b) \bigr|

    over the ``n_bins`` equal-width bins of :func:`calibration_bins`. It is 0
    for a calibrated model (in the limit of many cases) and at most 1.

    Parameters
    ----------
    probabilities : array_like of shape (n, K)
    labels : array_like of int, shape (n,)
    n_bins : int, default 15

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`calibration_bins`.

    Notes
    -----
    The value depends on the number of bins, and on a finite sample it is
    biased upwards: even a calibrated model's bins show sampling noise, which
    the absolute value turns into a positive gap. Compare models with the
    same bins on the same cases, and read small differences with care.

    Examples
    --------
    >>> from lossbook import calibration
    >>> p = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]]
    >>> round(calibration.expected_calibration_error(p, [0, 1, 1], n_bins=2), 4)  # |0.7667 - 0.6667|
    0.1
    """
    return calibration_bins(probabilities, labels, n_bins=n_bins).ece


def _mean_absolute_deviation_of_successes(chances):
    r"""E|S - E S| for S the number of successes of independent trials with these chances (Poisson binomial)."""
    pmf = np.ones(1)
    for c in chances:  # add one trial at a time: P(S = k) = P(S' = k)(1 - c) + P(S' = k - 1) c
        pmf = np.concatenate([pmf * (1.0 - c), [0.0]]) + np.concatenate([[0.0], pmf * c])
    return float(np.sum(pmf * np.abs(np.arange(pmf.size) - np.sum(chances))))


def expected_ece_if_calibrated(probabilities, *, n_bins: int = 15) -> float:
    r"""The expected ECE of a perfectly calibrated model with these confidences, computed exactly.

    Suppose each case's predicted class is right with probability equal to
    its confidence :math:`c_i`, independently: the model is calibrated by
    construction. Its ECE on these cases is still above 0, since each bin's
    accuracy is a sample proportion and the absolute value turns the noise
    into a gap. Its expected value is

    .. math::

        \mathbb{E}[\mathrm{ECE}] = rac{1}{n} \sum_{b=1}^{B}
        \mathbb{E}\Bigl|\, S_b - \sum_{i \in b} c_i \Bigr|,

    where :math:`S_b`, the number of right predictions in bin :math:`b`, is
    a sum of independent Bernoulli(:math:`c_i`) variables (a Poisson
    binomial); its distribution is built one case at a time. The bins are
    those of :func:`calibration_bins`, which depend only on the confidences,
    so no label is needed.

    Parameters
    ----------
    probabilities : array_like of shape (n, K)
        Rows of class probabilities, e.g. a model's on its test cases.
    n_bins : int, default 15

    Returns
    -------
    float
        Read a model's ECE against it: the excess ``ECE - expected`` is the
        miscalibration the sample shows beyond the noise of a calibrated
        model with the same confidences.

    Raises
    ------
    ValueError
        If the rows are not probabilities, or ``n_bins`` is not an integer >= 1.

    Notes
    -----
    The reference depends strongly on the confidences: many cases near 1
    give a small one, many middling ones a large one. Comparing the raw ECEs
    of two models with different confidences therefore mixes their
    calibration with the bias of the measure.

    Examples
    --------
    >>> from lossbook import calibration
    >>> round(calibration.expected_ece_if_calibrated([[0.5, 0.5]], n_bins=1), 4)  # right or wrong: |1 - 0.5| or |0 - 0.5|
    0.5
    >>> # two cases at 0.9: S = 0, 1, 2 right with chances 0.01, 0.18, 0.81, and E|S - 1.8| / 2 =
    >>> round(calibration.expected_ece_if_calibrated([[0.9, 0.1], [0.9, 0.1]], n_bins=1), 4)
    0.162
    """
    _v.check_int(n_bins, "n_bins", low=1, example=15)
    p = _rows(probabilities, "probabilities", "expected_ece_if_calibrated", probabilities=True)
    confidence = p.max(axis=1)
    _, which = _bin_of(confidence, n_bins)
    total = sum(_mean_absolute_deviation_of_successes(confidence[which == b]) for b in np.unique(which))
    return float(total / confidence.size)


@dataclasses.dataclass(frozen=True)
class BrierDecomposition:
    r"""The Brier score and its parts: ``score = reliability - resolution + uncertainty + within_bin``.

    Attributes
    ----------
    score : float
        The multi-class Brier score, :math:`\frac{1}{n}\sum_i \sum_k (p_{ik} - y_{ik})^2`.
    reliability : float
        Miscalibration: the squared gap between each bin's mean probability
        and its observed frequency, weighted by the bin's size, summed over
        classes. 0 for a calibrated model (in the limit of many cases).
    resolution : float
        How far the observed frequencies in the bins lie from the overall
        ones: the better the model tells cases apart, the larger. It is
        subtracted.
    uncertainty : float
        :math:`\sum_k \bar y_k (1 - \bar y_k)`, the score of always
        predicting the observed class shares; a property of the labels alone.
    within_bin : float
        The correction for probabilities that differ inside a bin (within-bin
        variance minus twice the within-bin covariance, Stephenson et al.
        2008); it is 0 when each bin holds one probability value.
    """

    score: float
    reliability: float
    resolution: float
    uncertainty: float
    within_bin: float


def brier_decomposition(probabilities, labels, *, n_bins: int = 15) -> BrierDecomposition:
    r"""Murphy's decomposition of the multi-class Brier score, class by class over equal-width bins.

    For each class :math:`k` the probabilities :math:`p_{ik}` are binned as
    in :func:`calibration_bins`; with :math:`n_b` cases in bin :math:`b`,
    mean probability :math:`ar p_b` and observed frequency :math:`ar o_b`
    of class :math:`k`, and :math:`ar o` its frequency over all cases,

    .. math::

        \mathrm{REL} = \sum_b rac{n_b}{n} (ar p_b - ar o_b)^2, \qquad
        \mathrm{RES} = \sum_b rac{n_b}{n} (ar o_b - ar o)^2, \qquad
        \mathrm{UNC} = ar o (1 - ar o),

    summed over the classes, and
    :math:`\mathrm{BS} = \mathrm{REL} - \mathrm{RES} + \mathrm{UNC} + \mathrm{WB}`
    holds exactly, WB being the within-bin term (:class:`BrierDecomposition`).

    Parameters
    ----------
    probabilities : array_like of shape (n, K)
    labels : array_like of int, shape (n,)
    n_bins : int, default 15

    Returns
    -------
    BrierDecomposition

    Raises
    ------
    ValueError
        As :func:`calibration_bins`.

    Examples
    --------
    >>> from lossbook import calibration
    >>> d = calibration.brier_decomposition([[0.8, 0.2], [0.8, 0.2], [0.3, 0.7], [0.3, 0.7]], [0, 1, 1, 1], n_bins=10)
    >>> round(d.score, 4), round(d.reliability, 4), round(d.resolution, 4), round(d.uncertainty, 4), round(d.within_bin, 4)
    (0.43, 0.18, 0.125, 0.375, 0.0)
    """
    _v.check_int(n_bins, "n_bins", low=1, example=15)
    p, y = _inputs(probabilities, labels, "brier_decomposition")
    n, classes = p.shape
    outcome = (y[:, None] == np.arange(classes)).astype(float)
    parts = np.zeros(4)  # reliability, resolution, uncertainty, within-bin
    for k in range(classes):
        f, o = p[:, k], outcome[:, k]
        _, which = _bin_of(f, n_bins)
        count = np.bincount(which, minlength=n_bins)
        used = count > 0
        f_bar = np.bincount(which, weights=f, minlength=n_bins)[used] / count[used]
        o_bar = np.bincount(which, weights=o, minlength=n_bins)[used] / count[used]
        weight = count[used] / n
        f_dev = f - np.bincount(which, weights=f, minlength=n_bins)[which] / count[which]
        o_dev = o - np.bincount(which, weights=o, minlength=n_bins)[which] / count[which]
        parts += [
            np.sum(weight * (f_bar - o_bar) ** 2),
            np.sum(weight * (o_bar - o.mean()) ** 2),
            o.mean() * (1 - o.mean()),
            np.mean(f_dev**2) - 2 * np.mean(f_dev * o_dev),
        ]
    score = float(np.mean(np.sum((p - outcome) ** 2, axis=1)))
    return BrierDecomposition(score, *(float(v) for v in parts))


def scale(logits, temperature) -> np.ndarray:
    r"""Probabilities of logits divided by a temperature: :math:`\operatorname{softmax}(z / T)`.

    :math:`T > 1` flattens the probabilities, :math:`T < 1` sharpens them,
    :math:`T = 1` is the plain softmax. Dividing every logit of a row by the
    same positive number keeps their order, so the predicted class does not
    change.

    Parameters
    ----------
    logits : array_like of shape (n, K)
    temperature : float
        A positive number.

    Returns
    -------
    numpy.ndarray of shape (n, K)

    Raises
    ------
    ValueError
        If the logits are not finite rows or the temperature is not positive.

    Examples
    --------
    >>> from lossbook import calibration
    >>> calibration.scale([[2.0, 0.0]], 1.0).round(4), calibration.scale([[2.0, 0.0]], 2.0).round(4)
    (array([[0.8808, 0.1192]]), array([[0.7311, 0.2689]]))
    """
    z = _rows(logits, "logits", "scale", probabilities=False)
    _v.check_positive(temperature, "temperature")
    return special.softmax(z / float(temperature), axis=1)


def _mean_nll(z, y, temperature):
    log_p = special.log_softmax(z / temperature, axis=1)
    return -float(np.mean(log_p[np.arange(y.size), y]))


def fit_temperature(logits, labels, *, bounds=(0.05, 20.0)) -> float:
    r"""The temperature that minimises the negative log-likelihood of ``softmax(logits / T)``.

    Temperature scaling (Guo et al. 2017) fits this one number on a
    validation set after training; the network's weights and its predicted
    classes stay as they are.

    Parameters
    ----------
    logits : array_like of shape (n, K)
        The network's outputs before the softmax, on held-out cases.
    labels : array_like of int, shape (n,)
        Their true classes.
    bounds : (float, float), default (0.05, 20.0)
        The search interval for :math:`T`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the logits or labels are malformed, the bounds are not
        ``0 < low < high``, or the best temperature lies at a bound (the
        logits are then nearly constant, or every case is classified right
        or wrong with room to spare: widen the bounds or check the inputs).

    Notes
    -----
    The mean negative log-likelihood is convex in :math:`1/T`, so the
    bounded scalar search of ``scipy.optimize.minimize_scalar`` over
    :math:`\log T` finds its one minimum.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import calibration
    >>> rng = np.random.default_rng(0)
    >>> z = 3 * rng.normal(size=(20000, 4))  # an overconfident model's logits ...
    >>> y = np.array([rng.choice(4, p=p) for p in calibration.scale(z, 2.0)])  # ... whose truth is z / 2
    >>> round(calibration.fit_temperature(z, y), 1)
    2.0
    """
    z = _rows(logits, "logits", "fit_temperature", probabilities=False)
    y = _labels(labels, z.shape[1], "fit_temperature")
    _same_length(y, z)
    low, high = (float(b) for b in bounds)
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low < high):
        raise ValueError(f"`bounds` must be (low, high) with 0 < low < high; got {bounds!r}. Use e.g. (0.05, 20.0).")
    result = optimize.minimize_scalar(
        lambda log_t: _mean_nll(z, y, np.exp(log_t)),
        bounds=(np.log(low), np.log(high)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    temperature = float(np.exp(result.x))
    if min(_mean_nll(z, y, low), _mean_nll(z, y, high)) <= result.fun:  # no interior minimum
        raise ValueError(
            f"the best temperature lies at the edge of `bounds` {bounds!r} (T = {temperature:.4g}): the "
            "likelihood keeps improving beyond it. Widen the bounds, or check that the logits vary and the "
            "labels are the true classes."
        )
    return temperature
