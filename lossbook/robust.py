r"""Losses for wrong labels, their gradients, and a small trainer that uses those gradients.

Three losses bound the harm one wrongly labelled example can do, where
cross-entropy does not. With :math:`p_{y}` the probability the network gives
the labelled class :math:`y`:

- generalised cross-entropy (Zhang and Sabuncu 2018),
  :math:`(1 - p_y^q) / q`, cross-entropy as :math:`q \to 0`, half the MAE
  at :math:`q = 1`; Keras 3 ships it as
  ``keras.losses.CategoricalGeneralizedCrossEntropy``;
- symmetric cross-entropy (Wang et al. 2019),
  :math:`\alpha\,\mathrm{CE} + \beta\,\mathrm{RCE}`, where the reverse
  cross-entropy swaps the roles of label and prediction and takes
  :math:`\log 0` as a constant :math:`A` (``log_zero``, -4 in the paper), so
  that :math:`\mathrm{RCE} = -A (1 - p_y)`;
- the mean absolute error between the one-hot label and the probabilities
  (Ghosh, Kumar and Sastry 2017), :math:`\sum_k |[k = y] - p_k| = 2 (1 - p_y)`.

All three take integer class labels, as Keras' generalised cross-entropy
does, and probabilities or (``from_logits=True``) logits. They are rows of
:data:`lossbook.registry.LOSSES`, written in :mod:`lossbook.losses` and
imported here, so that Keras models and :mod:`lossbook.replicas` train with
them as with every other loss of the course. Through the
softmax every one has the gradient of cross-entropy times a weight that
depends on :math:`p_y` alone,

.. math::

    \frac{\partial \ell}{\partial z} = w(p_y)\,(p - e_y), \qquad
    w_{\mathrm{CE}} = 1,\; w_{\mathrm{GCE}} = p_y^q,\;
    w_{\mathrm{MAE}} = 2 p_y,\; w_{\mathrm{SCE}} = \alpha - \beta A\, p_y,

so an example the network finds implausible (small :math:`p_y`, often a
wrong label) pushes on the weights with less force. :func:`logit_weight`
returns :math:`w`, and :func:`fit` trains many small networks at once with
exactly these gradients, in NumPy and double precision.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special

from lossbook import _validation as _v
from lossbook import losses as _losses
from lossbook.losses import (
    EPSILON,
    classification_mae,
    classification_mae_grad,
    generalized_cross_entropy,
    generalized_cross_entropy_grad,
    symmetric_cross_entropy,
    symmetric_cross_entropy_grad,
)

__all__ = [
    "EPSILON",
    "Loss",
    "Runs",
    "classification_mae",
    "classification_mae_grad",
    "corrupt",
    "fit",
    "generalized_cross_entropy",
    "generalized_cross_entropy_grad",
    "logit_weight",
    "symmetric_cross_entropy",
    "symmetric_cross_entropy_grad",
]

# ---------------------------------------------------------------------------
# One description of a loss for training: the weight on cross-entropy's gradient
# ---------------------------------------------------------------------------

_KINDS = ("ce", "gce", "sce", "mae")


@dataclasses.dataclass(frozen=True)
class Loss:
    """A loss for :func:`fit`: ``kind`` and its settings.

    Parameters
    ----------
    kind : {"ce", "gce", "sce", "mae"}
        Cross-entropy, generalised cross-entropy (``q``), symmetric
        cross-entropy (``alpha``, ``beta``, ``log_zero``) or
        :func:`classification_mae`.
    q, alpha, beta, log_zero : float
        Used by the kinds named above; their checks are those of the loss
        functions.

    Examples
    --------
    >>> from lossbook import robust
    >>> robust.Loss("gce", q=0.7).name
    'GCE q=0.7'
    """

    kind: str
    q: float = 0.5
    alpha: float = 0.1
    beta: float = 1.0
    log_zero: float = -4.0

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"`kind` must be one of {', '.join(_KINDS)}; got {self.kind!r}. E.g. Loss('gce', q=0.7).")
        # The loss functions' own checks of the settings, on one example.
        if self.kind == "gce":
            _losses.generalized_cross_entropy([0], [[1.0, 0.0]], q=self.q)
        if self.kind == "sce":
            _losses.symmetric_cross_entropy([0], [[1.0, 0.0]], alpha=self.alpha, beta=self.beta, log_zero=self.log_zero)

    @property
    def name(self) -> str:
        """A short name for tables: 'CE', 'GCE q=0.7', 'SCE a=0.1 b=1', 'MAE'."""
        if self.kind == "gce":
            return f"GCE q={self.q:g}"
        if self.kind == "sce":
            return f"SCE a={self.alpha:g} b={self.beta:g}"
        return self.kind.upper()

    def coefficients(self) -> tuple[float, float, float, float]:
        """(a, b, c, q) of the weight a + b p + c p**q (see :func:`logit_weight`)."""
        if self.kind == "ce":
            return 1.0, 0.0, 0.0, 1.0
        if self.kind == "gce":
            return 0.0, 0.0, 1.0, self.q
        if self.kind == "sce":
            return self.alpha, -self.beta * self.log_zero, 0.0, 1.0
        return 0.0, 2.0, 0.0, 1.0


def logit_weight(loss: Loss, p_true) -> np.ndarray:
    r"""The weight :math:`w(p_y)` with which ``loss``'s gradient w.r.t. the logits is cross-entropy's.

    Parameters
    ----------
    loss : Loss
    p_true : array_like
        Probabilities of the labelled class, in [0, 1].

    Returns
    -------
    numpy.ndarray
        :math:`w`, of the shape of ``p_true``.

    Examples
    --------
    >>> from lossbook import robust
    >>> robust.logit_weight(robust.Loss("gce", q=0.5), [0.25, 1.0])
    array([0.5, 1. ])
    """
    if not isinstance(loss, Loss):
        raise ValueError(f"`loss` must be a robust.Loss, e.g. Loss('gce', q=0.7); got {type(loss).__name__}.")
    p = _v.as_float_array(p_true, "p_true")
    _v.check_finite(p, "p_true")
    _v.check_in_range(p, "p_true", low=0.0, high=1.0, fix="Pass probabilities of the labelled class.")
    a, b, c, q = loss.coefficients()
    return a + b * p + c * p**q


def corrupt(y, share, *, n_classes: int, kind: str = "symmetric", seed: int) -> np.ndarray:
    r"""Labels with a share of them made wrong: the label noise of the chapter on wrong labels.

    Each label is, independently with probability ``share``, replaced by

    - ``"symmetric"``: one of the other :math:`K - 1` classes, each as likely;
    - ``"asymmetric"``: one fixed other class, :math:`(y + 1) \bmod K`, so that
      every class is confused with the same neighbour.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Class indices 0..K-1.
    share : float
        Probability that a label is changed, in [0, 1).
    n_classes : int
    kind : {"symmetric", "asymmetric"}, default "symmetric"
    seed : int
        Of the draw.

    Returns
    -------
    numpy.ndarray of int, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import robust
    >>> y = np.repeat(np.arange(10), 100)
    >>> noisy = robust.corrupt(y, 0.2, n_classes=10, kind="asymmetric", seed=0)
    >>> round(float(np.mean(noisy != y)), 2), set(((noisy - y) % 10)[noisy != y].tolist())
    (0.2, {1})
    """
    _v.check_int(n_classes, "n_classes", low=2, example=10)
    labels = np.asarray(_v.check_targets("index", y, caller="corrupt", n_classes=n_classes, name="y")).reshape(-1)
    labels = labels.astype(np.intp)
    _v.check_scalar(share, "share", low=0.0, high=1.0, high_open=True, example=0.2)
    if kind not in ("symmetric", "asymmetric"):
        raise ValueError(f"`kind` must be 'symmetric' or 'asymmetric'; got {kind!r}.")
    _v.check_int(seed, "seed", low=0, example=0)
    rng = np.random.default_rng(seed)
    flip = rng.random(labels.size) < share
    shift = rng.integers(1, n_classes, labels.size) if kind == "symmetric" else np.ones(labels.size, np.intp)
    return np.where(flip, (labels + shift) % n_classes, labels)


# ---------------------------------------------------------------------------
# Training: many one-hidden-layer networks at once, in NumPy
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Runs:
    """What :func:`fit` records.

    Attributes
    ----------
    epochs : numpy.ndarray of int, shape (E,)
        The epochs after which the networks were scored (1-based).
    predicted : dict of str to numpy.ndarray
        Per scored part, each network's predicted class (the largest
        output) after each scored epoch, shape (R, E, rows).
    log_p : dict of str to numpy.ndarray
        Per part scored with labels, the natural log of the probability each
        network gives the labelled class, shape (R, E, rows) (softmax head).
    final : dict of str to numpy.ndarray
        Per scored part, the outputs (softmax or sigmoid probabilities) after
        the last epoch, shape (R, rows, K).
    weights : tuple of 4 numpy.ndarray
        The final weights, with a leading replica axis.
    """

    epochs: np.ndarray
    predicted: dict
    log_p: dict
    final: dict
    weights: tuple
    head: str = "softmax"

    def predict(self, x) -> np.ndarray:
        """Outputs of every network with its final weights on its own inputs ``x`` (R, rows, d): (R, rows, K)."""
        w1, b1, w2, b2 = self.weights
        x = _check_part("x", x, w1.shape[0], w1.shape[1])
        return _forward(self.weights, x, self.head)[1]

    def accuracy(self, part: str, labels) -> np.ndarray:
        """Share of the rows whose predicted class is ``labels``, shape (R, E); ``labels`` of shape (R, rows)."""
        return np.mean(self.predicted[part] == np.asarray(labels)[:, None, :], axis=2)


def _check_part(name, value, replicas, d):
    value = _v.as_float_array(value, f"parts[{name!r}]")
    _v.check_finite(value, f"parts[{name!r}]")
    if value.ndim != 3 or value.shape[0] != replicas or value.shape[2] != d:
        raise ValueError(
            f"`parts[{name!r}]` must have shape ({replicas}, rows, {d}), like `x`; got {value.shape}. "
            "Stack each replica's inputs with np.stack."
        )
    return value


def _check_fit_data(x, targets, parts, replicas):
    x = _v.as_float_array(x, "x")
    targets = _v.as_float_array(targets, "targets")
    for name, value in (("x", x), ("targets", targets)):
        _v.check_finite(value, name)
        if value.ndim != 3 or value.shape[0] != replicas:
            raise ValueError(
                f"`{name}` must hold one array per replica, shape ({replicas}, n, columns); got shape {value.shape}. "
                "Stack each replica's training part with np.stack."
            )
    if targets.shape[1] != x.shape[1]:
        raise ValueError(f"`x` and `targets` must have the same rows per replica; got {x.shape[1]} and {targets.shape[1]}.")
    if not isinstance(parts, dict) or not parts:
        raise ValueError("`parts` must be a dict of part names to inputs (or (inputs, labels)), e.g. {'test': x_test}.")
    checked = {}
    for name, value in parts.items():
        if isinstance(value, tuple):
            if len(value) != 2:
                raise ValueError(f"`parts[{name!r}]` must be inputs or an (inputs, labels) pair; got {len(value)} items.")
            inputs = _check_part(name, value[0], replicas, x.shape[2])
            labels = np.asarray(
                _v.check_targets(
                    "index",
                    np.ravel(value[1]),
                    caller="fit",
                    n_classes=targets.shape[2],
                    name=f"parts[{name!r}] labels",
                    columns="`targets`",
                )
            )
            if labels.size != inputs.shape[0] * inputs.shape[1]:
                raise ValueError(
                    f"`parts[{name!r}]` labels must have shape ({replicas}, {inputs.shape[1]}), one per row; "
                    f"got {np.shape(value[1])}."
                )
            checked[name] = (inputs, labels.reshape(inputs.shape[:2]).astype(np.intp))
        else:
            checked[name] = (_check_part(name, value, replicas, x.shape[2]), None)
    return x, targets, checked


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def _forward(params, inputs, head):
    """Hidden activations and outputs of every replica for inputs (R, b, d)."""
    hid = np.matmul(inputs, params[0])
    hid += params[1][:, None, :]
    np.maximum(hid, 0.0, out=hid)
    z = np.matmul(hid, params[2])
    z += params[3][:, None, :]
    return hid, (_softmax(z) if head == "softmax" else special.expit(z))


def _checked_settings(losses, head, learning_rate, seeds, *, momentum, **counts):
    """``fit``'s losses, head and settings, checked; (losses as a list, rates and seeds as arrays)."""
    if head not in ("softmax", "sigmoid"):
        raise ValueError(f"`head` must be 'softmax' or 'sigmoid'; got {head!r}.")
    losses = list(losses)
    r = len(losses)
    if r == 0 or not all(isinstance(one, Loss) for one in losses):
        raise ValueError("`losses` must be a non-empty sequence of robust.Loss, one per replica, e.g. [Loss('ce')] * 10.")
    if head == "sigmoid" and any(one.kind != "ce" for one in losses):
        raise ValueError("with head='sigmoid' every loss must be Loss('ce'), binary cross-entropy on each output.")
    examples = {"hidden": 32, "epochs": 100, "batch_size": 32, "score_every": 5}
    for name, value in counts.items():
        _v.check_int(value, name, low=1, example=examples[name])
    _v.check_rate(momentum, "momentum", high=1, example=0.9)
    rates = np.asarray(learning_rate, dtype=np.float64)
    if rates.ndim == 0:
        rates = np.full(r, float(rates))
    if rates.shape != (r,) or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError(f"`learning_rate` must be positive, one number or one per replica ({r}); got {learning_rate!r}.")
    seeds = np.asarray(seeds)
    if seeds.shape != (r,):
        raise ValueError(f"`seeds` must hold one seed per replica, shape ({r},); got shape {seeds.shape}.")
    return losses, rates, seeds


