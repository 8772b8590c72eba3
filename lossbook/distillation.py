r"""Knowledge distillation: a small network learns from a larger one's softened probabilities (chapter 16).

Hinton, Vinyals and Dean (2015) train a small *student* network on the
probabilities of a larger *teacher*, divided by a temperature :math:`T`
before the softmax:

- :func:`soft_targets` is the teacher's :math:`p_T = \operatorname{softmax}(t / T)`;
- :func:`distillation_loss` mixes :math:`T^2` times the KL divergence from
  :math:`p_T` to the student's :math:`q_T = \operatorname{softmax}(s / T)`
  with the cross-entropy of the hard labels,

  .. math::

      L = \alpha \, T^2 \, \mathrm{KL}(p_T \,\|\, q_T)
          + (1 - \alpha) \, \mathrm{CE}(y, \operatorname{softmax}(s));

- :func:`distillation_loss_grad` is its gradient with respect to the
  student's logits :math:`s`,

  .. math::

      \frac{\partial L}{\partial s} = \alpha \, T \, (q_T - p_T)
          + (1 - \alpha) \, (\operatorname{softmax}(s) - y).

  Without the factor :math:`T^2` the soft part would be
  :math:`(q_T - p_T) / T`, and :math:`q_T - p_T` itself shrinks like
  :math:`1 / T` once the logits are small against :math:`T`: the soft
  part's gradient would fall like :math:`1 / T^2`;
- :func:`fit` trains many independent multilayer perceptrons at once, in
  NumPy and double precision, on this loss (with :math:`\alpha = 0` on the
  hard labels alone), and :class:`Networks` holds their weights.

Logits are rows of shape ``(n, K)``; labels are class indices ``0 .. K-1``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special

from lossbook import _validation as _v

__all__ = ["Networks", "distillation_loss", "distillation_loss_grad", "fit", "soft_targets"]

_LOGITS_FIX = "Pass the network's outputs before the softmax, one row per example and one column per class."


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _logits(values, name):
    return _v.check_class_rows(values, name, fix=_LOGITS_FIX)


def _temperature(temperature):
    _v.check_scalar(temperature, "temperature", low=0, low_open=True, example=4.0)
    return float(temperature)


def _inputs(teacher_logits, student_logits, labels, temperature, alpha, reduction):
    t = _logits(teacher_logits, "teacher_logits")
    s = _logits(student_logits, "student_logits")
    if t.shape != s.shape:
        raise ValueError(
            f"`teacher_logits` and `student_logits` must have the same shape, one row per example for both; "
            f"got {t.shape} and {s.shape}. Compute both on the same examples, with the same classes."
        )
    temperature = _temperature(temperature)
    _v.check_scalar(alpha, "alpha", low=0, high=1, example=0.5)
    _v.check_reduction(reduction)
    y = None
    if alpha < 1:
        if labels is None:
            raise ValueError(
                f"`labels` are needed when alpha < 1 (got alpha={alpha!r}): the hard-label part has weight "
                "1 - alpha. Pass the true classes as labels=y, or alpha=1.0 to learn from the teacher alone."
            )
        y = _v.check_targets(
            "index", labels, caller="distillation_loss", n_classes=s.shape[1], name="labels", columns="the logits"
        )
        y = np.asarray(y).reshape(-1).astype(np.int64)
        if y.size != s.shape[0]:
            raise ValueError(
                f"`labels` must hold one class per row of the logits; got {y.size} labels and {s.shape[0]} rows. "
                "Check that both come from the same examples."
            )
    return t, s, y, temperature, float(alpha)


def _reduce(values, reduction):
    """Per-example losses reduced as asked: their mean or sum as a float, or the array itself."""
    if reduction == "none":
        return values
    return float(values.mean() if reduction == "mean" else values.sum())


# ---------------------------------------------------------------------------
# The numeric kernels: one formula each, shared by the checked functions and by fit
# ---------------------------------------------------------------------------


def _per_example(t, s, onehot, temperature, alpha):
    """alpha T^2 KL(p_T || q_T) + (1 - alpha) CE(y, softmax(s)) per example; arrays broadcast over leading axes."""
    log_p = special.log_softmax(t / temperature, axis=-1)
    log_q = special.log_softmax(s / temperature, axis=-1)
    kl = np.sum(np.exp(log_p) * (log_p - log_q), axis=-1)
    ce = -np.sum(onehot * special.log_softmax(s, axis=-1), axis=-1) if onehot is not None else 0.0
    return alpha * temperature**2 * kl + (1 - alpha) * ce


def _gradient(t, s, onehot, temperature, alpha):
    """The per-example gradient of :func:`_per_example` with respect to the student's logits s."""
    soft = temperature * (special.softmax(s / temperature, axis=-1) - special.softmax(t / temperature, axis=-1))
    hard = special.softmax(s, axis=-1) - onehot if onehot is not None else 0.0
    return alpha * soft + (1 - alpha) * hard


