"""What a fit returns: loss and metrics per epoch, as read-only NumPy arrays.

:class:`History` is one network's record (:func:`lossbook.training.fit`);
:class:`ReplicaHistory` is that of R networks trained side by side
(:func:`lossbook.replicas.fit`), each figure with a leading replica axis, and
:meth:`ReplicaHistory.replica` gives one row of it as a :class:`History`: a
:class:`History` is the one-replica case. Both keep the training and test
figures in two mappings with the same keys, ``"loss"`` plus the metric names.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Mapping

import numpy as np

from lossbook import registry as _registry
from lossbook._validation import is_int as _is_int

__all__ = ["History", "ReplicaHistory"]


def _frozen(values, dtype) -> np.ndarray:
    """A read-only copy of ``values`` as an array of ``dtype``."""
    values = np.array(values, dtype=dtype)
    values.flags.writeable = False
    return values


def _freeze_figures(history, shape: tuple, expected: str) -> None:
    """Freeze a history's ``train`` and ``test`` figures in place: read-only arrays of ``shape`` in read-only mappings.

    ``expected`` says in words what the shape is ("one value per epoch").
    """
    for half in ("train", "test"):
        figures = {}
        for key, values in dict(getattr(history, half)).items():
            values = _frozen(values, np.float64)
            if values.shape != shape:
                raise ValueError(f"{half}[{key!r}] has shape {values.shape}; pass {expected}, shape {shape}.")
            figures[key] = values
        object.__setattr__(history, half, types.MappingProxyType(figures))


def _weight_dtype(w):
    """Weights keep double precision when they have it; anything else is stored as float32."""
    return np.float64 if np.asarray(w).dtype == np.float64 else np.float32


class _Figures:
    """What both histories share: the names of their figures."""

    @property
    def metrics(self) -> tuple[str, ...]:
        """Names of the figures other than the loss, e.g. ``("accuracy",)``."""
        return tuple(key for key in self.train if key != "loss")


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class History(_Figures):
    """Loss and metrics per epoch on the training and test halves.

    Attributes
    ----------
    epochs : numpy.ndarray of int, shape (E,)
        1, 2, ..., E.
    train : mapping of str to numpy.ndarray of shape (E,)
        ``"loss"`` and each metric, averaged over the epoch's batches while
        the weights were changing (Keras' convention).
    test : mapping of str to numpy.ndarray of shape (E,)
        The same keys, measured on the test half with the weights at the end
        of each epoch.

    The arrays are read-only. Keras' own key for a test figure is the
    training key with ``"val_"`` in front (``"val_loss"``, ``"val_mse"``).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.history import History
    >>> h = History(np.arange(1, 4), {"loss": [0.9, 0.5, 0.4]}, {"loss": [1.0, 0.7, 0.6]})
    >>> h
    History(3 epochs; loss: train 0.4, test 0.6)
    >>> h.final()
    {'train': {'loss': 0.4}, 'test': {'loss': 0.6}}
    """

    epochs: np.ndarray
    train: Mapping[str, np.ndarray]
    test: Mapping[str, np.ndarray]

    def __post_init__(self):
        epochs = _frozen(self.epochs, np.int64)
        object.__setattr__(self, "epochs", epochs)
        _freeze_figures(self, epochs.shape, "one value per epoch")

    def __repr__(self):
        figures = "; ".join(
            f"{key}: train {self.train[key][-1]:.4g}, test {self.test[key][-1]:.4g}" for key in self.train if key in self.test
        )
        return f"History({self.epochs.size} epochs; {figures})"

    def final(self) -> dict[str, dict[str, float]]:
        """The figures of the last epoch, as Python floats.

        Returns
        -------
        dict
            ``{"train": {"loss": ..., metric: ...}, "test": {...}}``.
        """
        return {half: {k: float(v[-1]) for k, v in getattr(self, half).items()} for half in ("train", "test")}


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class ReplicaHistory(_Figures):
    """Loss and metric per replica and epoch, on the training and test halves.

    Attributes
    ----------
    loss : str
        The loss's Keras name, e.g. ``"hinge"``.
    seeds : numpy.ndarray of int, shape (R,)
        The seed of each replica (initial weights and batch order).
    epochs : numpy.ndarray of int, shape (E,)
        1, 2, ..., E.
    train, test : mapping of str to numpy.ndarray of shape (R, E)
        ``"loss"`` and the metric (``"mse"`` or ``"accuracy"``); row ``r`` is
        replica ``r``. Training figures are averages over each epoch, test
        figures use the weights at the end of each epoch, as in
        :class:`History`.
    weights : tuple of numpy.ndarray
        The final weights, in Keras' order (hidden kernel, hidden bias,
        output kernel, output bias), each with a leading replica axis:
        ``weights[0][r]`` is replica ``r``'s hidden kernel.

    All arrays are read-only.
    """

    loss: str
    seeds: np.ndarray
    epochs: np.ndarray
    train: Mapping[str, np.ndarray]
    test: Mapping[str, np.ndarray]
    weights: tuple

    def __post_init__(self):
        seeds = _frozen(self.seeds, np.int64)
        epochs = _frozen(self.epochs, np.int64)
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "epochs", epochs)
        _freeze_figures(self, (seeds.size, epochs.size), "one row per replica and one column per epoch")
        object.__setattr__(self, "weights", tuple(_frozen(w, _weight_dtype(w)) for w in self.weights))

    def __repr__(self):
        figures = "; ".join(
            f"test {key} {values[:, -1].mean():.4g} +- {values[:, -1].std():.2g}" for key, values in self.test.items()
        )
        return f"ReplicaHistory({self.loss}, {self.replicas} replicas x {self.epochs.size} epochs; {figures})"

    @property
    def replicas(self) -> int:
        """Number of replicas R."""
        return int(self.seeds.size)

    def final(self) -> dict[str, dict[str, np.ndarray]]:
        """The figures of the last epoch, one value per replica.

        Returns
        -------
        dict
            ``{"train": {"loss": array of shape (R,), ...}, "test": {...}}``.
        """
        return {half: {k: v[:, -1] for k, v in getattr(self, half).items()} for half in ("train", "test")}

    def replica(self, r: int) -> History:
        """The history of replica ``r`` alone, as :func:`lossbook.training.fit` returns it.

        Raises
        ------
        ValueError
            If ``r`` is not an integer from 0 to R - 1.
        """
        if not _is_int(r) or not 0 <= r < self.replicas:
            raise ValueError(f"`r` must be an integer from 0 to {self.replicas - 1}; got {r!r}.")
        return History(
            self.epochs,
            {k: v[r] for k, v in self.train.items()},
            {k: v[r] for k, v in self.test.items()},
        )

    def logits(self, x) -> np.ndarray:
        """The input of every replica's output activation for inputs ``x``, from the final weights.

        ``relu(x @ W1 + b1) @ W2 + b2`` for each replica, in NumPy. Applying the
        output activation gives the predictions; the course's decision rules
        (:func:`lossbook.registry.decision_rule`) read the sign of a logit as a
        sigmoid read at 0.5, and the argmax of logits as that of a softmax.

        Parameters
        ----------
        x : array_like, shape (n, d) or (R, n, d)
            Inputs with as many features as the networks take: the same rows
            for every replica, or each replica's own rows (e.g. the test part
            of its own draw of the data, when every replica was trained on
            its own Split).

        Returns
        -------
        numpy.ndarray, shape (R, n, outputs)

        Raises
        ------
        ValueError
            If ``x`` is not an array of finite numbers of one of those shapes.
        """
        k1, b1, k2, b2 = self.weights
        x = np.asarray(x)
        shapes = f"(n, {k1.shape[1]}) or ({k1.shape[0]}, n, {k1.shape[1]})"
        if (
            x.ndim not in (2, 3)
            or x.shape[-1] != k1.shape[1]
            or (x.ndim == 3 and x.shape[0] != k1.shape[0])
            or x.dtype.kind not in "biuf"
            or not np.all(np.isfinite(x))
        ):
            raise ValueError(
                f"`x` must be an array of finite numbers of shape {shapes}: one row per example, for all replicas "
                f"or for each; got shape {x.shape} and dtype {x.dtype}. Pass e.g. split.x_test."
            )
        hidden = np.einsum("nd,rdh->rnh" if x.ndim == 2 else "rnd,rdh->rnh", x, k1)
        hidden = np.maximum(hidden + b1[:, None], 0.0)
        return np.einsum("rnh,rho->rno", hidden, k2) + b2[:, None]

    def score(self, x, y) -> np.ndarray:
        """The metric of every replica's final weights on inputs ``x`` and targets ``y``, shape (R,).

        The mean squared error or the accuracy, read from :meth:`logits` by
        the loss's rule (:func:`lossbook.registry.score_logits`); on the test
        half it equals ``final()["test"]`` up to float32 rounding.
        """
        row = _registry.LOSSES[self.loss]
        outputs = self.logits(x)
        if row.activation == "softplus":  # a rate: score the prediction, not its logit
            outputs = np.logaddexp(0.0, outputs)
        return _registry.score_logits(row.task, row.targets, outputs, y)
