r"""NumPy reference implementations of the course's losses and their gradients.

Every loss comes with a gradient function of the same signature, named
``<loss>_grad``::

    binary_crossentropy(y_true, y_pred, *, from_logits=False, reduction="mean")
    binary_crossentropy_grad(y_true, y_pred, *, from_logits=False, reduction="mean")

The names are the ones Keras uses, so ``function(name)`` and
``model.compile(loss=name)`` refer to the same loss; what else the course
knows about a loss (its task, output layer and label formats) is its row of
:data:`lossbook.registry.LOSSES`.

Shapes
------
Regression and binary losses (``mean_squared_error``, ``mean_absolute_error``,
``mean_squared_logarithmic_error``, ``huber``, ``log_cosh``,
``binary_crossentropy``, ``hinge``, ``squared_hinge``) work elementwise.
``y_true`` and ``y_pred`` have the same shape: ``(n,)`` for one value per
example, ``(n, k)`` for ``k`` values per example (a scalar counts as one
example). The loss of one example is the mean over its ``k`` values, as in
Keras.

Multi-class losses (``categorical_crossentropy``, ``kl_divergence``,
``categorical_hinge``) take ``y_true`` and ``y_pred`` of shape ``(n, K)``, one
row per example and one column per class. ``sparse_categorical_crossentropy``
takes integer labels of shape ``(n,)`` or ``(n, 1)`` and ``y_pred`` of shape
``(n, K)``.

The losses of chapters 12 to 14 follow the same rules: ``pinball_loss``, ``poisson``,
``weighted_binary_crossentropy`` and ``binary_focal_crossentropy`` work
elementwise, ``label_smoothed_categorical_crossentropy`` and
``categorical_focal_crossentropy`` take rows.
``gaussian_nll`` takes one target per example, shape ``(n,)`` or ``(n, 1)``,
and two predictions per example, shape ``(n, 2)``: the mean and the
log-variance. ``poisson`` and ``gaussian_nll`` are negative log-likelihoods
whose smallest value is not 0, and ``label_smoothed_categorical_crossentropy``
is smallest at the smoothed targets, not at the one-hot ones.

The losses of chapter 15, for wrong labels, ``generalized_cross_entropy``,
``symmetric_cross_entropy`` and ``classification_mae``, take integer labels
of shape ``(n,)`` or ``(n, 1)`` and ``y_pred`` of shape ``(n, K)``, as
``sparse_categorical_crossentropy`` does.

Reductions
----------
``reduction="mean"`` (the default, Keras' ``"sum_over_batch_size"``) returns the
mean of the per-example losses and ``"sum"`` their sum, both as a Python
``float``; ``"none"`` returns the per-example losses, a float64 array of shape
``(n,)``.

Gradients
---------
A gradient function returns a float64 array with the shape of ``y_pred``: the
derivative with respect to ``y_pred``, or with respect to the logits when
``from_logits=True``. With ``"mean"`` it is the gradient of the mean loss (so
it carries a factor :math:`1/n`), with ``"sum"`` the gradient of the sum. With
``"none"`` entry ``[i, j]`` is :math:`\partial \ell_i / \partial \hat y_{ij}`,
the derivative of example ``i``'s own loss; since an example's loss depends on
its own predictions only, this array equals the ``"sum"`` gradient. At a kink
(MAE at zero error, hinge at margin 1, Huber at ``|error| = delta``) the
gradient takes the value of the flat or the inner side, so it is 0 at a
perfect MAE or hinge prediction. Probabilities clipped by the floor
:data:`EPSILON` (below) have zero gradient.

Numerics
--------
Everything is computed in float64, whatever the input dtype. Logarithms of
probabilities are floored at ``log(EPSILON)`` with ``EPSILON = 1e-7`` (Keras'
``backend.epsilon()``), so a confident wrong prediction costs a large but
finite 16.118 nats, and a confident correct one costs exactly 0 (labels are
never clipped; ``0 * log 0`` is taken as 0). With ``from_logits=True`` the
losses use log-sum-exp forms that are exact for any finite logit, with no
clipping.

Input checks
------------
Every function checks its input first and raises :class:`ValueError` naming the
problem and the fix: shapes that differ (no broadcasting), labels outside the
loss's label set, probabilities outside [0, 1], probability rows that do not
sum to 1, NaN or infinity, empty input, an unknown reduction. The deliberate
differences from Keras and scikit-learn are listed in each function's Notes.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np
from scipy import special

from lossbook import _validation as _v
from lossbook import registry as _registry

__all__ = [
    "EPSILON",
    "function",
    "gradient",
    "binary_crossentropy",
    "binary_crossentropy_grad",
    "binary_focal_crossentropy",
    "binary_focal_crossentropy_grad",
    "categorical_crossentropy",
    "categorical_crossentropy_grad",
    "categorical_focal_crossentropy",
    "categorical_focal_crossentropy_grad",
    "categorical_hinge",
    "categorical_hinge_grad",
    "classification_mae",
    "classification_mae_grad",
    "gaussian_nll",
    "gaussian_nll_grad",
    "generalized_cross_entropy",
    "generalized_cross_entropy_grad",
    "hinge",
    "hinge_grad",
    "huber",
    "huber_grad",
    "kl_divergence",
    "kl_divergence_grad",
    "label_smoothed_categorical_crossentropy",
    "label_smoothed_categorical_crossentropy_grad",
    "log_cosh",
    "log_cosh_grad",
    "mean_absolute_error",
    "mean_absolute_error_grad",
    "mean_squared_error",
    "mean_squared_error_grad",
    "mean_squared_logarithmic_error",
    "mean_squared_logarithmic_error_grad",
    "pinball_loss",
    "pinball_loss_grad",
    "poisson",
    "poisson_grad",
    "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy_grad",
    "squared_hinge",
    "squared_hinge_grad",
    "symmetric_cross_entropy",
    "symmetric_cross_entropy_grad",
    "weighted_binary_crossentropy",
    "weighted_binary_crossentropy_grad",
]

#: Floor applied to probabilities inside logarithms (Keras' ``backend.epsilon()``).
EPSILON = 1e-7

_LOG2 = math.log(2.0)

# ---------------------------------------------------------------------------
# Shared preparation and reduction
# ---------------------------------------------------------------------------

_ELEMENTWISE_FIX = "Pass one value per example, shape (n,), or one row of k values per example, shape (n, k)."
_ROWS_FIX = "Pass one row per example and one column per class; for a single example write [row]."
_LOGITS_FIX = "If `y_pred` holds raw scores (logits), pass from_logits=True."
_ROW_NORMALISE_FIX = (
    "If `y_pred` holds raw scores (logits), pass from_logits=True; if it holds "
    "unnormalised probabilities, divide each row by its sum: "
    "y_pred / y_pred.sum(axis=1, keepdims=True)."
)


def _arrays(y_true, y_pred, reduction):
    """Checks every loss runs first; returns float64 copies of the inputs."""
    _v.check_reduction(reduction)
    y_true = _v.as_float_array(y_true, "y_true")
    y_pred = _v.as_float_array(y_pred, "y_pred")
    for array, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        _v.check_nonempty(array, name)
        _v.check_finite(array, name)
    return y_true, y_pred


def _elementwise_inputs(y_true, y_pred, reduction):
    """Inputs of the elementwise losses, as 1-D or 2-D arrays, and y_pred's shape."""
    y_true, y_pred = _arrays(y_true, y_pred, reduction)
    _v.check_ndim(y_true, "y_true", (0, 1, 2), fix=_ELEMENTWISE_FIX)
    _v.check_ndim(y_pred, "y_pred", (0, 1, 2), fix=_ELEMENTWISE_FIX)
    _v.check_same_shape(y_true, y_pred)
    return np.atleast_1d(y_true), np.atleast_1d(y_pred), y_pred.shape


def _targets(y_true, loss, **options):
    """Check ``y_true`` against the format :data:`lossbook.registry.LOSSES` gives for ``loss``."""
    _v.check_targets(_registry.LOSSES[loss].y_true, y_true, caller=loss, name="y_true", **options)


def _check_score_rows(y_pred):
    """Predictions of a multi-class loss: shape (n, K), K >= 2."""
    _v.check_ndim(y_pred, "y_pred", (2,), fix=_ROWS_FIX, columns="K")
    _v.check_min_columns(y_pred, "y_pred", 2, fix="With a single output column use binary_crossentropy.")


def _row_inputs(y_true, y_pred, reduction, loss):
    """Inputs of the multi-class losses: two arrays of shape (n, K), K >= 2, ``y_true`` in ``loss``'s format."""
    y_true, y_pred = _arrays(y_true, y_pred, reduction)
    _check_score_rows(y_pred)
    _targets(y_true, loss)
    _v.check_same_shape(y_true, y_pred)
    return y_true, y_pred


def _check_probabilities(y_pred, loss):
    _v.check_in_range(
        y_pred,
        "y_pred",
        low=0.0,
        high=1.0,
        fix=f"{loss} expects probabilities when from_logits=False. {_LOGITS_FIX}",
    )


def _check_distribution_rows(y_pred, from_logits=False):
    """Rows of predicted probabilities (skipped for logits)."""
    if from_logits:
        return
    _v.check_in_range(y_pred, "y_pred", low=0.0, high=1.0, fix=f"Probabilities expected. {_LOGITS_FIX}")
    _v.check_rows_sum_to_one(y_pred, "y_pred", fix=_ROW_NORMALISE_FIX)


def _signed_labels(y_true, loss):
    """Hinge labels as -1/1; 0/1 labels are converted as Keras does."""
    _targets(y_true, loss)
    return np.where(y_true == 0.0, -1.0, y_true)


def _reduce(per_example, reduction):
    if reduction == "none":
        return per_example
    if reduction == "sum":
        return float(per_example.sum())
    return float(per_example.mean())


def _reduce_elementwise(values, reduction):
    """Mean over the last axis of a 2-D array gives one loss per example."""
    per_example = values.mean(axis=-1) if values.ndim == 2 else values
    return _reduce(per_example, reduction)


def _elementwise_grad(derivative, reduction, shape):
    """Scale elementwise derivatives into the gradient of the reduced loss."""
    if derivative.ndim == 2:
        derivative = derivative / derivative.shape[1]
    if reduction == "mean":
        derivative = derivative / derivative.shape[0]
    return derivative.reshape(shape)


def _row_grad(derivative, reduction):
    if reduction == "mean":
        derivative = derivative / derivative.shape[0]
    return derivative


def _floored_log(p):
    """``log(max(p, EPSILON))``: finite for p = 0."""
    return np.log(np.maximum(p, EPSILON))


def _floored_reciprocal(p):
    """``1 / p`` where p > EPSILON, 0 where the floor holds the log constant."""
    return np.divide(1.0, p, out=np.zeros_like(p), where=p > EPSILON)


# ---------------------------------------------------------------------------
# Regression losses
# ---------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred, *, reduction="mean"):
    r"""Mean squared error (MSE), the regression loss of a linear output.

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k} (y_{ij} - \hat y_{ij})^2

    Minimising it is maximum likelihood for a Gaussian with fixed variance.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Targets, any finite numbers.
    y_pred : array_like, same shape as ``y_true``
        Predictions.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, or ``reduction``
        is unknown.

    See Also
    --------
    mean_squared_error_grad : its gradient.

    Notes
    -----
    Equals ``keras.losses.mean_squared_error`` and
    ``sklearn.metrics.mean_squared_error``. Unlike both, shapes ``(n,)`` and
    ``(n, 1)`` are not mixed: Keras squeezes one to match the other, but
    broadcasting them in plain NumPy compares every target with every
    prediction, so lossbook raises instead.

    Examples
    --------
    >>> from lossbook import losses
    >>> y = [-3, -1, -2, 1, -1, 1, 2, 1, 3, 4, 3, 5]
    >>> y_hat = [-2, 1, -1, 0, -1, 1, 2, 2, 3, 3, 3, 5]
    >>> losses.mean_squared_error(y, y_hat)
    0.75
    >>> losses.mean_squared_error(2.89, 3.07)  # one oil-price forecast
    0.0324
    >>> losses.mean_squared_error([[0, 1], [0, 0]], [[1, 1], [1, 0]], reduction="none")
    array([0.5, 0.5])
    """
    y_true, y_pred, _ = _elementwise_inputs(y_true, y_pred, reduction)
    return _reduce_elementwise((y_pred - y_true) ** 2, reduction)