def _onehot(y, k):
    return None if y is None else np.eye(k)[y]


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def soft_targets(logits, temperature) -> np.ndarray:
    r"""The teacher's probabilities softened by a temperature: :math:`\operatorname{softmax}(z / T)`.

    The same numbers as :func:`lossbook.calibration.scale`; here they are
    targets for a student. :math:`T > 1` lifts the small probabilities of the
    wrong classes, which tell the student which classes the teacher finds
    alike.

    Parameters
    ----------
    logits : array_like of shape (n, K)
        The teacher's outputs before the softmax.
    temperature : float
        A positive number; 1 gives the plain softmax.

    Returns
    -------
    numpy.ndarray of shape (n, K)
        Rows that sum to 1.

    Raises
    ------
    ValueError
        If the logits are not finite rows of at least two classes, or the
        temperature is not a positive number.

    Examples
    --------
    >>> from lossbook import distillation
    >>> distillation.soft_targets([[2.0, 0.0, -2.0]], 1.0).round(4)
    array([[0.8668, 0.1173, 0.0159]])
    >>> distillation.soft_targets([[2.0, 0.0, -2.0]], 4.0).round(4)
    array([[0.5065, 0.3072, 0.1863]])
    """
    z = _logits(logits, "logits")
    return special.softmax(z / _temperature(temperature), axis=1)


def distillation_loss(teacher_logits, student_logits, *, temperature, alpha=1.0, labels=None, reduction="mean"):
    r"""Hinton et al.'s distillation loss: the softened KL divergence times :math:`T^2`, mixed with cross-entropy.

    .. math::

        L = \alpha \, T^2 \, \mathrm{KL}\bigl(\operatorname{softmax}(t / T) \,\|\,
            \operatorname{softmax}(s / T)\bigr)
            + (1 - \alpha) \, \mathrm{CE}\bigl(y, \operatorname{softmax}(s)\bigr)

    in nats, per example, then reduced. With ``alpha=1`` it is the soft part
    alone and needs no labels; with ``alpha=0`` it is the cross-entropy of
    the labels. It equals Keras' ``KLDivergence`` of the softened
    probabilities times :math:`T^2` (where no probability is below Keras'
    clipping constant, 1e-7).

    Parameters
    ----------
    teacher_logits, student_logits : array_like of shape (n, K)
        Outputs of the two networks before the softmax, on the same examples.
    temperature : float
        The positive temperature :math:`T` of both softmaxes of the soft part.
    alpha : float in [0, 1], default 1.0
        The weight of the soft part; the labels get ``1 - alpha``.
    labels : array_like of int, shape (n,), optional
        True classes ``0 .. K-1``; required when ``alpha < 1``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    float, or numpy.ndarray of shape (n,) with ``reduction="none"``

    Raises
    ------
    ValueError
        If the logits are not finite rows of the same shape, the temperature
        is not positive, ``alpha`` lies outside [0, 1], labels are missing
        when ``alpha < 1`` or are not classes of the logits, or the reduction
        is unknown.

    Examples
    --------
    >>> from lossbook import distillation
    >>> t, s = [[3.0, 1.0, 0.0]], [[1.0, 0.5, 0.0]]
    >>> round(distillation.distillation_loss(t, s, temperature=1.0), 4)
    0.2551
    >>> round(distillation.distillation_loss(t, s, temperature=4.0), 4)  # T^2 KL at T = 4
    0.3833
    >>> round(distillation.distillation_loss(t, s, temperature=4.0, alpha=0.0, labels=[0]), 4)  # cross-entropy
    0.6803
    """
    t, s, y, temperature, alpha = _inputs(teacher_logits, student_logits, labels, temperature, alpha, reduction)
    return _reduce(_per_example(t, s, _onehot(y, s.shape[1]), temperature, alpha), reduction)