def _sgd_step(params, velocity, xb, tb, head, weight, momentum, rates):
    """One step of SGD with momentum on one batch of every replica, in place."""
    hid, out = _forward(params, xb, head)
    g = out - tb
    if weight is not None:
        a, b, c, q = weight
        p_true = np.minimum(np.einsum("rbk,rbk->rb", out, tb), 1.0)
        g *= (a + b * p_true + c * p_true**q)[:, :, None]
    g /= xb.shape[1]
    back = np.matmul(g, np.swapaxes(params[2], 1, 2))
    back *= hid > 0
    grads = (
        np.matmul(np.swapaxes(xb, 1, 2), back),
        back.sum(axis=1),
        np.matmul(np.swapaxes(hid, 1, 2), g),
        g.sum(axis=1),
    )
    for j in range(4):
        velocity[j] *= momentum
        velocity[j] -= rates[j % 2] * grads[j]
        params[j] += velocity[j]


def _score(params, parts, head, column, predicted, log_p, final):
    """Record each part's predicted classes (and log-probabilities of its labels) in ``column``; the outputs into ``final``."""
    for name, (inputs, labels) in parts.items():
        out = _forward(params, inputs, head)[1]
        predicted[name][:, column] = out.argmax(axis=2)
        if name in log_p:
            chosen = np.take_along_axis(out, labels[:, :, None], axis=2)[:, :, 0]
            log_p[name][:, column] = np.log(np.maximum(chosen, 1e-300))
        if final is not None:
            final[name] = out