def mean_squared_error_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`mean_squared_error` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} = \frac{2}{k} (\hat y_{ij} - y_{ij})

    Parameters and checks are those of :func:`mean_squared_error`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.mean_squared_error_grad([1.0, 2.0], [1.5, 1.0])
    array([ 0.5, -1. ])
    """
    y_true, y_pred, shape = _elementwise_inputs(y_true, y_pred, reduction)
    return _elementwise_grad(2.0 * (y_pred - y_true), reduction, shape)


def _msle_inputs(y_true, y_pred, reduction):
    y_true, y_pred, shape = _elementwise_inputs(y_true, y_pred, reduction)
    fix = (
        "mean_squared_logarithmic_error compares log(1 + y) and is meant for "
        "non-negative targets such as counts or prices (Keras would silently clip "
        "negative values to 1e-7). Use mean_squared_error for a standardised "
        "target, or a non-negative output such as softplus."
    )
    _targets(y_true, "mean_squared_logarithmic_error", fix=fix)
    _v.check_in_range(y_pred, "y_pred", low=0.0, fix=fix)
    return y_true, y_pred, shape


def mean_squared_logarithmic_error(y_true, y_pred, *, reduction="mean"):
    r"""Mean squared logarithmic error (MSLE), for non-negative, skewed targets.

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k}
        \bigl(\log(1 + \hat y_{ij}) - \log(1 + y_{ij})\bigr)^2

    It penalises relative rather than absolute errors, so a target of 1000
    missed by 100 costs about as much as a target of 10 missed by 1.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Targets, non-negative.
    y_pred : array_like, same shape as ``y_true``
        Predictions, non-negative.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If a value is negative, the shapes differ, an input is empty or not
        finite, or ``reduction`` is unknown.

    See Also
    --------
    mean_squared_logarithmic_error_grad : its gradient.

    Notes
    -----
    Negative values raise a ``ValueError``. ``keras.losses.mean_squared_logarithmic_error``
    replaces every value below ``1e-7`` by ``1e-7`` before ``log1p``, so on a
    standardised target about half the targets silently become 0;
    ``sklearn.metrics.mean_squared_log_error`` accepts any value above -1. For
    non-negative input lossbook equals scikit-learn, and Keras up to about
    ``1e-7`` per exact zero (lossbook uses ``log1p(0) = 0``).

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.mean_squared_logarithmic_error([9.0, 99.0], [9.0, 9.0])  # (log 10)^2 / 2
    2.65095
    >>> losses.mean_squared_logarithmic_error([-0.5, 1.0], [0.0, 1.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `y_true` must be >= 0; got y_true[0] = -0.5 ...
    """
    y_true, y_pred, _ = _msle_inputs(y_true, y_pred, reduction)
    return _reduce_elementwise((np.log1p(y_pred) - np.log1p(y_true)) ** 2, reduction)


def mean_squared_logarithmic_error_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`mean_squared_logarithmic_error` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} =
        \frac{2}{k} \, \frac{\log(1 + \hat y_{ij}) - \log(1 + y_{ij})}{1 + \hat y_{ij}}

    Parameters and checks are those of :func:`mean_squared_logarithmic_error`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import losses
    >>> g = losses.mean_squared_logarithmic_error_grad([np.e - 1], [0.0])
    >>> g
    array([-2.])
    """
    y_true, y_pred, shape = _msle_inputs(y_true, y_pred, reduction)
    derivative = 2.0 * (np.log1p(y_pred) - np.log1p(y_true)) / (1.0 + y_pred)
    return _elementwise_grad(derivative, reduction, shape)


def mean_absolute_error(y_true, y_pred, *, reduction="mean"):
    r"""Mean absolute error (MAE), a regression loss robust to outlying errors.

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k} \lvert y_{ij} - \hat y_{ij} \rvert

    The best constant prediction under MAE is the median of the targets (under
    MSE it is the mean).

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Targets, any finite numbers.
    y_pred : array_like, same shape as ``y_true``
        Predictions.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, or ``reduction``
        is unknown.

    See Also
    --------
    mean_absolute_error_grad : its gradient.

    Notes
    -----
    Equals ``keras.losses.mean_absolute_error`` and
    ``sklearn.metrics.mean_absolute_error``; shapes ``(n,)`` and ``(n, 1)`` are
    not mixed (see :func:`mean_squared_error`).

    Examples
    --------
    >>> from lossbook import losses
    >>> y = [-3, -1, -2, 1, -1, 1, 2, 1, 3, 4, 3, 5]
    >>> y_hat = [-2, 1, -1, 0, -1, 1, 2, 2, 3, 3, 3, 5]
    >>> losses.mean_absolute_error(y, y_hat)
    0.58333
    """
    y_true, y_pred, _ = _elementwise_inputs(y_true, y_pred, reduction)
    return _reduce_elementwise(np.abs(y_pred - y_true), reduction)


def mean_absolute_error_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`mean_absolute_error` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} =
        \frac{1}{k} \operatorname{sign}(\hat y_{ij} - y_{ij})

    Its magnitude does not shrink as the error does. At zero error the
    gradient is taken as 0.

    Parameters and checks are those of :func:`mean_absolute_error`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.mean_absolute_error_grad([0.0, 0.0, 0.0], [-5.0, 0.0, 0.1], reduction="sum")
    array([-1.,  0.,  1.])
    """
    y_true, y_pred, shape = _elementwise_inputs(y_true, y_pred, reduction)
    return _elementwise_grad(np.sign(y_pred - y_true), reduction, shape)


def _huber_inputs(y_true, y_pred, delta, reduction):
    _v.check_positive(delta, "delta")
    return _elementwise_inputs(y_true, y_pred, reduction)


def huber(y_true, y_pred, *, delta=1.0, reduction="mean"):
    r"""Huber loss: quadratic for small errors, linear for large ones.

    With :math:`e = \hat y - y`,

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k}
        \begin{cases}
            \tfrac12 e_{ij}^2 & \lvert e_{ij} \rvert \le \delta \\
            \delta \bigl(\lvert e_{ij} \rvert - \tfrac12 \delta\bigr) & \text{otherwise}
        \end{cases}

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Targets, any finite numbers.
    y_pred : array_like, same shape as ``y_true``
        Predictions.
    delta : float, default 1.0
        Error size where the loss turns from quadratic to linear; positive.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If ``delta`` is not a positive number, the shapes differ, an input is
        empty or not finite, or ``reduction`` is unknown.

    See Also
    --------
    huber_grad : its gradient.

    Notes
    -----
    Equals ``keras.losses.huber``; scikit-learn has no Huber metric. Shapes
    ``(n,)`` and ``(n, 1)`` are not mixed (see :func:`mean_squared_error`).

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    0.155
    >>> losses.huber([0.0, 0.0], [0.5, 3.0], delta=1.0, reduction="none")
    array([0.125, 2.5  ])
    """
    y_true, y_pred, _ = _huber_inputs(y_true, y_pred, delta, reduction)
    error = np.abs(y_pred - y_true)
    values = np.where(error <= delta, 0.5 * error**2, delta * (error - 0.5 * delta))
    return _reduce_elementwise(values, reduction)


def huber_grad(y_true, y_pred, *, delta=1.0, reduction="mean"):
    r"""Gradient of :func:`huber` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} =
        \frac{1}{k} \operatorname{clip}(\hat y_{ij} - y_{ij}, -\delta, \delta)

    The error itself inside :math:`[-\delta, \delta]`, held at
    :math:`\pm\delta` outside.

    Parameters and checks are those of :func:`huber`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.huber_grad([0.0, 0.0, 0.0], [0.5, 3.0, -7.0], reduction="sum")
    array([ 0.5,  1. , -1. ])
    """
    y_true, y_pred, shape = _huber_inputs(y_true, y_pred, delta, reduction)
    return _elementwise_grad(np.clip(y_pred - y_true, -delta, delta), reduction, shape)


def log_cosh(y_true, y_pred, *, reduction="mean"):
    r"""Log-cosh loss: about :math:`e^2/2` for small errors, :math:`|e| - \log 2` for large.

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k} \log\cosh(\hat y_{ij} - y_{ij})

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Targets, any finite numbers.
    y_pred : array_like, same shape as ``y_true``
        Predictions.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, or ``reduction``
        is unknown.

    See Also
    --------
    log_cosh_grad : its gradient.

    Notes
    -----
    Computed as :math:`|e| + \log(1 + e^{-2|e|}) - \log 2`, which stays finite
    where :math:`\cosh e` overflows (:math:`|e| > 710`). Equals
    ``keras.losses.log_cosh``; scikit-learn has no log-cosh metric. Shapes
    ``(n,)`` and ``(n, 1)`` are not mixed (see :func:`mean_squared_error`).

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.log_cosh([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    0.108
    >>> losses.log_cosh([0.0], [1000.0])  # 1000 - log(2)
    999.30685
    """
    y_true, y_pred, _ = _elementwise_inputs(y_true, y_pred, reduction)
    error = np.abs(y_pred - y_true)
    return _reduce_elementwise(error + np.log1p(np.exp(-2.0 * error)) - _LOG2, reduction)


def log_cosh_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`log_cosh` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} = \frac{1}{k} \tanh(\hat y_{ij} - y_{ij})

    Parameters and checks are those of :func:`log_cosh`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.log_cosh_grad([0.0, 0.0], [0.0, 1000.0], reduction="sum")
    array([0., 1.])
    """
    y_true, y_pred, shape = _elementwise_inputs(y_true, y_pred, reduction)
    return _elementwise_grad(np.tanh(y_pred - y_true), reduction, shape)


# ---------------------------------------------------------------------------
# Binary classification
# ---------------------------------------------------------------------------


def _bce_inputs(y_true, y_pred, from_logits, reduction, loss="binary_crossentropy"):
    _v.check_bool(from_logits, "from_logits")
    y_true, y_pred, shape = _elementwise_inputs(y_true, y_pred, reduction)
    _targets(y_true, loss)
    if not from_logits:
        _check_probabilities(y_pred, loss)
    return y_true, y_pred, shape


def binary_crossentropy(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""Binary cross-entropy (log loss), the loss of a sigmoid output.

    With :math:`p` the predicted probability of class 1,

    .. math::

        \ell_i = -\frac{1}{k} \sum_{j=1}^{k}
        \bigl[ y_{ij} \log p_{ij} + (1 - y_{ij}) \log(1 - p_{ij}) \bigr]

    With ``from_logits=True`` ``y_pred`` holds logits :math:`z` and
    :math:`p = \sigma(z) = 1 / (1 + e^{-z})`; the term is then computed as
    :math:`\max(z, 0) - y z + \log(1 + e^{-|z|})`, exact for any finite
    :math:`z`.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Labels 0 or 1; soft labels in [0, 1] are accepted.
    y_pred : array_like, same shape as ``y_true``
        Probabilities of class 1 in [0, 1], or logits if ``from_logits``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (the output before the sigmoid).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If a label is outside [0, 1], a probability is outside [0, 1] (did you
        mean ``from_logits=True``?), the shapes differ, an input is empty or
        not finite, or ``reduction`` is unknown.

    See Also
    --------
    binary_crossentropy_grad : its gradient.

    Notes
    -----
    Equals ``keras.losses.binary_crossentropy`` and
    ``sklearn.metrics.log_loss`` on probabilities away from 0 and 1. At the
    ends the three differ on purpose:

    * lossbook floors each logarithm's argument at ``EPSILON = 1e-7``: a
      prediction of exactly 0 for a positive example costs
      :math:`-\log 10^{-7} = 16.118`, and exactly 1 costs exactly 0.
    * Keras clips :math:`p` to :math:`[10^{-7}, 1 - 10^{-7}]`, which gives the
      same 16.118 but about ``1e-7`` instead of 0 for a perfect prediction.
    * scikit-learn clips at the float64 machine epsilon, ``2.2e-16``, so the
      wrong confident prediction costs 36.04.

    Shapes ``(n,)`` and ``(n, 1)`` are not mixed (see
    :func:`mean_squared_error`).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from lossbook import losses
    >>> y = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    >>> p = [0.7, 0.9, 0.8, 0.8, 0.6, 0.2, 0.1, 0.4, 0.1, 0.3]
    >>> losses.binary_crossentropy(y, p)
    0.272
    >>> np.round(losses.binary_crossentropy(y, p, reduction="none"), 3)
    array([0.357, 0.105, 0.223, 0.223, 0.511, 0.223, 0.105, 0.511, 0.105, 0.357])
    >>> losses.binary_crossentropy(1, 0.8) / math.log(2)  # in bits
    0.322
    >>> losses.binary_crossentropy([1, 0], [1000.0, -1000.0], from_logits=True)
    0.0
    """
    y_true, y_pred, _ = _bce_inputs(y_true, y_pred, from_logits, reduction)
    if from_logits:
        values = np.logaddexp(0.0, y_pred) - y_pred * y_true  # softplus(z) - y z, exact for any finite z
    else:
        values = -(
            special.xlogy(y_true, np.maximum(y_pred, EPSILON)) + special.xlogy(1.0 - y_true, np.maximum(1.0 - y_pred, EPSILON))
        )
    return _reduce_elementwise(values, reduction)


def binary_crossentropy_grad(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`binary_crossentropy` with respect to ``y_pred`` or the logits.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ij}} =
        \frac{1}{k} \left( \frac{1 - y_{ij}}{1 - p_{ij}} - \frac{y_{ij}}{p_{ij}} \right),
        \qquad
        \frac{\partial \ell_i}{\partial z_{ij}} = \frac{1}{k} \bigl( \sigma(z_{ij}) - y_{ij} \bigr)

    The second form (``from_logits=True``) is what makes a sigmoid output with
    cross-entropy learn fast: no factor :math:`\sigma'(z)` that vanishes when
    the sigmoid saturates. A term whose probability is held at the floor
    ``EPSILON`` contributes 0.

    Parameters and checks are those of :func:`binary_crossentropy`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.binary_crossentropy_grad([1, 0], [0.0, 0.0], from_logits=True)
    array([-0.25,  0.25])
    >>> losses.binary_crossentropy_grad([1, 0], [0.5, 0.5], reduction="sum")
    array([-2.,  2.])
    """
    y_true, y_pred, shape = _bce_inputs(y_true, y_pred, from_logits, reduction)
    if from_logits:
        derivative = special.expit(y_pred) - y_true
    else:
        derivative = (1.0 - y_true) * _floored_reciprocal(1.0 - y_pred) - y_true * (_floored_reciprocal(y_pred))
    return _elementwise_grad(derivative, reduction, shape)


def hinge(y_true, y_pred, *, reduction="mean"):
    r"""Hinge loss, the margin loss of support vector machines.

    With labels :math:`y \in \{-1, 1\}` and scores :math:`\hat y` (a tanh
    output or any real number),

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k} \max(0, 1 - y_{ij} \hat y_{ij})

    It is zero once the margin :math:`y \hat y` reaches 1.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Labels -1 and 1, or 0 and 1 (converted to -1 and 1).
    y_pred : array_like, same shape as ``y_true``
        Scores, any finite numbers.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If a label is not -1, 0 or 1, labels mix -1 with 0, the shapes differ,
        an input is empty or not finite, or ``reduction`` is unknown.

    See Also
    --------
    hinge_grad : its gradient.

    Notes
    -----
    Like ``keras.losses.hinge``, labels that are all 0 or 1 become -1 and 1
    (:math:`2y - 1`); with that the values are equal. Keras leaves any other
    labels unconverted, so a mix such as {-1, 0, 1} or a label 0.3 gives a
    number without complaint; lossbook raises. For 1-D input the mean equals
    ``sklearn.metrics.hinge_loss`` (binary case), which also maps the two
    labels to -1 and 1. Only the labels and the output need the -1/1
    convention, not the inputs.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.hinge([-1, 1, 1], [0.3, 0.8, -0.5], reduction="none")
    array([1.3, 0.2, 1.5])
    >>> losses.hinge([0, 1, 1], [0.3, 0.8, -0.5])  # 0/1 labels work too
    1.0
    >>> losses.hinge([1, 1], [1.0, 2.5])  # margin at least 1: no loss
    0.0
    """
    y_true, y_pred, _ = _elementwise_inputs(y_true, y_pred, reduction)
    margin = _signed_labels(y_true, "hinge") * y_pred
    return _reduce_elementwise(np.maximum(1.0 - margin, 0.0), reduction)


def hinge_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`hinge` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} =
        \begin{cases} -y_{ij} / k & y_{ij} \hat y_{ij} < 1 \\ 0 & \text{otherwise} \end{cases}

    Labels 0/1 are converted to -1/1 first; at a margin of exactly 1 the
    gradient is 0.

    Parameters and checks are those of :func:`hinge`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.hinge_grad([-1, 1, 1], [0.3, 0.8, 2.0], reduction="sum")
    array([ 1., -1.,  0.])
    """
    y_true, y_pred, shape = _elementwise_inputs(y_true, y_pred, reduction)
    signed = _signed_labels(y_true, "hinge")
    derivative = np.where(signed * y_pred < 1.0, -signed, 0.0)
    return _elementwise_grad(derivative, reduction, shape)


def squared_hinge(y_true, y_pred, *, reduction="mean"):
    r"""Squared hinge loss, a smooth version of :func:`hinge`.

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k} \max(0, 1 - y_{ij} \hat y_{ij})^2

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Labels -1 and 1, or 0 and 1 (converted to -1 and 1).
    y_pred : array_like, same shape as ``y_true``
        Scores, any finite numbers.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If a label is not -1, 0 or 1, labels mix -1 with 0, the shapes differ,
        an input is empty or not finite, or ``reduction`` is unknown.

    See Also
    --------
    squared_hinge_grad : its gradient.

    Notes
    -----
    Equals ``keras.losses.squared_hinge``, with the same label conversion and
    the same stricter label check as :func:`hinge`. scikit-learn has no
    squared hinge metric.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.squared_hinge([-1, 1, 1], [0.3, 0.8, -0.5], reduction="none")
    array([1.69, 0.04, 2.25])
    """
    y_true, y_pred, _ = _elementwise_inputs(y_true, y_pred, reduction)
    margin = _signed_labels(y_true, "squared_hinge") * y_pred
    return _reduce_elementwise(np.maximum(1.0 - margin, 0.0) ** 2, reduction)


def squared_hinge_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`squared_hinge` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} =
        -\frac{2}{k} \, y_{ij} \max(0, 1 - y_{ij} \hat y_{ij})

    Parameters and checks are those of :func:`squared_hinge`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.squared_hinge_grad([-1, 1, 1], [0.3, 0.8, 2.0], reduction="sum")
    array([ 2.6, -0.4,  0. ])
    """
    y_true, y_pred, shape = _elementwise_inputs(y_true, y_pred, reduction)
    signed = _signed_labels(y_true, "squared_hinge")
    derivative = -2.0 * signed * np.maximum(1.0 - signed * y_pred, 0.0)
    return _elementwise_grad(derivative, reduction, shape)


# ---------------------------------------------------------------------------
# Multi-class classification
# ---------------------------------------------------------------------------


def _cce_inputs(y_true, y_pred, from_logits, reduction, loss="categorical_crossentropy"):
    _v.check_bool(from_logits, "from_logits")
    y_true, y_pred = _row_inputs(y_true, y_pred, reduction, loss)
    _check_distribution_rows(y_pred, from_logits)
    return y_true, y_pred


def _cce_terms(y_true, y_pred, from_logits):
    """The terms :math:`-y_{ic} \\log p_{ic}` of the cross-entropy, floored or from logits (exact log-softmax)."""
    if from_logits:
        return -y_true * special.log_softmax(y_pred, axis=-1)
    return -special.xlogy(y_true, np.maximum(y_pred, EPSILON))


def _cce_values(y_true, y_pred, from_logits):
    """Per-row cross-entropy of target rows ``y_true`` (one-hot or not) against probabilities or logits."""
    return _cce_terms(y_true, y_pred, from_logits).sum(axis=-1)


def _through_softmax(p, weighted):
    """Gradient with respect to the logits from ``weighted`` = p * (gradient with respect to p = softmax(z)).

    :math:`\\partial \\ell / \\partial z_j = w_j - p_j \\sum_c w_c` with :math:`w_c = p_c \\, \\partial \\ell / \\partial p_c`.
    """
    return weighted - p * weighted.sum(axis=-1, keepdims=True)


def _cce_derivative(y_true, y_pred, from_logits):
    """Derivative of :func:`_cce_values` with respect to the probabilities or the logits."""
    if from_logits:  # p * d(-y log p)/dp = -y
        return _through_softmax(special.softmax(y_pred, axis=-1), -y_true)
    return -y_true * _floored_reciprocal(y_pred)


def categorical_crossentropy(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""Categorical cross-entropy, the loss of a softmax output.

    .. math::

        \ell_i = -\sum_{c=1}^{K} y_{ic} \log p_{ic}

    With ``from_logits=True`` ``y_pred`` holds logits :math:`z` and
    :math:`\log p_{ic} = z_{ic} - \log \sum_{c'} e^{z_{ic'}}` (log-sum-exp,
    exact for any finite logits).

    Parameters
    ----------
    y_true : array_like, shape (n, K)
        One-hot rows, or rows of target probabilities summing to 1.
    y_pred : array_like, shape (n, K)
        Rows of predicted probabilities summing to 1, or logits if
        ``from_logits``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (the output before the softmax).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If an input is not 2-D or has fewer than two columns, the shapes differ,
        a row of ``y_true`` (or of ``y_pred`` when ``from_logits=False``) has
        values outside [0, 1] or does not sum to 1, an input is empty or not
        finite, or ``reduction`` is unknown.

    See Also
    --------
    categorical_crossentropy_grad : its gradient.
    sparse_categorical_crossentropy : the same loss for integer labels.

    Notes
    -----
    Rows must sum to 1 within ``1e-5``. When they do not, lossbook raises;
    ``keras.losses.categorical_crossentropy`` divides each row by its sum
    without a word, and ``sklearn.metrics.log_loss`` (1.9) warns and uses
    the rows as given (earlier versions renormalised, as Keras does).

    Logarithms are floored at ``log(1e-7)`` as in :func:`binary_crossentropy`:
    a perfect prediction costs exactly 0 (Keras: about ``1e-7``, because it
    clips to :math:`1 - 10^{-7}`). Otherwise the values equal Keras and
    ``log_loss``, with one exception: when Keras scores the output tensor of
    its own softmax layer during training, it works from the logits and
    applies no floor, so examples whose probability is below ``1e-7`` cost
    more there than here. Pass the logits with ``from_logits=True`` to get
    the exact value. Keras treats a 1-D input as one example; lossbook asks for
    the 2-D form, because a 1-D ``y_true`` is usually a vector of integer
    labels meant for :func:`sparse_categorical_crossentropy`.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from lossbook import losses
    >>> losses.categorical_crossentropy([[1, 0, 0]], [[0.7, 0.2, 0.1]])
    0.357
    >>> losses.categorical_crossentropy([[1, 0, 0]], [[0.7, 0.2, 0.1]]) / math.log(2)
    0.515
    >>> y = np.eye(3)
    >>> p = [[0.9, 0.05, 0.05], [0.1, 0.8, 0.2], [0.1, 0.2, 0.7]]
    >>> losses.categorical_crossentropy(y, p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `y_pred` rows must each sum to 1 (within 1e-05), ...
    >>> losses.categorical_crossentropy(y, [[5.0, 0.0, -5.0]] * 3, from_logits=True)
    5.00676
    """
    y_true, y_pred = _cce_inputs(y_true, y_pred, from_logits, reduction)
    return _reduce(_cce_values(y_true, y_pred, from_logits), reduction)


def categorical_crossentropy_grad(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`categorical_crossentropy` with respect to ``y_pred`` or the logits.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ic}} = -\frac{y_{ic}}{p_{ic}},
        \qquad
        \frac{\partial \ell_i}{\partial z_{ic}} =
        \operatorname{softmax}(z_i)_c \sum_{c'} y_{ic'} - y_{ic}
        = \operatorname{softmax}(z_i)_c - y_{ic}

    The derivative with respect to probabilities treats each :math:`p_{ic}`
    as a free variable (it ignores that a row sums to 1); for a change that
    keeps the row summing to 1 only differences between its entries matter.
    Probabilities held at the floor ``EPSILON`` get 0.

    Parameters and checks are those of :func:`categorical_crossentropy`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, K)``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.categorical_crossentropy_grad([[1, 0]], [[0.0, 0.0]], from_logits=True)
    array([[-0.5,  0.5]])
    >>> losses.categorical_crossentropy_grad([[1, 0]], [[0.8, 0.2]])
    array([[-1.25,  0.  ]])
    """
    y_true, y_pred = _cce_inputs(y_true, y_pred, from_logits, reduction)
    return _row_grad(_cce_derivative(y_true, y_pred, from_logits), reduction)


def _sparse_inputs(y_true, y_pred, from_logits, reduction):
    _v.check_bool(from_logits, "from_logits")
    y_true, y_pred = _arrays(y_true, y_pred, reduction)
    _check_score_rows(y_pred)
    _targets(y_true, "sparse_categorical_crossentropy", n_classes=y_pred.shape[1])
    y_true = y_true.reshape(-1)
    _v.check_same_length(y_true, y_pred)
    _check_distribution_rows(y_pred, from_logits)
    return y_true.astype(np.intp), y_pred


def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""Categorical cross-entropy with integer class labels.

    With :math:`t_i \in \{0, \dots, K-1\}` the class of example :math:`i`,

    .. math::

        \ell_i = -\log p_{i, t_i}

    the same value as :func:`categorical_crossentropy` with one-hot rows. With
    ``from_logits=True``, :math:`\log p_{i, t_i} = z_{i, t_i} - \log \sum_c e^{z_{ic}}`.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, 1)
        Class indices 0..K-1 (floats such as 2.0 are accepted).
    y_pred : array_like, shape (n, K)
        Rows of predicted probabilities summing to 1, or logits if
        ``from_logits``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (the output before the softmax).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If a label is not a whole number in 0..K-1, the numbers of labels and
        rows differ, ``y_pred`` is not 2-D with at least two columns, a row of
        probabilities has values outside [0, 1] or does not sum to 1, an input
        is empty or not finite, or ``reduction`` is unknown.

    See Also
    --------
    sparse_categorical_crossentropy_grad : its gradient.
    categorical_crossentropy : the same loss for one-hot rows.

    Notes
    -----
    ``keras.losses.sparse_categorical_crossentropy`` casts labels to integers,
    so 0.5 silently becomes class 0; lossbook raises. Labels equal to K fail
    in both (TensorFlow raises ``InvalidArgumentError``). Row sums, the
    ``log(1e-7)`` floor (with its exception for the output of Keras' own
    softmax layer) and the 2-D requirement are as in
    :func:`categorical_crossentropy`. Works for two classes too, with two
    output columns.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import losses
    >>> p = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    >>> np.round(losses.sparse_categorical_crossentropy([1, 2], p, reduction="none"), 4)
    array([0.0513, 2.3026])
    >>> losses.sparse_categorical_crossentropy([0, 1], [[1000.0, -1000.0]] * 2, from_logits=True)
    1000.0
    """
    y_true, y_pred = _sparse_inputs(y_true, y_pred, from_logits, reduction)
    rows = np.arange(y_true.shape[0])
    if from_logits:
        values = -special.log_softmax(y_pred, axis=-1)[rows, y_true]
    else:
        values = -_floored_log(y_pred[rows, y_true])
    return _reduce(values, reduction)


def sparse_categorical_crossentropy_grad(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`sparse_categorical_crossentropy` w.r.t. ``y_pred`` or the logits.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ic}} = -\frac{[c = t_i]}{p_{ic}},
        \qquad
        \frac{\partial \ell_i}{\partial z_{ic}} = \operatorname{softmax}(z_i)_c - [c = t_i]

    Probabilities are treated as free variables, as in
    :func:`categorical_crossentropy_grad`; a probability held at the floor
    ``EPSILON`` gets 0.

    Parameters and checks are those of :func:`sparse_categorical_crossentropy`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, K)`` like ``y_pred``; divided by ``n`` for
        ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.sparse_categorical_crossentropy_grad([0], [[0.0, 0.0]], from_logits=True)
    array([[-0.5,  0.5]])
    """
    y_true, y_pred = _sparse_inputs(y_true, y_pred, from_logits, reduction)
    rows = np.arange(y_true.shape[0])
    if from_logits:
        derivative = special.softmax(y_pred, axis=-1)
        derivative[rows, y_true] -= 1.0
    else:
        derivative = np.zeros_like(y_pred)
        derivative[rows, y_true] = -_floored_reciprocal(y_pred[rows, y_true])
    return _row_grad(derivative, reduction)


def _kl_inputs(y_true, y_pred, reduction):
    y_true, y_pred = _row_inputs(y_true, y_pred, reduction, "kl_divergence")
    _v.check_in_range(
        y_pred,
        "y_pred",
        low=0.0,
        high=1.0,
        fix="kl_divergence compares probability distributions; turn logits into "
        "probabilities first with scipy.special.softmax(y_pred, axis=1).",
    )
    _v.check_rows_sum_to_one(
        y_pred,
        "y_pred",
        fix="KL divergence is defined between distributions: divide each row by its "
        "sum, y_pred / y_pred.sum(axis=1, keepdims=True), or apply a softmax to logits.",
    )
    return y_true, y_pred


def kl_divergence(y_true, y_pred, *, reduction="mean"):
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(y \,\|\, \hat y)` of each row.

    .. math::

        \ell_i = \sum_{c=1}^{K} y_{ic} \log \frac{y_{ic}}{\hat y_{ic}}

    It is the cross-entropy minus the entropy of ``y_true``, so with one-hot
    targets it equals :func:`categorical_crossentropy`. Natural logarithm: the
    unit is the nat; divide by :math:`\log 2` for bits.

    Parameters
    ----------
    y_true : array_like, shape (n, K)
        Rows of target probabilities summing to 1 (one-hot allowed).
    y_pred : array_like, shape (n, K)
        Rows of predicted probabilities summing to 1.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If an input is not 2-D or has fewer than two columns, the shapes differ,
        a row of either input has values outside [0, 1] or does not sum to 1,
        an input is empty or not finite, or ``reduction`` is unknown.

    See Also
    --------
    kl_divergence_grad : its gradient.
    scipy.special.rel_entr : the elementwise terms.

    Notes
    -----
    Both inputs must be distributions (rows summing to 1 within ``1e-5``): the
    sum over unnormalised vectors is not a divergence and can be negative.
    ``keras.losses.kl_divergence`` checks nothing; it clips both inputs to
    :math:`[10^{-7}, 1]`. lossbook floors only ``y_pred`` (at ``1e-7``) and
    takes :math:`0 \log 0 = 0` for ``y_true``, so a zero target probability
    adds exactly 0 (in Keras about ``1e-6`` per zero); otherwise the values
    equal Keras and ``scipy.stats.entropy(y_true, y_pred, axis=1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import losses
    >>> p = np.array([0.10, 0.30, 0.05, 0.90, 0.65, 0.21])
    >>> q = np.array([0.70, 0.55, 0.15, 0.04, 0.25, 0.45])
    >>> losses.kl_divergence([p / p.sum()], [q / q.sum()])
    1.249
    >>> losses.kl_divergence([q / q.sum()], [p / p.sum()])  # KL is not symmetric
    0.892
    >>> losses.kl_divergence([[1, 0, 0]], [[0.7, 0.2, 0.1]])
    0.357
    """
    y_true, y_pred = _kl_inputs(y_true, y_pred, reduction)
    values = special.rel_entr(y_true, np.maximum(y_pred, EPSILON)).sum(axis=-1)
    return _reduce(values, reduction)


def kl_divergence_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`kl_divergence` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ic}} = -\frac{y_{ic}}{\hat y_{ic}}

    The same as for :func:`categorical_crossentropy`: the two losses differ by
    the entropy of ``y_true``, which does not depend on ``y_pred``.
    Probabilities are treated as free variables; those held at the floor
    ``EPSILON`` get 0.

    Parameters and checks are those of :func:`kl_divergence`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, K)``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.kl_divergence_grad([[0.5, 0.5]], [[0.25, 0.75]])
    array([[-2.    , -0.6667]])
    """
    y_true, y_pred = _kl_inputs(y_true, y_pred, reduction)
    return _row_grad(-y_true * _floored_reciprocal(y_pred), reduction)


def _categorical_hinge_inputs(y_true, y_pred, reduction):
    y_true, y_pred = _row_inputs(y_true, y_pred, reduction, "categorical_hinge")
    _v.check_label_set(
        y_true, "y_true", {0.0, 1.0}, fix="categorical_hinge needs one-hot rows, not probabilities: np.eye(K)[labels]."
    )
    return y_true, y_pred


def _categorical_hinge_parts(y_true, y_pred):
    positive = (y_true * y_pred).sum(axis=-1)
    others = (1.0 - y_true) * y_pred
    return positive, others, others.max(axis=-1)


def categorical_hinge(y_true, y_pred, *, reduction="mean"):
    r"""Categorical hinge loss: the true class must win by a margin of 1.

    With :math:`t_i` the true class of example :math:`i`,

    .. math::

        \ell_i = \max\bigl(0,\; 1 + \max_c \,(1 - y_{ic}) \hat y_{ic} - \hat y_{i t_i}\bigr)

    The inner maximum runs over all classes but gives the true class the value
    0, so it is the largest wrong-class score, or 0 if all of them are negative.

    Parameters
    ----------
    y_true : array_like, shape (n, K)
        One-hot rows.
    y_pred : array_like, shape (n, K)
        Scores, any finite numbers (usually non-negative, e.g. softmax outputs).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If ``y_true`` is not one-hot, an input is not 2-D or has fewer than
        two columns, the shapes differ, an input is empty or not finite, or
        ``reduction`` is unknown.

    See Also
    --------
    categorical_hinge_grad : its gradient.

    Notes
    -----
    The formula is the one of ``keras.losses.categorical_hinge``, and the values
    are equal; lossbook additionally requires one-hot ``y_true`` (Keras accepts
    any numbers). With non-negative scores it equals the multi-class
    (Crammer-Singer) ``sklearn.metrics.hinge_loss``. When every wrong-class
    score is negative the two differ: scikit-learn uses the largest of them,
    Keras and lossbook use 0.

    Examples
    --------
    >>> from lossbook import losses
    >>> y = [[1, 0, 0], [0, 1, 0]]
    >>> losses.categorical_hinge(y, [[0.7, 0.2, 0.1], [0.5, 0.3, 0.2]], reduction="none")
    array([0.5, 1.2])
    """
    y_true, y_pred = _categorical_hinge_inputs(y_true, y_pred, reduction)
    positive, _, negative = _categorical_hinge_parts(y_true, y_pred)
    return _reduce(np.maximum(negative - positive + 1.0, 0.0), reduction)


def categorical_hinge_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`categorical_hinge` with respect to ``y_pred``.

    Where the loss is positive, -1 at the true class and +1 at the wrong class
    with the largest score (if that score is positive); 0 elsewhere:

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ic}} =
        [\ell_i > 0] \bigl([c = m_i] - [c = t_i]\bigr),
        \qquad m_i = \operatorname{argmax}_c (1 - y_{ic}) \hat y_{ic}

    with :math:`[c = m_i]` read as 0 when :math:`m_i = t_i` (all wrong-class
    scores negative). Ties go to the first class.

    Parameters and checks are those of :func:`categorical_hinge`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, K)``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.categorical_hinge_grad([[1, 0, 0]], [[0.7, 0.2, 0.1]])
    array([[-1.,  1.,  0.]])
    """
    y_true, y_pred = _categorical_hinge_inputs(y_true, y_pred, reduction)
    positive, others, negative = _categorical_hinge_parts(y_true, y_pred)
    rows = np.arange(y_pred.shape[0])
    strongest = others.argmax(axis=-1)
    derivative = -y_true.copy()
    derivative[rows, strongest] += 1.0 - y_true[rows, strongest]
    derivative *= (negative - positive + 1.0 > 0.0)[:, None]
    return _row_grad(derivative, reduction)


# ---------------------------------------------------------------------------
# Chapters 12 to 14: quantiles, counts, uncertainty, imbalance and over-confidence
# ---------------------------------------------------------------------------

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _pinball_inputs(y_true, y_pred, quantile, reduction):
    _v.check_scalar(quantile, "quantile", low=0, high=1, low_open=True, high_open=True, example=0.9)
    return _elementwise_inputs(y_true, y_pred, reduction)


def pinball_loss(y_true, y_pred, *, quantile=0.5, reduction="mean"):
    r"""Pinball (quantile) loss: its minimiser is the ``quantile``-th quantile of the targets.

    With :math:`e = y - \hat y` and :math:`q` the quantile,

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k} \max\bigl(q \, e_{ij},\; (q - 1) \, e_{ij}\bigr)

    An under-prediction costs :math:`q` per unit, an over-prediction
    :math:`1 - q`; at :math:`q = 0.5` the loss is half the absolute error.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Targets, any finite numbers.
    y_pred : array_like, same shape as ``y_true``
        Predicted quantiles.
    quantile : float, default 0.5
        The quantile :math:`q` to predict, strictly between 0 and 1.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If ``quantile`` is not in (0, 1), the shapes differ, an input is empty
        or not finite, or ``reduction`` is unknown.

    See Also
    --------
    pinball_loss_grad : its gradient.
    mean_absolute_error : twice the pinball loss at ``quantile=0.5``.

    Notes
    -----
    Equals ``sklearn.metrics.mean_pinball_loss(y_true, y_pred, alpha=quantile)``.
    Keras 3 has no pinball loss; :mod:`lossbook` trains Keras models with its
    own ``PinballLoss``. Shapes ``(n,)`` and ``(n, 1)`` are not mixed (see
    :func:`mean_squared_error`).

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.pinball_loss([10.0, 10.0], [8.0, 12.0], quantile=0.9, reduction="none")  # under, over
    array([1.8, 0.2])
    >>> losses.pinball_loss([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])  # half the MAE
    0.33333
    """
    y_true, y_pred, _ = _pinball_inputs(y_true, y_pred, quantile, reduction)
    error = y_true - y_pred
    return _reduce_elementwise(np.maximum(quantile * error, (quantile - 1.0) * error), reduction)


def pinball_loss_grad(y_true, y_pred, *, quantile=0.5, reduction="mean"):
    r"""Gradient of :func:`pinball_loss` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} =
        \frac{1}{k}
        \begin{cases} -q & \hat y_{ij} < y_{ij} \\ 1 - q & \hat y_{ij} > y_{ij} \\ 0 & \hat y_{ij} = y_{ij} \end{cases}

    At zero error (the kink) the gradient is taken as 0, as for
    :func:`mean_absolute_error_grad`.

    Parameters and checks are those of :func:`pinball_loss`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.pinball_loss_grad([10.0, 10.0, 10.0], [8.0, 12.0, 10.0], quantile=0.9, reduction="sum")
    array([-0.9,  0.1,  0. ])
    """
    y_true, y_pred, shape = _pinball_inputs(y_true, y_pred, quantile, reduction)
    derivative = np.where(y_pred < y_true, -quantile, np.where(y_pred > y_true, 1.0 - quantile, 0.0))
    return _elementwise_grad(derivative, reduction, shape)


def _poisson_inputs(y_true, y_pred, reduction):
    y_true, y_pred, shape = _elementwise_inputs(y_true, y_pred, reduction)
    fix = (
        "poisson compares counts with predicted rates: targets are counts (>= 0) and predictions rates (>= 0), "
        "e.g. the output of a softplus or exponential unit."
    )
    _targets(y_true, "poisson", fix=_v.COUNTS_HINT)
    _v.check_in_range(y_pred, "y_pred", low=0.0, fix=fix)
    return y_true, y_pred, shape


def poisson(y_true, y_pred, *, reduction="mean"):
    r"""Poisson loss, the negative log-likelihood of counts under predicted rates (without its constant).

    With :math:`\lambda = \hat y` the predicted rate,

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k} \bigl(\lambda_{ij} - y_{ij} \log \lambda_{ij}\bigr)

    the negative log-likelihood :math:`-\log P(y \mid \lambda)` of a Poisson
    count minus :math:`\log y!`, which does not depend on the prediction. It
    is smallest at :math:`\lambda = y`, where it equals :math:`y - y \log y`:
    negative for :math:`y > e`, so unlike the losses of chapters 6 to 9 its minimum is
    not 0.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Counts (any non-negative numbers).
    y_pred : array_like, same shape as ``y_true``
        Predicted rates, non-negative.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If a target or a rate is negative, the shapes differ, an input is
        empty or not finite, or ``reduction`` is unknown.

    See Also
    --------
    poisson_grad : its gradient.

    Notes
    -----
    ``keras.losses.poisson`` computes :math:`\lambda - y \log(\lambda + 10^{-7})`
    and accepts negative values; lossbook rejects them and floors the
    logarithm's argument at ``EPSILON = 1e-7`` instead, so the two differ by
    about :math:`10^{-7} y / \lambda` (a rate of exactly 0 costs
    :math:`16.118 \, y` in both).

    ``sklearn.metrics.mean_poisson_deviance`` is twice the excess of this loss
    over its value at the perfect prediction :math:`\lambda = y`:

    .. math::

        D(y, \lambda) = 2 \bigl(\ell(y, \lambda) - \ell(y, y)\bigr)
        = 2 \Bigl(y \log \frac{y}{\lambda} - y + \lambda\Bigr),

    so both have the same minimiser and the same gradient up to the factor 2.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.poisson([0.0, 2.0, 5.0], [1.0, 2.0, 5.0], reduction="none")  # 1, 2 - 2 log 2, 5 - 5 log 5
    array([ 1.    ,  0.6137, -3.0472])
    >>> y, rate = [0.0, 2.0, 5.0], [1.0, 3.0, 4.0]
    >>> 2 * (losses.poisson(y, rate) - losses.poisson(y, y))  # sklearn's mean_poisson_deviance
    0.86986
    """
    y_true, y_pred, _ = _poisson_inputs(y_true, y_pred, reduction)
    return _reduce_elementwise(y_pred - special.xlogy(y_true, np.maximum(y_pred, EPSILON)), reduction)


def poisson_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`poisson` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \lambda_{ij}} = \frac{1}{k} \left(1 - \frac{y_{ij}}{\lambda_{ij}}\right)

    A rate held at the floor ``EPSILON`` gets 1 (the logarithm is constant
    there).

    Parameters and checks are those of :func:`poisson`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.poisson_grad([2.0, 2.0, 0.0], [1.0, 2.0, 3.0], reduction="sum")
    array([-1.,  0.,  1.])
    """
    y_true, y_pred, shape = _poisson_inputs(y_true, y_pred, reduction)
    return _elementwise_grad(1.0 - y_true * _floored_reciprocal(y_pred), reduction, shape)


_GAUSSIAN_FIX = (
    "gaussian_nll takes one target per example, shape (n,) or (n, 1), and two predictions per example, "
    "shape (n, 2): the mean in column 0 and the log-variance log(sigma**2) in column 1."
)


def _gaussian_inputs(y_true, y_pred, reduction):
    y_true, y_pred = _arrays(y_true, y_pred, reduction)
    _v.check_ndim(y_true, "y_true", (1, 2), fix=_GAUSSIAN_FIX, columns="1")
    _v.check_ndim(y_pred, "y_pred", (2,), fix=_GAUSSIAN_FIX, columns="2")
    if y_true.ndim == 2 and y_true.shape[1] != 1:
        raise ValueError(f"`y_true` must have shape (n,) or (n, 1); got shape {y_true.shape}. {_GAUSSIAN_FIX}")
    if y_pred.shape[1] != 2:
        raise ValueError(f"`y_pred` must have shape (n, 2); got shape {y_pred.shape}. {_GAUSSIAN_FIX}")
    y_true = y_true.reshape(-1)
    _v.check_same_length(y_true, y_pred)
    return y_true, y_pred[:, 0], y_pred[:, 1]


def _scaled_squares(error, log_variance):
    """``error**2 / variance``; 0 where the error is 0, even if the variance underflows."""
    with np.errstate(over="ignore", invalid="ignore"):  # 0 * inf, replaced by 0
        return np.where(error == 0.0, 0.0, error**2 * np.exp(-log_variance))


def gaussian_nll(y_true, y_pred, *, reduction="mean"):
    r"""Gaussian negative log-likelihood of a predicted mean and log-variance.

    With :math:`\mu_i` and :math:`s_i = \log \sigma_i^2` the two columns of
    ``y_pred``,

    .. math::

        \ell_i = -\log \mathcal N(y_i \mid \mu_i, \sigma_i^2)
        = \tfrac12 \log(2\pi) + \tfrac12 s_i + \frac{(y_i - \mu_i)^2}{2 e^{s_i}}

    the full negative log-density in nats, constant included. A density can
    exceed 1, so the loss is negative when the predicted spread is small and
    the error too: at :math:`\sigma = 0.1` it is -1.384 for a perfect mean and
    -0.884 for an error of one :math:`\sigma`. With a fixed variance it is the
    mean squared error up to scale and shift.

    The network predicts the log-variance, not the variance: any real output
    is then valid, so a linear unit serves, and the variance
    :math:`e^{s}` is positive by construction.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, 1)
        Targets, any finite numbers.
    y_pred : array_like, shape (n, 2)
        Column 0: the predicted mean; column 1: the predicted log-variance
        :math:`\log \sigma^2` (any finite number).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If ``y_pred`` is not of shape (n, 2), ``y_true`` not of shape (n,) or
        (n, 1), their numbers of rows differ, an input is empty or not
        finite, or ``reduction`` is unknown.

    See Also
    --------
    gaussian_nll_grad : its gradient.

    Notes
    -----
    Equals ``-scipy.stats.norm.logpdf(y, mu, np.exp(s / 2))``, averaged.
    Keras 3 has no such loss; lossbook trains Keras models with its own
    ``GaussianNLL``. ``torch.nn.GaussianNLLLoss`` takes the variance and
    leaves out :math:`\tfrac12 \log(2\pi)` by default.

    Examples
    --------
    >>> import math
    >>> from lossbook import losses
    >>> losses.gaussian_nll([0.0], [[0.0, 0.0]])  # a perfect mean with sigma = 1
    0.91894
    >>> losses.gaussian_nll([0.0, 0.1], [[0.0, math.log(0.01)]] * 2, reduction="none")  # sigma = 0.1
    array([-1.3836, -0.8836])
    """
    y_true, mean, log_variance = _gaussian_inputs(y_true, y_pred, reduction)
    values = _HALF_LOG_2PI + 0.5 * log_variance + 0.5 * _scaled_squares(y_true - mean, log_variance)
    return _reduce(values, reduction)


def gaussian_nll_grad(y_true, y_pred, *, reduction="mean"):
    r"""Gradient of :func:`gaussian_nll` with respect to the mean and the log-variance.

    .. math::

        \frac{\partial \ell_i}{\partial \mu_i} = \frac{\mu_i - y_i}{e^{s_i}},
        \qquad
        \frac{\partial \ell_i}{\partial s_i} = \frac12 \left(1 - \frac{(y_i - \mu_i)^2}{e^{s_i}}\right)

    The log-variance is pushed towards the log of the squared error: down
    while the error is below :math:`\sigma`, up while it is above.

    Parameters and checks are those of :func:`gaussian_nll`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 2)`` like ``y_pred``; divided by ``n`` for
        ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.gaussian_nll_grad([1.0, 0.0], [[0.0, 0.0], [0.0, 0.0]], reduction="sum")
    array([[-1. ,  0. ],
           [ 0. ,  0.5]])
    """
    y_true, mean, log_variance = _gaussian_inputs(y_true, y_pred, reduction)
    error = y_true - mean
    with np.errstate(over="ignore", invalid="ignore"):
        d_mean = np.where(error == 0.0, 0.0, -error * np.exp(-log_variance))
    d_log_variance = 0.5 - 0.5 * _scaled_squares(error, log_variance)
    return _row_grad(np.stack([d_mean, d_log_variance], axis=1), reduction)


def _weighted_bce_inputs(y_true, y_pred, pos_weight, neg_weight, from_logits, reduction):
    _v.check_scalar(pos_weight, "pos_weight", low=0, example=2.0)
    _v.check_scalar(neg_weight, "neg_weight", low=0, example=1.0)
    return _bce_inputs(y_true, y_pred, from_logits, reduction, "weighted_binary_crossentropy")


def _bce_terms(y_true, y_pred, from_logits):
    """The two cross-entropy terms, :math:`-y \\log p` and :math:`-(1 - y) \\log(1 - p)`, floored or from logits."""
    if from_logits:
        return y_true * np.logaddexp(0.0, -y_pred), (1.0 - y_true) * np.logaddexp(0.0, y_pred)  # softplus(-z), softplus(z)
    return (
        -special.xlogy(y_true, np.maximum(y_pred, EPSILON)),
        -special.xlogy(1.0 - y_true, np.maximum(1.0 - y_pred, EPSILON)),
    )


def _bce_term_grads(y_true, y_pred, from_logits):
    """Derivatives of the two terms of :func:`_bce_terms` with respect to ``y_pred``."""
    if from_logits:
        p = special.expit(y_pred)
        return y_true * (p - 1.0), (1.0 - y_true) * p
    return -y_true * _floored_reciprocal(y_pred), (1.0 - y_true) * _floored_reciprocal(1.0 - y_pred)


def weighted_binary_crossentropy(y_true, y_pred, *, pos_weight=1.0, neg_weight=1.0, from_logits=False, reduction="mean"):
    r"""Binary cross-entropy with a weight for each class, for imbalanced labels.

    .. math::

        \ell_i = -\frac{1}{k} \sum_{j=1}^{k}
        \bigl[ w_+ \, y_{ij} \log p_{ij} + w_- (1 - y_{ij}) \log(1 - p_{ij}) \bigr]

    With 0 / 1 labels every positive example counts ``pos_weight`` times and
    every negative one ``neg_weight`` times; weights of 1 give
    :func:`binary_crossentropy`. A common choice is the inverse class
    frequency, :math:`w_c = n / (2 n_c)`.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Labels 0 or 1; soft labels in [0, 1] are accepted (each term keeps its
        own weight).
    y_pred : array_like, same shape as ``y_true``
        Probabilities of class 1 in [0, 1], or logits if ``from_logits``.
    pos_weight, neg_weight : float, default 1.0
        Weights :math:`w_+` of the positive and :math:`w_-` of the negative
        class, non-negative.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (the output before the sigmoid).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If a weight is negative or not a number, a label or a probability is
        outside [0, 1], the shapes differ, an input is empty or not finite, or
        ``reduction`` is unknown.

    See Also
    --------
    weighted_binary_crossentropy_grad : its gradient.
    binary_crossentropy : the unweighted loss, with the same floor at ``EPSILON``.

    Notes
    -----
    The mean divides the weighted sum by the number of examples :math:`n`,
    not by the sum of the weights. With 0 / 1 labels it therefore equals
    Keras' ``BinaryCrossentropy()(y, p, sample_weight=w)`` with
    :math:`w_i = w_+` for positives and :math:`w_-` for negatives (Keras'
    ``"sum_over_batch_size"`` also divides by :math:`n`), and equals
    ``sklearn.metrics.log_loss(y, p, sample_weight=w)`` times
    :math:`\sum_i w_i / n`: scikit-learn divides by the sum of the weights.
    Keras has no class-weighted loss class (``class_weight`` in ``fit`` does
    the same by sample weights); lossbook trains Keras models with its own
    ``WeightedBinaryCrossentropy``.

    Examples
    --------
    >>> from lossbook import losses
    >>> y, p = [1, 0, 0, 0], [0.6, 0.2, 0.1, 0.3]
    >>> losses.weighted_binary_crossentropy(y, p, reduction="none")  # binary_crossentropy
    array([0.5108, 0.2231, 0.1054, 0.3567])
    >>> losses.weighted_binary_crossentropy(y, p, pos_weight=3.0, reduction="none")
    array([1.5325, 0.2231, 0.1054, 0.3567])
    """
    y_true, y_pred, _ = _weighted_bce_inputs(y_true, y_pred, pos_weight, neg_weight, from_logits, reduction)
    positive, negative = _bce_terms(y_true, y_pred, from_logits)
    return _reduce_elementwise(pos_weight * positive + neg_weight * negative, reduction)


def weighted_binary_crossentropy_grad(y_true, y_pred, *, pos_weight=1.0, neg_weight=1.0, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`weighted_binary_crossentropy` with respect to ``y_pred`` or the logits.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ij}} =
        \frac{1}{k} \left( w_- \frac{1 - y_{ij}}{1 - p_{ij}} - w_+ \frac{y_{ij}}{p_{ij}} \right),
        \qquad
        \frac{\partial \ell_i}{\partial z_{ij}} =
        \frac{1}{k} \bigl( w_- (1 - y_{ij}) \sigma(z_{ij}) - w_+ y_{ij} (1 - \sigma(z_{ij})) \bigr)

    A term whose probability is held at the floor ``EPSILON`` contributes 0.

    Parameters and checks are those of :func:`weighted_binary_crossentropy`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.weighted_binary_crossentropy_grad([1, 0], [0.0, 0.0], pos_weight=3.0, from_logits=True, reduction="sum")
    array([-1.5,  0.5])
    """
    y_true, y_pred, shape = _weighted_bce_inputs(y_true, y_pred, pos_weight, neg_weight, from_logits, reduction)
    positive, negative = _bce_term_grads(y_true, y_pred, from_logits)
    return _elementwise_grad(pos_weight * positive + neg_weight * negative, reduction, shape)


def _focal_inputs(y_true, y_pred, apply_class_balancing, alpha, gamma, from_logits, reduction):
    _v.check_bool(apply_class_balancing, "apply_class_balancing")
    _v.check_scalar(alpha, "alpha", low=0, high=1, example=0.25)
    _v.check_scalar(gamma, "gamma", low=0, example=2.0)
    return _bce_inputs(y_true, y_pred, from_logits, reduction, "binary_focal_crossentropy")


def _focal_parts(y_true, y_pred, apply_class_balancing, alpha, from_logits):
    """Probability of class 1, :math:`1 - p_t`, the cross-entropy and the class weight."""
    p = special.expit(y_pred) if from_logits else y_pred
    miss = 1.0 - (y_true * p + (1.0 - y_true) * (1.0 - p))
    positive, negative = _bce_terms(y_true, y_pred, from_logits)
    weight = y_true * alpha + (1.0 - y_true) * (1.0 - alpha) if apply_class_balancing else 1.0
    return p, miss, positive + negative, weight


def _focus(miss, gamma):
    """:math:`\\gamma m^{\\gamma - 1}`, the derivative of the modulating factor :math:`m^\\gamma`; 0 where m = 0."""
    with np.errstate(divide="ignore"):
        return gamma * np.power(miss, gamma - 1.0, out=np.zeros_like(miss), where=miss > 0.0)


def binary_focal_crossentropy(
    y_true, y_pred, *, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, reduction="mean"
):
    r"""Binary focal cross-entropy: cross-entropy scaled down on examples already classified well.

    With :math:`p_t = y p + (1 - y)(1 - p)` the probability given to the
    true class and :math:`\mathrm{BCE}` the binary cross-entropy,

    .. math::

        \ell_i = \frac{1}{k} \sum_{j=1}^{k} a_{ij} \, (1 - p_{t,ij})^\gamma \, \mathrm{BCE}_{ij},
        \qquad
        a_{ij} = \begin{cases} \alpha y_{ij} + (1 - \alpha)(1 - y_{ij}) & \text{with class balancing} \\
        1 & \text{otherwise} \end{cases}

    An example predicted with :math:`p_t = 0.9` keeps :math:`0.1^2 = 1\%` of
    its cross-entropy at :math:`\gamma = 2`, so training concentrates on the
    hard, often rare, examples (Lin et al. 2017). :math:`\gamma = 0` without
    class balancing is :func:`binary_crossentropy`.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, k)
        Labels 0 or 1; soft labels in [0, 1] are accepted.
    y_pred : array_like, same shape as ``y_true``
        Probabilities of class 1 in [0, 1], or logits if ``from_logits``.
    apply_class_balancing : bool, default False
        Whether to weight positives by ``alpha`` and negatives by ``1 - alpha``.
    alpha : float, default 0.25
        The positive class's weight with class balancing, in [0, 1].
    gamma : float, default 2.0
        The focusing parameter :math:`\gamma \ge 0`.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (the output before the sigmoid).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If ``gamma`` is negative, ``alpha`` outside [0, 1], a flag not a bool,
        a label or a probability outside [0, 1], the shapes differ, an input
        is empty or not finite, or ``reduction`` is unknown.

    See Also
    --------
    binary_focal_crossentropy_grad : its gradient.

    Notes
    -----
    The options are Keras' and the values equal
    ``keras.losses.BinaryFocalCrossentropy(apply_class_balancing=...,
    alpha=..., gamma=...)``, with the floor of :func:`binary_crossentropy`
    at the ends. With ``from_logits=True`` Keras applies the sigmoid and then
    clips, lossbook uses the exact log-sum-exp form, so the two differ for
    logits beyond about :math:`\pm 16`. Keras' ``label_smoothing`` option is
    not offered.

    Examples
    --------
    >>> from lossbook import losses
    >>> y, p = [1, 1], [0.9, 0.4]
    >>> losses.binary_focal_crossentropy(y, p, reduction="none")  # 0.1**2 * 0.105, 0.6**2 * 0.916
    array([0.0011, 0.3299])
    >>> losses.binary_focal_crossentropy(y, p, gamma=0.0) == losses.binary_crossentropy(y, p)
    True
    """
    y_true, y_pred, _ = _focal_inputs(y_true, y_pred, apply_class_balancing, alpha, gamma, from_logits, reduction)
    _, miss, bce, weight = _focal_parts(y_true, y_pred, apply_class_balancing, alpha, from_logits)
    return _reduce_elementwise(weight * miss**gamma * bce, reduction)


def binary_focal_crossentropy_grad(
    y_true, y_pred, *, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, reduction="mean"
):
    r"""Gradient of :func:`binary_focal_crossentropy` with respect to ``y_pred`` or the logits.

    With :math:`m = 1 - p_t`, :math:`\partial m / \partial p = 1 - 2y` and
    :math:`a` the class weight,

    .. math::

        \frac{\partial \ell_i}{\partial p_{ij}} = \frac{a_{ij}}{k} \left(
        \gamma \, m_{ij}^{\gamma - 1} (1 - 2 y_{ij}) \, \mathrm{BCE}_{ij}
        + m_{ij}^{\gamma} \, \frac{\partial \mathrm{BCE}_{ij}}{\partial p_{ij}} \right)

    and for logits the same with :math:`\partial p / \partial z = p (1 - p)`
    in the first term and :math:`\partial \mathrm{BCE} / \partial z = p - y`
    in the second. Where :math:`m = 0` (a perfect prediction) the first term
    is 0. A cross-entropy term held at the floor ``EPSILON`` has derivative 0.

    Parameters and checks are those of :func:`binary_focal_crossentropy`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.binary_focal_crossentropy_grad([1, 0], [0.0, 0.0], from_logits=True, reduction="sum")
    array([-0.2983,  0.2983])
    """
    y_true, y_pred, shape = _focal_inputs(y_true, y_pred, apply_class_balancing, alpha, gamma, from_logits, reduction)
    p, miss, bce, weight = _focal_parts(y_true, y_pred, apply_class_balancing, alpha, from_logits)
    positive, negative = _bce_term_grads(y_true, y_pred, from_logits)
    d_miss = 1.0 - 2.0 * y_true
    if from_logits:
        d_miss = d_miss * p * (1.0 - p)
    derivative = weight * (_focus(miss, gamma) * d_miss * bce + miss**gamma * (positive + negative))
    return _elementwise_grad(derivative, reduction, shape)


def _smoothed_inputs(y_true, y_pred, label_smoothing, from_logits, reduction):
    _v.check_scalar(label_smoothing, "label_smoothing", low=0, high=1, high_open=True, example=0.1)
    y_true, y_pred = _cce_inputs(y_true, y_pred, from_logits, reduction, "label_smoothed_categorical_crossentropy")
    return y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[1], y_pred


def label_smoothed_categorical_crossentropy(y_true, y_pred, *, label_smoothing=0.1, from_logits=False, reduction="mean"):
    r"""Categorical cross-entropy against targets mixed with the uniform distribution.

    With :math:`\varepsilon` = ``label_smoothing`` and :math:`K` classes, the
    targets become

    .. math::

        \tilde y_{ic} = (1 - \varepsilon) \, y_{ic} + \varepsilon / K,
        \qquad
        \ell_i = -\sum_{c=1}^{K} \tilde y_{ic} \log p_{ic}

    so a one-hot target asks for :math:`1 - \varepsilon + \varepsilon / K` on
    the true class instead of 1, and the loss stops rewarding ever larger
    logits (Szegedy et al. 2016). Its minimum, at :math:`p = \tilde y`, is the
    entropy of :math:`\tilde y`, not 0.

    Parameters
    ----------
    y_true : array_like, shape (n, K)
        One-hot rows, or rows of target probabilities summing to 1.
    y_pred : array_like, shape (n, K)
        Rows of predicted probabilities summing to 1, or logits if
        ``from_logits``.
    label_smoothing : float, default 0.1
        :math:`\varepsilon`, in [0, 1); 0 gives :func:`categorical_crossentropy`.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (the output before the softmax).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If ``label_smoothing`` is not in [0, 1), or for the reasons of
        :func:`categorical_crossentropy`.

    See Also
    --------
    label_smoothed_categorical_crossentropy_grad : its gradient.

    Notes
    -----
    Equals ``keras.losses.CategoricalCrossentropy(label_smoothing=...)`` and
    ``keras.losses.categorical_crossentropy(..., label_smoothing=...)``, with
    the floor and the row checks of :func:`categorical_crossentropy`.

    Examples
    --------
    >>> from lossbook import losses
    >>> y = [[1, 0, 0]]
    >>> losses.label_smoothed_categorical_crossentropy(y, [[0.7, 0.2, 0.1]])
    0.4633
    >>> losses.label_smoothed_categorical_crossentropy(y, [[0.7, 0.2, 0.1]], label_smoothing=0.0)
    0.35667
    """
    y_true, y_pred = _smoothed_inputs(y_true, y_pred, label_smoothing, from_logits, reduction)
    return _reduce(_cce_values(y_true, y_pred, from_logits), reduction)


def label_smoothed_categorical_crossentropy_grad(y_true, y_pred, *, label_smoothing=0.1, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`label_smoothed_categorical_crossentropy` w.r.t. ``y_pred`` or the logits.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ic}} = -\frac{\tilde y_{ic}}{p_{ic}},
        \qquad
        \frac{\partial \ell_i}{\partial z_{ic}} = \operatorname{softmax}(z_i)_c - \tilde y_{ic}

    The gradient with respect to the logits vanishes at :math:`p = \tilde y`,
    at finite logits. Probabilities are treated as free variables and those
    held at the floor ``EPSILON`` get 0, as in
    :func:`categorical_crossentropy_grad`.

    Parameters and checks are those of :func:`label_smoothed_categorical_crossentropy`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, K)``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.label_smoothed_categorical_crossentropy_grad([[1, 0]], [[0.0, 0.0]], from_logits=True)
    array([[-0.45,  0.45]])
    """
    y_true, y_pred = _smoothed_inputs(y_true, y_pred, label_smoothing, from_logits, reduction)
    return _row_grad(_cce_derivative(y_true, y_pred, from_logits), reduction)


def _categorical_focal_inputs(y_true, y_pred, alpha, gamma, from_logits, reduction):
    _v.check_scalar(alpha, "alpha", low=0, low_open=True, example=0.25)
    _v.check_scalar(gamma, "gamma", low=0, example=2.0)
    return _cce_inputs(y_true, y_pred, from_logits, reduction, "categorical_focal_crossentropy")


def _categorical_focal_parts(y_true, y_pred, from_logits):
    """The probabilities, :math:`1 - p_{ic}` and the cross-entropy terms :math:`-y_{ic} \\log p_{ic}`."""
    p = special.softmax(y_pred, axis=-1) if from_logits else y_pred
    return p, 1.0 - p, _cce_terms(y_true, y_pred, from_logits)


def categorical_focal_crossentropy(y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False, reduction="mean"):
    r"""Categorical focal cross-entropy: the multi-class focal loss, Keras' ``CategoricalFocalCrossentropy``.

    Each class's cross-entropy term is scaled down by how much probability
    the class already has,

    .. math::

        \ell_i = \alpha \sum_{c=1}^{K} (1 - p_{ic})^\gamma \, \bigl(-y_{ic} \log p_{ic}\bigr)

    so with one-hot targets an example whose true class has :math:`p = 0.9`
    keeps :math:`0.1^2 = 1\%` of its cross-entropy at :math:`\gamma = 2`, and
    training concentrates on the examples still classified badly (Lin et al.
    2017). :math:`\gamma = 0` and :math:`\alpha = 1` give
    :func:`categorical_crossentropy`.

    Unlike ``alpha`` of :func:`binary_focal_crossentropy`, which weighs the
    positive class against the negative one, :math:`\alpha` here is a single
    number that multiplies the whole loss. At its default 0.25 it scales the
    loss and its gradient by a quarter, which for plain SGD acts like a
    quarter of the learning rate; it changes no minimiser.

    Parameters
    ----------
    y_true : array_like, shape (n, K)
        One-hot rows, or rows of target probabilities summing to 1.
    y_pred : array_like, shape (n, K)
        Rows of predicted probabilities summing to 1, or logits if
        ``from_logits``.
    alpha : float, default 0.25
        :math:`\alpha > 0`, the factor of the whole loss.
    gamma : float, default 2.0
        The focusing parameter :math:`\gamma \ge 0`.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (the output before the softmax).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum of the per-example losses, or the per-example losses.

    Returns
    -------
    float or numpy.ndarray
        A float for "mean" and "sum"; an array of shape ``(n,)`` for "none".

    Raises
    ------
    ValueError
        If ``alpha`` is not a positive, finite number, ``gamma`` is negative
        or not a number, or for the reasons of :func:`categorical_crossentropy`.

    See Also
    --------
    categorical_focal_crossentropy_grad : its gradient.
    binary_focal_crossentropy : the focal loss of a sigmoid output.
    categorical_crossentropy : the loss without focusing, with the same floor and row checks.

    Notes
    -----
    The values equal ``keras.losses.CategoricalFocalCrossentropy(alpha=...,
    gamma=..., from_logits=...)``, with the floor and the row checks of
    :func:`categorical_crossentropy`: Keras divides each row of ``y_pred`` by
    its sum, lossbook raises when a row does not sum to 1. Keras clips the
    probabilities to :math:`[10^{-7}, 1 - 10^{-7}]` in the modulating factor
    too, lossbook uses them as given (a difference below :math:`10^{-7}`
    relative). With ``from_logits=True`` Keras applies the softmax and then
    clips, lossbook uses the exact log-softmax, so the two differ where a
    probability falls below :math:`10^{-7}` (logits more than about 16
    apart). Keras also accepts a list of per-class weights as ``alpha`` and a
    ``label_smoothing`` option; lossbook offers neither.

    Examples
    --------
    >>> from lossbook import losses
    >>> y, p = [[1, 0, 0], [0, 1, 0]], [[0.8, 0.1, 0.1], [0.1, 0.3, 0.6]]
    >>> losses.categorical_focal_crossentropy(y, p, reduction="none")  # 0.25 * 0.2**2 * 0.223, 0.25 * 0.7**2 * 1.204
    array([0.0022, 0.1475])
    >>> losses.categorical_focal_crossentropy(y, p, alpha=1.0, gamma=0.0) == losses.categorical_crossentropy(y, p)
    True
    """
    y_true, y_pred = _categorical_focal_inputs(y_true, y_pred, alpha, gamma, from_logits, reduction)
    _, miss, terms = _categorical_focal_parts(y_true, y_pred, from_logits)
    return _reduce(alpha * (miss**gamma * terms).sum(axis=-1), reduction)


def categorical_focal_crossentropy_grad(y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`categorical_focal_crossentropy` with respect to ``y_pred`` or the logits.

    With :math:`m_{ic} = 1 - p_{ic}` and :math:`t_{ic} = -y_{ic} \log p_{ic}`,

    .. math::

        g_{ic} = \frac{\partial \ell_i}{\partial p_{ic}} = \alpha \left(
        m_{ic}^{\gamma} \, \frac{-y_{ic}}{p_{ic}} - \gamma \, m_{ic}^{\gamma - 1} \, t_{ic} \right),
        \qquad
        \frac{\partial \ell_i}{\partial z_{ij}} = p_{ij} g_{ij} - p_{ij} \sum_{c} p_{ic} g_{ic}

    (the second through the softmax, with :math:`p_{ic} g_{ic}` computed
    without dividing by :math:`p_{ic}`). For :math:`\gamma = 0` and
    :math:`\alpha = 1` this is :func:`categorical_crossentropy_grad`. Where
    :math:`m = 0` (a perfect prediction) the second term is 0. Probabilities
    are treated as free variables, and a term held at the floor ``EPSILON``
    keeps only the derivative of its modulating factor, as in
    :func:`categorical_crossentropy_grad`.

    Parameters and checks are those of :func:`categorical_focal_crossentropy`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, K)``; divided by ``n`` for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.categorical_focal_crossentropy_grad([[1, 0]], [[0.0, 0.0]], from_logits=True)
    array([[-0.0746,  0.0746]])
    >>> losses.categorical_focal_crossentropy_grad([[1, 0]], [[0.8, 0.2]])
    array([[-0.0348,  0.    ]])
    """
    y_true, y_pred = _categorical_focal_inputs(y_true, y_pred, alpha, gamma, from_logits, reduction)
    p, miss, terms = _categorical_focal_parts(y_true, y_pred, from_logits)
    if from_logits:  # p * dt/dp = -y, and p * (the rest), ready for the softmax
        derivative = alpha * (miss**gamma * -y_true - _focus(miss, gamma) * p * terms)
        derivative = _through_softmax(p, derivative)
    else:
        derivative = alpha * (miss**gamma * _cce_derivative(y_true, y_pred, False) - _focus(miss, gamma) * terms)
    return _row_grad(derivative, reduction)


# ---------------------------------------------------------------------------
# Chapter 15: wrong labels. Generalised and symmetric cross-entropy and the
# MAE of the probabilities take integer labels, as Keras' generalised
# cross-entropy does; lossbook.robust trains with them.
# ---------------------------------------------------------------------------

_NOISY_LABELS_FIX = "These losses take integer class labels 0..K-1, as Keras' CategoricalGeneralizedCrossEntropy does."


def _noisy_label_inputs(y_true, y_pred, from_logits, reduction, loss):
    """Checked integer labels (n,) and probabilities (n, K): the softmax of ``y_pred`` when it holds logits."""
    _v.check_bool(from_logits, "from_logits")
    _v.check_reduction(reduction)
    y_pred = _v.as_float_array(y_pred, "y_pred")
    _v.check_nonempty(y_pred, "y_pred")
    _v.check_finite(y_pred, "y_pred")
    _v.check_ndim(y_pred, "y_pred", (2,), fix="Pass one row of K class scores per example, shape (n, K).")
    _v.check_min_columns(y_pred, "y_pred", 2, fix="A classifier needs at least two classes, one column each.")
    labels = _v.check_targets("index", y_true, caller=loss, n_classes=y_pred.shape[1], name="y_true", fix=_NOISY_LABELS_FIX)
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    _v.check_same_length(labels, y_pred)
    if from_logits:
        p = special.softmax(y_pred, axis=1)
    else:
        fix = "Did you pass logits? Then set from_logits=True."
        _v.check_in_range(y_pred, "y_pred", low=0.0, high=1.0, fix=fix)
        _v.check_rows_sum_to_one(y_pred, "y_pred", fix=fix)
        p = y_pred
    return labels.astype(np.intp), p


def _check_gce_q(q):
    _v.check_scalar(q, "q", low=0.0, high=1.0, low_open=True, example=0.7)
    return float(q)


def _check_sce_weights(alpha, beta, log_zero):
    _v.check_scalar(alpha, "alpha", low=0.0, example=0.1)
    _v.check_scalar(beta, "beta", low=0.0, example=1.0)
    if alpha == 0 and beta == 0:
        raise ValueError("`alpha` and `beta` are both 0, which leaves no loss; set e.g. alpha=0.1, beta=1.0.")
    _v.check_scalar(log_zero, "log_zero", high=0.0, high_open=True, example=-4.0)
    return float(alpha), float(beta), float(log_zero)


def _labelled(p, labels):
    return p[np.arange(labels.size), labels]


def _weighted_cce_logit_grad(p, labels, weight):
    """The gradient w.r.t. the logits, weight * (p - one-hot), one weight per row."""
    grad = p.copy()
    grad[np.arange(labels.size), labels] -= 1.0
    return weight[:, None] * grad


def generalized_cross_entropy(y_true, y_pred, *, q=0.5, from_logits=False, reduction="mean"):
    r"""Generalised cross-entropy (Zhang and Sabuncu 2018) of integer labels.

    .. math::

        \ell_i = \frac{1 - p_{i, y_i}^{\,q}}{q}, \qquad 0 < q \le 1

    It tends to cross-entropy as :math:`q \to 0` and is half the
    :func:`classification_mae` at :math:`q = 1`. Equal to
    ``keras.losses.CategoricalGeneralizedCrossEntropy(q=q)``, which takes
    :math:`0 < q < 1`.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, 1)
        Class indices 0..K-1.
    y_pred : array_like, shape (n, K)
        Probabilities (rows summing to 1), or logits if ``from_logits``.
    q : float, default 0.5
        In (0, 1]. The default is Keras'; chapter 15 tunes q over 0.3 and
        0.7 and chooses 0.7, which it passes explicitly.
    from_logits : bool, default False
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    float or numpy.ndarray of shape (n,)

    Raises
    ------
    ValueError
        If a label is not a whole number in 0..K-1, ``y_pred`` is not (n, K)
        rows of probabilities (or finite logits), the lengths differ, ``q``
        lies outside (0, 1], or ``reduction`` is unknown.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.generalized_cross_entropy([0, 1], [[0.81, 0.19], [0.75, 0.25]], q=0.5, reduction="none")
    array([0.2, 1. ])
    """
    q = _check_gce_q(q)
    labels, p = _noisy_label_inputs(y_true, y_pred, from_logits, reduction, "generalized_cross_entropy")
    return _reduce((1.0 - _labelled(p, labels) ** q) / q, reduction)


def generalized_cross_entropy_grad(y_true, y_pred, *, q=0.5, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`generalized_cross_entropy` w.r.t. ``y_pred`` or, with ``from_logits``, the logits.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ic}} = -[c = y_i]\, p_{i y_i}^{\,q - 1},
        \qquad
        \frac{\partial \ell_i}{\partial z_{ic}} = p_{i y_i}^{\,q}\,(p_{ic} - [c = y_i])

    Probabilities are free variables; :math:`p_{iy_i}` below ``EPSILON`` is
    taken at ``EPSILON`` in the negative power. Parameters and checks are
    those of :func:`generalized_cross_entropy`; the result has the shape of
    ``y_pred``, divided by n for ``reduction="mean"``.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.generalized_cross_entropy_grad([0], [[0.0, 0.0]], q=1.0, from_logits=True)
    array([[-0.25,  0.25]])
    """
    q = _check_gce_q(q)
    labels, p = _noisy_label_inputs(y_true, y_pred, from_logits, reduction, "generalized_cross_entropy")
    p_true = _labelled(p, labels)
    if from_logits:
        return _row_grad(_weighted_cce_logit_grad(p, labels, p_true**q), reduction)
    g = np.zeros_like(p)
    g[np.arange(labels.size), labels] = -(np.maximum(p_true, EPSILON) ** (q - 1.0))
    return _row_grad(g, reduction)


def symmetric_cross_entropy(y_true, y_pred, *, alpha=0.1, beta=1.0, log_zero=-4.0, from_logits=False, reduction="mean"):
    r"""Symmetric cross-entropy (Wang et al. 2019) of integer labels.

    .. math::

        \ell_i = -\alpha \log p_{i y_i} \;-\; \beta \sum_{k \ne y_i} p_{ik}\, A

    The first term is cross-entropy (the probability floored at ``EPSILON``,
    as in Keras); the second, the reverse cross-entropy, is
    :math:`-\sum_k p_k \log [k = y]` with :math:`\log 0` replaced by
    :math:`A` = ``log_zero``, and equals :math:`-A (1 - p_{iy_i})`. Keras has
    no such loss; its cross-entropy part equals
    ``keras.losses.SparseCategoricalCrossentropy``, and
    :class:`lossbook.keras_losses.SymmetricCrossentropy` is the whole loss
    in Keras.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, 1)
        Class indices 0..K-1.
    y_pred : array_like, shape (n, K)
        Probabilities, or logits if ``from_logits``.
    alpha, beta : float, default 0.1 and 1.0
        Weights of cross-entropy and reverse cross-entropy, 0 or more, not
        both 0. The default is the paper's CIFAR-10 setting and the one
        chapter 15 chooses from its grid of (0.1, 1) and (1, 1).
    log_zero : float, default -4.0
        The constant A that stands for log 0; negative; -4 in the paper
        and in chapter 15.
    from_logits : bool, default False
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    float or numpy.ndarray of shape (n,)

    Raises
    ------
    ValueError
        As :func:`generalized_cross_entropy`, and if ``alpha`` or ``beta`` is
        negative, both are 0, or ``log_zero`` is not negative.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import losses
    >>> np.round(losses.symmetric_cross_entropy([0], [[0.5, 0.5]], alpha=0.1, beta=1.0), 4)  # 0.1 log 2 + 4 * 0.5
    np.float64(2.0693)
    """
    alpha, beta, log_zero = _check_sce_weights(alpha, beta, log_zero)
    labels, p = _noisy_label_inputs(y_true, y_pred, from_logits, reduction, "symmetric_cross_entropy")
    p_true = _labelled(p, labels)
    if from_logits:
        ce = -special.log_softmax(np.asarray(y_pred, dtype=np.float64), axis=1)[np.arange(labels.size), labels]
    else:
        ce = -np.log(np.maximum(p_true, EPSILON))
    rce = -log_zero * (p.sum(axis=1) - p_true)
    return _reduce(alpha * ce + beta * rce, reduction)


def symmetric_cross_entropy_grad(y_true, y_pred, *, alpha=0.1, beta=1.0, log_zero=-4.0, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`symmetric_cross_entropy` w.r.t. ``y_pred`` or, with ``from_logits``, the logits.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ic}} = -\frac{\alpha\,[c = y_i]}{p_{iy_i}} - \beta A\,[c \ne y_i],
        \qquad
        \frac{\partial \ell_i}{\partial z_{ic}} = (\alpha - \beta A\, p_{iy_i})\,(p_{ic} - [c = y_i])

    Probabilities are free variables; a probability below ``EPSILON`` is held
    at the floor, where the cross-entropy term's derivative is 0, as in
    Keras. Parameters and checks are those of :func:`symmetric_cross_entropy`.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.symmetric_cross_entropy_grad([0], [[0.0, 0.0]], alpha=1.0, beta=0.0, from_logits=True)
    array([[-0.5,  0.5]])
    """
    alpha, beta, log_zero = _check_sce_weights(alpha, beta, log_zero)
    labels, p = _noisy_label_inputs(y_true, y_pred, from_logits, reduction, "symmetric_cross_entropy")
    p_true = _labelled(p, labels)
    if from_logits:
        return _row_grad(_weighted_cce_logit_grad(p, labels, alpha - beta * log_zero * p_true), reduction)
    g = np.full_like(p, -beta * log_zero)
    rows = np.arange(labels.size)
    g[rows, labels] = np.where(p_true > EPSILON, -alpha / np.maximum(p_true, EPSILON), 0.0)
    return _row_grad(g, reduction)


def classification_mae(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""Mean absolute error between one-hot labels and probabilities (Ghosh, Kumar and Sastry 2017).

    .. math::

        \ell_i = \sum_k \bigl|[k = y_i] - p_{ik}\bigr| = 2\,(1 - p_{iy_i})

    (the second form on rows that sum to 1). Keras'
    ``keras.losses.MeanAbsoluteError`` on one-hot rows averages over the K
    columns instead of summing: it gives :math:`\ell_i / K`.
    :class:`lossbook.keras_losses.ClassificationMAE` is this loss in Keras.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, 1)
        Class indices 0..K-1.
    y_pred : array_like, shape (n, K)
        Probabilities, or logits if ``from_logits``.
    from_logits : bool, default False
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    float or numpy.ndarray of shape (n,)

    Raises
    ------
    ValueError
        As :func:`generalized_cross_entropy`.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.classification_mae([0, 2], [[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]], reduction="none")
    array([0.6, 1. ])
    """
    labels, p = _noisy_label_inputs(y_true, y_pred, from_logits, reduction, "classification_mae")
    one_hot = np.eye(p.shape[1])[labels]
    return _reduce(np.abs(one_hot - p).sum(axis=1), reduction)


def classification_mae_grad(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""Gradient of :func:`classification_mae` w.r.t. ``y_pred`` or, with ``from_logits``, the logits.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ic}} = \operatorname{sign}(p_{ic} - [c = y_i]),
        \qquad
        \frac{\partial \ell_i}{\partial z_{ic}} = 2\,p_{iy_i}\,(p_{ic} - [c = y_i])

    Probabilities are free variables (the sign is 0 where a probability
    equals its label, as ``np.sign`` and Keras have it). Parameters and
    checks are those of :func:`classification_mae`.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.classification_mae_grad([0], [[0.0, 0.0]], from_logits=True)
    array([[-0.5,  0.5]])
    """
    labels, p = _noisy_label_inputs(y_true, y_pred, from_logits, reduction, "classification_mae")
    if from_logits:
        return _row_grad(_weighted_cce_logit_grad(p, labels, 2.0 * _labelled(p, labels)), reduction)
    return _row_grad(np.sign(p - np.eye(p.shape[1])[labels]), reduction)


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------


def function(loss):
    """The NumPy version of a loss of the registry, by name, alias or row.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.function("mse") is losses.mean_squared_error
    True
    """
    return globals()[_registry.lookup(loss).name if isinstance(loss, str) else loss.name]


def gradient(loss):
    """The gradient of :func:`function`'s loss, with the same signature.

    Examples
    --------
    >>> from lossbook import losses
    >>> losses.gradient("huber") is losses.huber_grad
    True
    """
    return globals()[f"{_registry.lookup(loss).name if isinstance(loss, str) else loss.name}_grad"]


@dataclasses.dataclass(frozen=True)
class _LossInfo:
    """The old record of a loss and its functions; :func:`function`, :func:`gradient` and the registry row replace it."""

    name: str
    loss: Callable
    grad: Callable
    task: str
    y_true: str
    y_pred: str
    activation: str
    from_logits: bool = False


def __getattr__(name):
    """``LOSSES`` and ``LossInfo``, the old names, still answer for one release, with a warning."""
    import warnings

    if name == "LossInfo":
        warnings.warn(
            "losses.LossInfo is retired: a loss's record is lossbook.registry.Loss; its functions are "
            "losses.function(name) and losses.gradient(name).",
            DeprecationWarning,
            stacklevel=2,
        )
        return _LossInfo
    if name == "LOSSES":
        warnings.warn(
            "losses.LOSSES is retired: use lossbook.registry.LOSSES for the rows and losses.function(name) and "
            "losses.gradient(name) for the NumPy functions.",
            DeprecationWarning,
            stacklevel=2,
        )
        return {
            row.name: _LossInfo(
                row.name, function(row), gradient(row), row.task, row.y_true, row.y_pred, row.activation, row.accepts_logits
            )
            for row in _registry.LOSSES.values()
        }
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