def distillation_loss_grad(
    teacher_logits, student_logits, *, temperature, alpha=1.0, labels=None, reduction="mean"
) -> np.ndarray:
    r"""Gradient of :func:`distillation_loss` with respect to the student's logits.

    .. math::

        \frac{\partial L}{\partial s} = \alpha \, T \,
            \bigl(\operatorname{softmax}(s / T) - \operatorname{softmax}(t / T)\bigr)
            + (1 - \alpha) \bigl(\operatorname{softmax}(s) - y\bigr)

    per example (divided by :math:`n` for ``reduction="mean"``). The
    :math:`T^2` of the loss and the :math:`1 / T` of the inner division leave
    one factor :math:`T`, which balances the :math:`1 / T` by which the
    difference of the softened probabilities shrinks.

    Parameters
    ----------
    As :func:`distillation_loss`; ``reduction="none"`` and ``"sum"`` give
    the gradient of the per-example losses and of their sum.

    Returns
    -------
    numpy.ndarray of shape (n, K)

    Raises
    ------
    ValueError
        As :func:`distillation_loss`.

    Examples
    --------
    >>> from lossbook import distillation
    >>> distillation.distillation_loss_grad([[3.0, 1.0, 0.0]], [[1.0, 0.5, 0.0]], temperature=2.0).round(4)
    array([[-0.4186,  0.1905,  0.2281]])
    """
    t, s, y, temperature, alpha = _inputs(teacher_logits, student_logits, labels, temperature, alpha, reduction)
    grad = _gradient(t, s, _onehot(y, s.shape[1]), temperature, alpha)
    return grad / s.shape[0] if reduction == "mean" else grad


# ---------------------------------------------------------------------------
# Many networks trained at once
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class Networks:
    """The final weights of R independent multilayer perceptrons, stacked along a leading axis.

    Attributes
    ----------
    weights : tuple of numpy.ndarray
        Kernel and bias of each layer in turn, each with a leading replica
        axis: ``(R, d, h1), (R, h1), ..., (R, h_last, K), (R, K)``.
    seeds : numpy.ndarray of int, shape (R,)
        The seed of each network (initial weights and batch order).
    """

    weights: tuple
    seeds: np.ndarray

    def __repr__(self):
        sizes = [w.shape[-1] for w in self.weights[::2]]
        return f"Networks({self.seeds.size} replicas, layers {[self.weights[0].shape[1]] + sizes})"

    @property
    def replicas(self) -> int:
        return int(self.seeds.size)

    def logits(self, x) -> np.ndarray:
        """Every network's logits for inputs ``x`` of shape (n, d), or (R, n, d) for each its own; (R, n, K).

        Raises
        ------
        ValueError
            If ``x`` is not finite numbers of one of those shapes.
        """
        x = _v.as_float_array(x, "x")
        d, r = self.weights[0].shape[1], self.replicas
        if x.ndim not in (2, 3) or x.shape[-1] != d or (x.ndim == 3 and x.shape[0] != r):
            raise ValueError(
                f"`x` must have shape (n, {d}) or ({r}, n, {d}), one row per example for all networks or for each; "
                f"got {x.shape}. Pass e.g. the test part's inputs."
            )
        _v.check_finite(x, "x")
        return _forward(self.weights, np.broadcast_to(x, (r,) + x.shape[-2:]))[-1]


def _forward(weights, x):
    """The activations of every layer, the last being the logits; x has shape (R, n, d)."""
    layers = [x]
    for i in range(0, len(weights), 2):
        z = np.matmul(layers[-1], weights[i]) + weights[i + 1][:, None, :]
        layers.append(np.maximum(z, 0.0) if i + 2 < len(weights) else z)
    return layers


