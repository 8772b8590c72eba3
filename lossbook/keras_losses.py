r"""Keras 3 versions of the course's losses that Keras does not have.

Pinball loss, the Gaussian negative log-likelihood, class-weighted binary
cross-entropy, and chapter 15's symmetric cross-entropy and MAE of the class
probabilities, written with ``keras.ops`` so that they run on any backend,
and registered as serializable under the package ``"lossbook"`` (a saved
model that uses them loads again once this module is imported;
:func:`lossbook.models.compile_for` imports it when it compiles one). Each is a
function giving one value per example plus a thin :class:`keras.losses.Loss`
class around it, as in Keras' own ``losses.py``; the values equal those of
the NumPy versions in :mod:`lossbook.losses` (up to float32, and to Keras'
clipping of probabilities at ``1e-7`` where lossbook floors the logarithm).

:func:`for_row` builds the Keras loss object of any row of
:data:`lossbook.registry.LOSSES`: Keras' own class with the row's
``keras_options``, or one of the classes here. :mod:`lossbook.models` and
:mod:`lossbook.replicas` import this module only when they need it, as they
import Keras.

Examples
--------
>>> import numpy as np
>>> import lossbook
>>> lossbook.setup(keras=True)
>>> from lossbook import keras_losses
>>> loss = keras_losses.PinballLoss(quantile=0.9)
>>> round(float(loss(np.array([10.0, 10.0]), np.array([8.0, 12.0]))), 4)  # (1.8 + 0.2) / 2
1.0
"""

from __future__ import annotations

import math

from lossbook import losses as _losses
from lossbook import registry as _registry
from lossbook._keras import load as _load

keras = _load()
ops = keras.ops

__all__ = [
    "ClassificationMAE",
    "GaussianNLL",
    "PinballLoss",
    "SymmetricCrossentropy",
    "WeightedBinaryCrossentropy",
    "classification_mae",
    "for_row",
    "gaussian_nll",
    "pinball_loss",
    "symmetric_cross_entropy",
    "weighted_binary_crossentropy",
]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _same_rank(y_true, y_pred):
    """Targets of shape (n,) against outputs of shape (n, 1) and back, as Keras' own loss wrappers match them."""
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if true_rank == pred_rank - 1 and y_pred.shape[-1] == 1:
        y_true = ops.expand_dims(y_true, -1)
    elif true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    return y_true, y_pred


@keras.saving.register_keras_serializable(package="lossbook")
def pinball_loss(y_true, y_pred, quantile=0.5):
    """Per-example pinball loss, the mean over the last axis of ``max(q e, (q - 1) e)`` with ``e = y_true - y_pred``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    error = y_true - y_pred
    return ops.mean(ops.maximum(quantile * error, (quantile - 1.0) * error), axis=-1)


@keras.saving.register_keras_serializable(package="lossbook")
def gaussian_nll(y_true, y_pred):
    """Per-example Gaussian negative log-likelihood; ``y_pred[:, 0]`` is the mean, ``y_pred[:, 1]`` the log-variance."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
    mean, log_variance = y_pred[:, 0], y_pred[:, 1]
    return _HALF_LOG_2PI + 0.5 * log_variance + 0.5 * ops.square(y_true - mean) * ops.exp(-log_variance)