def fit(
    losses,
    x,
    targets,
    *,
    parts,
    hidden: int,
    epochs: int,
    learning_rate,
    seeds,
    head: str = "softmax",
    momentum: float = 0.9,
    batch_size: int = 32,
    score_every: int = 1,
) -> Runs:
    r"""Train one network per replica with SGD and momentum, each on its own data, loss and rate.

    Replica r is a ``Dense(hidden, relu)`` and a ``Dense(K)`` layer with the
    initial weights of :func:`lossbook.replicas.initial_weights` for
    ``seeds[r]`` and the batch orders of :func:`lossbook.replicas.batch_orders`.
    Each step moves the weights by the gradient of the batch's mean loss,
    back-propagated from :math:`w(p_y)(p - t)` at the logits (module notes),
    in float64.

    Parameters
    ----------
    losses : sequence of Loss, one per replica
        With ``head="sigmoid"`` every one must be ``Loss("ce")``: binary
        cross-entropy on each output.
    x : array_like, shape (R, n, d)
        Each replica's training inputs.
    targets : array_like, shape (R, n, K)
        One-hot rows (softmax), rows of a distribution (softmax, ``"ce"``
        only) or 0/1 per output (sigmoid).
    parts : dict of str to array_like or (array_like, array_like)
        Inputs of shape (R, rows, d) to score after every ``score_every``
        epochs and after the last; with integer labels of shape (R, rows),
        :attr:`Runs.log_p` records the log-probability of each label.
    hidden, epochs : int
    learning_rate : float or array_like of shape (R,)
    seeds : array_like of int, shape (R,)
    head : {"softmax", "sigmoid"}, default "softmax"
    momentum : float, default 0.9
    batch_size : int, default 32
    score_every : int, default 1

    Returns
    -------
    Runs

    Raises
    ------
    ValueError
        If the shapes do not match the replicas, a loss is not a :class:`Loss`,
        the head is unknown or a setting is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> import lossbook
    >>> lossbook.setup(keras=True)
    >>> from lossbook import robust
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2, 64, 3))
    >>> y = (x[..., 0] > 0).astype(int)
    >>> runs = robust.fit([robust.Loss("ce"), robust.Loss("gce", q=0.7)], x, np.eye(2)[y], parts={"train": (x, y)},
    ...                   hidden=8, epochs=20, learning_rate=0.1, seeds=[0, 1], score_every=10)
    >>> runs.predicted["train"].shape, runs.final["train"].shape
    ((2, 2, 64), (2, 64, 2))
    >>> bool(np.all(runs.accuracy("train", y)[:, -1] > 0.9))
    True
    """
    from lossbook import replicas as _replicas

    losses, rates, seeds = _checked_settings(
        losses,
        head,
        learning_rate,
        seeds,
        hidden=hidden,
        epochs=epochs,
        batch_size=batch_size,
        score_every=score_every,
        momentum=momentum,
    )
    r = len(losses)
    x, targets, parts = _check_fit_data(x, targets, parts, r)
    n, d, k = x.shape[1], x.shape[2], targets.shape[2]

    unique, where = np.unique(seeds, return_inverse=True)
    start = _replicas.initial_weights(d, hidden=hidden, outputs=k, seeds=unique)
    params = [w[where].astype(np.float64) for w in start]
    orders = _replicas.batch_orders(unique, n=n, epochs=epochs)[where]
    coef = np.array([one.coefficients() for one in losses])  # (R, 4)
    plain = bool(np.all(coef[:, 0] == 1.0) and np.all(coef[:, 1:3] == 0.0))
    weight = None if plain else tuple(coef[:, j][:, None] for j in range(4))
    step_rates = (rates[:, None, None], rates[:, None])
    velocity = [np.zeros_like(w) for w in params]
    rows = np.arange(r)[:, None]
    scored = sorted(set(range(score_every, epochs + 1, score_every)) | {epochs})
    predicted = {name: np.empty((r, len(scored), inputs.shape[1]), np.int16) for name, (inputs, _) in parts.items()}
    log_p = {
        name: np.empty((r, len(scored), inputs.shape[1]), np.float32)
        for name, (inputs, labels) in parts.items()
        if labels is not None and head == "softmax"
    }
    final = {}
    for epoch in range(epochs):
        for first in range(0, n, batch_size):
            index = orders[:, epoch, first : first + batch_size]
            _sgd_step(params, velocity, x[rows, index], targets[rows, index], head, weight, momentum, step_rates)
        if epoch + 1 in scored:
            _score(params, parts, head, scored.index(epoch + 1), predicted, log_p, final if epoch + 1 == epochs else None)
    return Runs(np.array(scored), predicted, log_p, final, tuple(params), head)