def _initial(seed, sizes):
    """He-uniform hidden kernels, a Glorot-uniform output kernel, zero biases, from one generator per seed."""
    rng = np.random.default_rng(seed)
    weights = []
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = k == len(sizes) - 2
        limit = np.sqrt(6.0 / (fan_in + fan_out)) if last else np.sqrt(6.0 / fan_in)
        weights += [rng.uniform(-limit, limit, (fan_in, fan_out)), np.zeros(fan_out)]
    return weights, rng


def _per_replica(value, name, r, *, low=0.0, low_open=True, high=None):
    values = np.asarray(value, dtype=float) if np.ndim(value) else np.full(r, value, dtype=float)
    bad = values.shape != (r,) or not np.all(np.isfinite(values)) or np.any(values < low if not low_open else values <= low)
    if not bad and high is not None:
        bad = np.any(values > high)
    if bad:
        bounds = f"in [{low:g}, {high:g}]" if high is not None else "positive"
        raise ValueError(f"`{name}` must be one number {bounds}, or one per network, shape ({r},); got {value!r}.")
    return values


def _checked_data(x, labels, hidden, seeds, n_classes):
    """``fit``'s inputs, labels, layer sizes and seeds, checked; (x, labels, seeds) as arrays."""
    x = _v.as_float_array(x, "x")
    if x.ndim != 3:
        raise ValueError(
            f"`x` must have shape (R, n, d), each network's own training rows; got {x.shape}. "
            "Stack the draws with np.stack, or repeat one with np.broadcast_to(x, (R, n, d))."
        )
    _v.check_finite(x, "x")
    r, n, d = x.shape
    _v.check_int(n_classes, "n_classes", low=2, example=10)
    y = np.asarray(labels)
    if y.shape != (r, n) or y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"`labels` must be integers 0..{n_classes - 1} of shape ({r}, {n}), one class per training "
            f"row of each network; got dtype {y.dtype} and shape {y.shape}."
        )
    if isinstance(hidden, (int, np.integer)) or not all(_v.is_int(h) and h >= 1 for h in hidden) or not len(hidden):
        raise ValueError(f"`hidden` must be a sequence of positive layer sizes, e.g. (16,) or (256, 256); got {hidden!r}.")
    seeds = np.asarray(seeds)
    if seeds.shape != (r,) or seeds.dtype.kind not in "iu" or seeds.min() < 0:
        raise ValueError(f"`seeds` must be {r} non-negative integers, one per network; got {seeds!r}.")
    return x, y, seeds


def _checked_teacher(teacher_logits, alphas, shape):
    """The teacher's logits, checked against ``shape`` (R, n, K); zeros where no network uses them."""
    r, n, n_classes = shape
    if np.any(alphas > 0):
        if teacher_logits is None:
            raise ValueError(
                "`teacher_logits` are needed where alpha > 0; pass the teacher's logits on each "
                "network's training rows, or alpha=0.0 for hard labels alone."
            )
        t = _v.as_float_array(teacher_logits, "teacher_logits")
        if t.shape != (r, n, n_classes):
            raise ValueError(
                f"`teacher_logits` must have shape ({r}, {n}, {n_classes}), the teacher's logits on each "
                f"network's training rows; got {t.shape}."
            )
        _v.check_finite(t, "teacher_logits")
    else:
        t = np.zeros((r, n, n_classes))
    return t