@keras.saving.register_keras_serializable(package="lossbook")
def weighted_binary_crossentropy(y_true, y_pred, pos_weight=1.0, neg_weight=1.0, from_logits=False):
    """Per-example class-weighted binary cross-entropy, each term computed by Keras' own ``binary_crossentropy``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    # -log p and -log(1 - p), from the logits behind a sigmoid output where Keras finds them.
    positive = ops.binary_crossentropy(ops.ones_like(y_pred), y_pred, from_logits=from_logits)
    negative = ops.binary_crossentropy(ops.zeros_like(y_pred), y_pred, from_logits=from_logits)
    return ops.mean(pos_weight * y_true * positive + neg_weight * (1.0 - y_true) * negative, axis=-1)


def _probabilities_and_one_hot(y_true, y_pred, from_logits):
    """The class probabilities (the softmax of logits) and one-hot rows of integer labels of shape (n,) or (n, 1)."""
    p = ops.softmax(y_pred, axis=-1) if from_logits else y_pred
    labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
    return p, ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)


@keras.saving.register_keras_serializable(package="lossbook")
def symmetric_cross_entropy(y_true, y_pred, alpha=0.1, beta=1.0, log_zero=-4.0, from_logits=False):
    """Per-example symmetric cross-entropy of integer labels: ``alpha`` CE plus ``beta`` times ``-log_zero (1 - p_y)``."""
    y_pred = ops.convert_to_tensor(y_pred)
    p, one_hot = _probabilities_and_one_hot(y_true, y_pred, from_logits)
    p_true = ops.sum(p * one_hot, axis=-1)
    if from_logits:
        ce = -ops.sum(one_hot * ops.log_softmax(y_pred, axis=-1), axis=-1)
    else:  # the log floored as lossbook.losses floors it
        ce = -ops.log(ops.maximum(p_true, _losses.EPSILON))
    return alpha * ce + beta * (-log_zero) * (ops.sum(p, axis=-1) - p_true)


@keras.saving.register_keras_serializable(package="lossbook")
def classification_mae(y_true, y_pred, from_logits=False):
    """Per-example sum over the classes of ``|one-hot label - probability|`` for integer labels."""
    y_pred = ops.convert_to_tensor(y_pred)
    p, one_hot = _probabilities_and_one_hot(y_true, y_pred, from_logits)
    return ops.sum(ops.abs(one_hot - p), axis=-1)


class _Wrapper(keras.losses.Loss):
    """A function of (y_true, y_pred) and its options, averaged over the batch as Keras' losses are."""

    fn = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **options):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.options = options
        if "from_logits" in options:
            self.from_logits = options["from_logits"]  # read by lossbook.models.head_for, as for Keras' own classes

    def call(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return type(self).fn(y_true, y_pred, **self.options)

    def get_config(self):
        return {**super().get_config(), **self.options}


@keras.saving.register_keras_serializable(package="lossbook")
class PinballLoss(_Wrapper):
    """Pinball (quantile) loss; :func:`lossbook.losses.pinball_loss` in Keras."""

    fn = staticmethod(pinball_loss)

    def __init__(self, quantile=0.5, reduction="sum_over_batch_size", name="pinball_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, quantile=quantile)


@keras.saving.register_keras_serializable(package="lossbook")
class GaussianNLL(_Wrapper):
    """Gaussian negative log-likelihood of a mean and a log-variance; :func:`lossbook.losses.gaussian_nll` in Keras."""

    fn = staticmethod(gaussian_nll)

    def __init__(self, reduction="sum_over_batch_size", name="gaussian_nll", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def call(self, y_true, y_pred):
        return gaussian_nll(y_true, y_pred)


@keras.saving.register_keras_serializable(package="lossbook")
class WeightedBinaryCrossentropy(_Wrapper):
    """Class-weighted binary cross-entropy; :func:`lossbook.losses.weighted_binary_crossentropy` in Keras."""

    fn = staticmethod(weighted_binary_crossentropy)

    def __init__(
        self,
        pos_weight=1.0,
        neg_weight=1.0,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="weighted_binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            pos_weight=pos_weight,
            neg_weight=neg_weight,
            from_logits=from_logits,
        )


@keras.saving.register_keras_serializable(package="lossbook")
class SymmetricCrossentropy(_Wrapper):
    """Symmetric cross-entropy of integer labels; :func:`lossbook.losses.symmetric_cross_entropy` in Keras."""

    fn = staticmethod(symmetric_cross_entropy)

    def __init__(
        self,
        alpha=0.1,
        beta=1.0,
        log_zero=-4.0,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="symmetric_cross_entropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            beta=beta,
            log_zero=log_zero,
            from_logits=from_logits,
        )


@keras.saving.register_keras_serializable(package="lossbook")
class ClassificationMAE(_Wrapper):
    """MAE of one-hot integer labels and class probabilities; :func:`lossbook.losses.classification_mae` in Keras."""

    fn = staticmethod(classification_mae)

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name="classification_mae", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits)


def for_row(row):
    """The Keras loss object of a row of :data:`lossbook.registry.LOSSES`, given as the row or by name or alias.

    Keras' own class with the row's ``keras_options`` (e.g.
    ``CategoricalCrossentropy(label_smoothing=0.1)``), or lossbook's class for
    a loss Keras does not have.
    """
    if not isinstance(row, _registry.Loss):
        row = _registry.lookup(row)
    if row.keras_class is not None:
        return getattr(keras.losses, row.keras_class)(**dict(row.keras_options))
    return globals()[row.lossbook_class](**dict(row.keras_options))