def _train(x, y, t, hidden, seeds, rates, temperatures, alphas, epochs, batch_size, momentum, n_classes):
    """Run ``fit``'s SGD on checked inputs; return the trained weights, stacked over networks."""
    r, n, d = x.shape
    onehot = np.eye(n_classes)[y]

    sizes = [d, *[int(h) for h in hidden], n_classes]
    starts = [_initial(int(s), sizes) for s in seeds]
    weights = [np.stack([w[i] for w, _ in starts]) for i in range(2 * (len(sizes) - 1))]
    generators = [rng for _, rng in starts]
    velocity = [np.zeros_like(w) for w in weights]
    shape = (r, 1, 1)
    temperatures, alphas, rates = temperatures.reshape(shape), alphas.reshape(shape), rates.reshape(shape)
    rows = np.arange(r)[:, None]
    for _ in range(epochs):
        order = np.stack([rng.permutation(n) for rng in generators])
        for start in range(0, n, batch_size):
            index = order[:, start : start + batch_size]
            layers = _forward(weights, x[rows, index])
            grad = _gradient(t[rows, index], layers[-1], onehot[rows, index], temperatures, alphas) / index.shape[1]
            for i in range(len(weights) - 2, -1, -2):
                below = layers[i // 2]
                g_kernel, g_bias = np.matmul(below.transpose(0, 2, 1), grad), grad.sum(axis=1)
                if i:
                    grad = np.matmul(grad, weights[i].transpose(0, 2, 1)) * (below > 0)
                for j, g in ((i, g_kernel), (i + 1, g_bias)):
                    velocity[j] = momentum * velocity[j] - rates.reshape((r,) + (1,) * (g.ndim - 1)) * g
                    weights[j] = weights[j] + velocity[j]
    return weights


def fit(
    x,
    labels,
    *,
    hidden,
    seeds,
    learning_rate,
    epochs,
    teacher_logits=None,
    temperature=1.0,
    alpha=0.0,
    batch_size=32,
    momentum=0.9,
    n_classes=10,
) -> Networks:
    r"""Train R independent ReLU networks at once with SGD and momentum on :func:`distillation_loss`.

    Network ``r`` starts from weights drawn with ``seeds[r]`` (He-uniform
    hidden kernels, a Glorot-uniform output kernel, zero biases, as Keras'
    course MLPs) and visits its training rows in a new order every epoch,
    drawn from the same generator. Each step averages the loss over a batch
    and updates as ``keras.optimizers.SGD`` does,
    :math:`v \leftarrow \mu v - \eta g`, :math:`w \leftarrow w + v`. All
    arithmetic is NumPy float64.

    Parameters
    ----------
    x : array_like, shape (R, n, d)
        Each network's training inputs (its own draw of the data).
    labels : array_like of int, shape (R, n)
        Their classes ``0 .. n_classes - 1``.
    hidden : sequence of int
        Units of each hidden layer, e.g. ``(16,)`` or ``(256, 256)``.
    seeds : sequence of int, length R
    learning_rate, temperature, alpha : float or array_like of shape (R,)
        One value for all networks or one per network (a grid in one call).
    epochs : int
    teacher_logits : array_like, shape (R, n, n_classes), optional
        The teacher's logits on each network's training rows; required unless
        every ``alpha`` is 0 (hard labels alone).
    batch_size : int, default 32
    momentum : float, default 0.9
    n_classes : int, default 10

    Returns
    -------
    Networks

    Raises
    ------
    ValueError
        If a shape, size or setting is out of place; the message names it and
        its expected form.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import distillation
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2, 60, 4)); y = (x[..., 0] > 0).astype(int)
    >>> nets = distillation.fit(x, y, hidden=(8,), seeds=[0, 1], learning_rate=0.1, epochs=20, n_classes=2)
    >>> nets.logits(x).shape, bool(np.all((nets.logits(x).argmax(-1) == y).mean(axis=1) > 0.9))
    ((2, 60, 2), True)
    """
    x, y, seeds = _checked_data(x, labels, hidden, seeds, n_classes)
    _v.check_int(epochs, "epochs", low=1, example=40)
    _v.check_int(batch_size, "batch_size", low=1, example=32)
    _v.check_scalar(momentum, "momentum", low=0, high=1, high_open=True, example=0.9)
    r, n, _ = x.shape
    rates = _per_replica(learning_rate, "learning_rate", r)
    temperatures = _per_replica(temperature, "temperature", r)
    alphas = _per_replica(alpha, "alpha", r, low_open=False, high=1.0)
    t = _checked_teacher(teacher_logits, alphas, (r, n, n_classes))
    weights = _train(x, y, t, hidden, seeds, rates, temperatures, alphas, epochs, batch_size, momentum, n_classes)
    return Networks(tuple(weights), seeds.astype(np.int64))
