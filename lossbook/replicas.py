r"""Many independent replicas of one of the course's MLPs, trained at once.

One training run per loss cannot say whether one loss beats another: with a
different seed the ranking changes. Answering needs many runs per loss, and
:func:`fit` makes them cheap. It trains ``R`` independent copies of the
network that :func:`lossbook.models.build` would make, stacked along a
leading axis, in one compiled TensorFlow computation:

- every replica has its own weights, its own batch order and its own
  momentum;
- one training step of all ``R`` replicas is a handful of batched matrix
  products (``(R, 32, d) @ (R, d, h)``), so the fixed cost of a step, which
  dominates for networks this small, is paid once for all of them;
- all epochs run inside one TensorFlow call (one call per epoch while a
  progress bar is shown).

What a replica computes
-----------------------
Each replica does what ``model.fit(x_train, y_train, batch_size=32,
shuffle=True, validation_data=(x_test, y_test))`` does for a model from
:func:`lossbook.models.build`, step for step:

- the forward pass of a ``Dense(hidden, relu)`` and a ``Dense(outputs,
  activation)`` layer, with the output activation of
  :func:`lossbook.models.head_for`;
- the loss is the Keras loss object a model from
  :func:`lossbook.models.build` is compiled with, applied to the replica's
  batch and averaged over it: Keras' own (``keras.losses``, with the row's
  options such as ``label_smoothing`` or generalised cross-entropy's ``q``),
  or for the losses Keras lacks (pinball, Gaussian NLL, class-weighted and
  symmetric cross-entropy, the classification MAE) lossbook's Keras
  version in :mod:`lossbook.keras_losses`; there is no second
  implementation of any loss;
- SGD with momentum as ``keras.optimizers.SGD`` updates,

  .. math::

      v \leftarrow \mu v - \eta g, \qquad w \leftarrow w + v;

- the epoch's training loss and metric are the averages over its examples
  while the weights were changing (Keras' running mean, in which each batch
  counts by its size, so the last batch of 20 counts less than the others),
  and the test figures are measured on the whole test half with the weights
  at the end of the epoch, as :func:`lossbook.training.fit` does.

The metric is the one :func:`lossbook.models.compile_for` picks: ``"mse"`` for
regression, ``"accuracy"`` for classifiers (threshold 0.5 for a sigmoid, signs
for tanh, :func:`lossbook.models.sign_accuracy`, argmax for softmax).

Seeds
-----
Replica ``r`` of ``fit(..., replicas=R, seed=s)`` has the seed ``s + r``. It
starts from exactly the weights of ``models.build(loss, ..., seed=s + r)``
(:func:`initial_weights`), and visits the training rows in a new order every
epoch, drawn from the batch-order stream of ``s + r``
(:func:`batch_orders`, :func:`lossbook.seeds.streams`): the orders that
:func:`lossbook.training.fit` draws with ``seed=s + r``, so a seed is the same
run in both. Pass ``orders`` to replay any order.

Learning rates
--------------
``learning_rate`` may be one rate per replica. A sweep over rates is then one
call: repeat the seeds for every rate (``seeds`` and ``learning_rate`` as
arrays of length R), and all the networks train in the same computation.

Agreement with Keras
--------------------
Tested for every loss of the course, given the same initial weights and the
same batch order:

- a run with one replica reproduces Keras' ``fit`` and
  :func:`lossbook.training.fit` bit for bit on the course's pinned stack: the
  same weights after every step, the same training figures, the same test
  figures as :func:`lossbook.training.fit` (Keras' own validation, in batches
  of 32, differs in the seventh digit). To get there the replicas add their
  biases with the kernel Keras' ``Dense`` uses and divide totals by counts as
  Keras' ``Mean`` metric does;
- in a run of several replicas each one agrees with its own single run to
  rounding, about ``1e-7`` per step: TensorFlow multiplies a stack of
  matrices with another kernel than a single one.

Rounding is not negligible forever. Training these networks is chaotic: on
the unscaled blobs, changing one initial weight by one part in ``1e7``
changes Keras' own loss after three epochs by up to 1 % for some seeds. After
100 epochs a replica of a run of 30 and the same network trained alone end at
different, equally valid weights; statistics over seeds notice at most in
their last digits. Those digits can then depend on the processor: its
matrix kernels round differently with and without fused multiply-add, and in
float32 TensorFlow's softmax divides by the processor's approximate
reciprocal, whose bits differ between Intel and AMD CPUs (a loss that reads
the probabilities, such as the KL divergence, follows them). Where the digits
must not depend on the CPU, ``fit(..., dtype="float64")`` trains in double
precision, where that division is exact.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import typing

import numpy as np

from lossbook import _heads
from lossbook import seeds as _seeds
from lossbook import training as _training
from lossbook._keras import load as _load_keras
from lossbook._validation import check_bool as _check_bool
from lossbook._validation import check_int as _check_int
from lossbook._validation import check_rate as _check_rate
from lossbook.history import ReplicaHistory

__all__ = ["ReplicaHistory", "batch_orders", "fit", "initial_weights"]


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _check_weights(weights, expected):
    names = ("hidden kernel", "hidden bias", "output kernel", "output bias")
    try:
        arrays = [np.asarray(w, dtype=np.float32) for w in weights]
    except (TypeError, ValueError):
        arrays = None
    if arrays is None or len(arrays) != 4 or any(a.shape != e for a, e in zip(arrays, expected)):
        got = "?" if arrays is None else [a.shape for a in arrays]
        raise ValueError(
            f"`weights` must be 4 arrays ({', '.join(names)}) with a leading replica axis, of shapes "
            f"{expected}; got shapes {got}. Make them with replicas.initial_weights(...), or stack "
            "model.get_weights() of each replica with np.stack."
        )
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("`weights` must be finite; they hold NaN or infinity.")
    return arrays


def _check_orders(orders, replicas, epochs, n):
    values = np.asarray(orders)
    if values.shape != (replicas, epochs, n) or values.dtype.kind not in "iu":
        raise ValueError(
            f"`orders` must be integer row indices of shape (replicas, epochs, n_train) = "
            f"{(replicas, epochs, n)}; got dtype {values.dtype} and shape {values.shape}. "
            "Make them with replicas.batch_orders(seeds, n=..., epochs=...)."
        )
    if not np.array_equal(np.sort(values, axis=-1), np.broadcast_to(np.arange(n), values.shape)):
        raise ValueError(
            f"each row of `orders` must be a permutation of 0..{n - 1}, every training row once per epoch; "
            "at least one repeats or misses a row."
        )
    return values.astype(np.int32)


# ---------------------------------------------------------------------------
# Seeded starting points
# ---------------------------------------------------------------------------


def initial_weights(n_inputs: int, *, hidden: int, outputs: int = 1, seeds) -> list[np.ndarray]:
    """Initial weights of one network per seed, stacked along a leading axis.

    The weights with seed ``s`` are those of :func:`lossbook.models.mlp` with
    ``seed=s``: the hidden kernel from ``HeUniform``, the output kernel from
    ``GlorotUniform``, each seeded with its own stream of ``s``
    (:func:`lossbook.seeds.streams`), biases at zero. The initialisers are
    called directly, without building a model.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    hidden : int
        Number of hidden units.
    outputs : int, default 1
        Number of output units.
    seeds : sequence of int
        One seed per replica.

    Returns
    -------
    list of numpy.ndarray
        float32 arrays of shapes ``(R, n_inputs, hidden)``, ``(R, hidden)``,
        ``(R, hidden, outputs)`` and ``(R, outputs)``.

    Raises
    ------
    ValueError
        If a size is not a positive integer or ``seeds`` is not a non-empty
        sequence of non-negative integers.

    Examples
    --------
    >>> import numpy as np
    >>> import lossbook
    >>> lossbook.setup(keras=True)
    >>> from lossbook import models, replicas
    >>> stacked = replicas.initial_weights(2, hidden=5, outputs=3, seeds=[4, 7])
    >>> [w.shape for w in stacked]
    [(2, 2, 5), (2, 5), (2, 5, 3), (2, 3)]
    >>> model = models.mlp(2, hidden=5, outputs=3, activation="softmax", seed=7)
    >>> all(np.array_equal(w[1], k) for w, k in zip(stacked, model.get_weights()))
    True
    """
    _check_int(n_inputs, "n_inputs", low=1, example=20)
    _check_int(hidden, "hidden", low=1, example=25)
    _check_int(outputs, "outputs", low=1, example=1)
    seeds = _seeds.check_seeds(seeds)
    keras = _load_keras()
    init = keras.initializers
    to_numpy = keras.ops.convert_to_numpy
    r = seeds.size
    streams = [_seeds.streams(int(s)) for s in seeds]
    return [
        np.stack([to_numpy(init.HeUniform(seed=s["hidden"])((n_inputs, hidden), dtype="float32")) for s in streams]),
        np.zeros((r, hidden), np.float32),
        np.stack([to_numpy(init.GlorotUniform(seed=s["output"])((hidden, outputs), dtype="float32")) for s in streams]),
        np.zeros((r, outputs), np.float32),
    ]


#: The row orders of every seed, epoch by epoch: the function :func:`lossbook.training.fit` uses.
batch_orders = _training.batch_orders


# ---------------------------------------------------------------------------
# The compiled training loop
# ---------------------------------------------------------------------------


def _per_example(values, tf):
    """Per-example values, averaging any trailing axes as Keras' Mean metric does."""
    if values.shape.rank > 1:
        values = tf.reduce_mean(values, axis=list(range(1, values.shape.rank)))
    return values


def _keras_loss(loss, head, keras):
    """Per-example values of Keras' own loss, before any reduction.

    ``Loss.call`` is what ``Loss.__call__`` reduces; calling it directly keeps
    a loss object's settings as they are (``keras.losses.Huber.get_config``
    forgets ``delta``, so the object cannot be rebuilt from its config).
    """
    if isinstance(loss, str):
        from lossbook import keras_losses

        loss = keras_losses.for_row(head.row)
    return loss.call


def _add_bias(z, bias, tf):
    """``z[r] + bias[r]`` for z of shape (R, b, k), with the kernel Keras' Dense uses.

    Keras adds a Dense layer's bias of k > 1 units with ``tf.nn.bias_add``,
    whose gradient (``BiasAddGrad``) sums over the batch in its own order, and
    a single unit's bias with a broadcasting add. Laying the replicas side by
    side as channels, ``(b, R * k)``, lets one ``bias_add`` serve all of them
    with the same kernel as Keras, so that the gradients of a single replica
    agree with Keras' to the last bit instead of to rounding.
    """
    r, b, k = z.shape
    if k == 1:
        return z + bias[:, None, :]
    wide = tf.reshape(tf.transpose(z, (1, 0, 2)), (b, r * k))
    wide = tf.nn.bias_add(wide, tf.reshape(bias, (r * k,)))
    return tf.transpose(tf.reshape(wide, (b, r, k)), (1, 0, 2))


#: Traced training loops by loss, shapes and settings; at most _MAX_RUNNERS are kept.
_RUNNERS: dict = {}
_MAX_RUNNERS = 16


@dataclasses.dataclass(frozen=True)
class _Config:
    """What a traced training loop depends on: the loss, the shapes and the settings of one :func:`fit`.

    It is the key of :data:`_RUNNERS`, so it holds no arrays: a loss object
    stands in it by its ``id`` (the cached loop holds the object, so the id
    stays unique).
    """

    head: _heads.Head
    loss: object  # the loss's name, or id() of a Keras loss object
    replicas: int
    inputs: int
    hidden: int
    outputs: int
    n: int  # training rows
    y_tail: tuple  # the targets' shape after the row axis: Keras' losses match (n,) targets with (n, 1) outputs
    test_shape: tuple  # the test targets' shape
    per_replica: bool  # whether every replica has its own data, with a leading replica axis
    batch_size: int
    momentum: float
    dtype: str
    test_each_epoch: bool = True  # False: the test half is scored once, after the last epoch of a call

    @property
    def lead(self) -> tuple:
        """The leading axis of the data: (R,) for per-replica data, else none."""
        return (self.replicas,) if self.per_replica else ()


class _Kernels(typing.NamedTuple):
    """The functions a traced loop calls: the output activation, the per-example loss and the metric."""

    activation: typing.Callable
    loss: typing.Callable
    metric: typing.Callable


def _predict(config, kernels, params, x, tf):
    """Outputs of every replica as rows (R * b, o); the activation comes last, as in Keras' Dense,
    so that Keras' cross-entropies find the logits behind a sigmoid or softmax."""
    k1, b1, k2, b2 = params
    hidden = tf.nn.relu(_add_bias(tf.matmul(x, k1), b1, tf))
    z = _add_bias(tf.matmul(hidden, k2), b2, tf)
    return kernels.activation(tf.reshape(z, (-1, config.outputs)))


def _mean(config, losses, rows, tf):
    """Keras' "sum_over_batch_size" reduction: the sum of a batch's losses over its size."""
    return tf.math.divide_no_nan(tf.reduce_sum(losses, axis=1), tf.constant(rows, config.dtype))


def _figures(config, kernels, y, predicted, rows, tf):
    """Per-replica losses and the sum of the metric over the rows of a batch."""
    dt = tf.as_dtype(config.dtype)
    losses = tf.reshape(kernels.loss(y, predicted), (config.replicas, rows))
    if losses.dtype != dt:
        raise TypeError(f"the loss computes in {losses.dtype.name}, not {dt.name}: it cannot train in {dt.name}.")
    per_example = _per_example(kernels.metric(y, predicted), tf)  # 0 / 1 per example for a classifier
    metrics = tf.cast(tf.reshape(per_example, (config.replicas, rows)), dt)
    return losses, tf.reduce_sum(metrics, axis=1)


def _train_step(config, kernels, params, velocity, index, data, rates, tf):
    """One SGD step with momentum of every replica on the rows ``index`` (R, b) of ``data`` = (x, y)."""
    r, rows = config.replicas, index.shape[1]
    x, y = data
    batch_dims = 1 if config.per_replica else 0
    xb = tf.gather(x, index, batch_dims=batch_dims)
    yb = tf.reshape(tf.gather(y, index, batch_dims=batch_dims), (r * rows,) + config.y_tail)
    with tf.GradientTape() as tape:
        tape.watch(params)
        predicted = _predict(config, kernels, params, xb, tf)
        losses, metric_sum = _figures(config, kernels, yb, predicted, rows, tf)
        batch_loss = _mean(config, losses, rows, tf)
        total = tf.reduce_sum(batch_loss)  # replicas are independent: d total / d w_r = d loss_r / d w_r
    grads = tape.gradient(total, params)
    lrs = (rates[:, None, None], rates[:, None], rates[:, None, None], rates[:, None])
    mu = tf.constant(config.momentum, config.dtype)
    velocity = tuple(v * mu - g * lr for v, g, lr in zip(velocity, grads, lrs))
    params = tuple(w + v for w, v in zip(params, velocity))
    # Keras' loss tracker adds each batch's mean loss times the batch size.
    return params, velocity, batch_loss * tf.constant(rows, config.dtype), metric_sum


def _train_epoch(config, kernels, params, velocity, order, rates, data, tf):
    """One epoch of every replica in the row order ``order`` (R, n); the sums of the training loss and metric."""
    r, size = config.replicas, config.batch_size
    full_steps, tail = divmod(config.n, size)
    zero = tf.zeros((r,), config.dtype)

    def body(step, params, velocity, loss_sum, metric_sum):
        index = tf.slice(order, (0, step * size), (r, size))
        params, velocity, batch_loss, batch_metric = _train_step(config, kernels, params, velocity, index, data, rates, tf)
        return step + 1, params, velocity, loss_sum + batch_loss, metric_sum + batch_metric

    _, params, velocity, loss_sum, metric_sum = tf.while_loop(
        lambda step, *_: step < full_steps,
        body,
        (tf.constant(0), params, velocity, zero, zero),
    )
    if tail:
        index = tf.slice(order, (0, full_steps * size), (r, tail))
        params, velocity, batch_loss, batch_metric = _train_step(config, kernels, params, velocity, index, data, rates, tf)
        loss_sum, metric_sum = loss_sum + batch_loss, metric_sum + batch_metric
    return params, velocity, loss_sum, metric_sum


def _test_totals(config, kernels, params, x_test, y_test, tf):
    """The test loss and metric of every replica's current weights, as totals over the test rows."""
    r, n_test = config.replicas, config.test_shape[0]
    if not config.per_replica:
        x_test = tf.broadcast_to(x_test[None], (r,) + tuple(x_test.shape))
        y_test = tf.broadcast_to(y_test[None], (r,) + tuple(y_test.shape))
    test_pred = _predict(config, kernels, params, x_test, tf)
    test_y = tf.reshape(y_test, (r * n_test,) + config.y_tail)
    test_losses, test_metric = _figures(config, kernels, test_y, test_pred, n_test, tf)
    return _mean(config, test_losses, n_test, tf) * tf.constant(n_test, config.dtype), test_metric


def _one_epoch(config, kernels, params, velocity, order, rates, x, y, x_test, y_test, tf):
    """Train one epoch, then test: the new weights and momenta and the epoch's four totals, shape (4, R)."""
    params, velocity, loss_sum, metric_sum = _train_epoch(config, kernels, params, velocity, order, rates, (x, y), tf)
    test_loss, test_metric = _test_totals(config, kernels, params, x_test, y_test, tf)
    # Totals, as Keras' Mean metrics hold them; fit divides by the counts.
    return params, velocity, tf.stack([loss_sum, metric_sum, test_loss, test_metric])


def _signature(config, tf):
    """The input signature of the traced loop: weights, momenta, orders, rates and the data."""
    dt = tf.as_dtype(config.dtype)
    r, d, h, o = config.replicas, config.inputs, config.hidden, config.outputs
    weight_specs = tuple(tf.TensorSpec(s, dt) for s in ((r, d, h), (r, h), (r, h, o), (r, o)))
    lead, n, n_test = config.lead, config.n, config.test_shape[0]
    return (
        weight_specs,
        weight_specs,
        tf.TensorSpec((r, None, n), tf.int32),
        tf.TensorSpec((r,), dt),
        tf.TensorSpec(lead + (n, d), dt),
        tf.TensorSpec(lead + (n,) + config.y_tail, dt),
        tf.TensorSpec(lead + (n_test, d), dt),
        tf.TensorSpec(lead + tuple(config.test_shape), dt),
    )


def _train_only_epoch(config, kernels, params, velocity, order, rates, x, y, x_test, y_test, tf):
    """Train one epoch without testing: as :func:`_one_epoch`, with NaN for the two test totals."""
    params, velocity, loss_sum, metric_sum = _train_epoch(config, kernels, params, velocity, order, rates, (x, y), tf)
    untested = tf.fill((config.replicas,), tf.constant(np.nan, config.dtype))
    return params, velocity, tf.stack([loss_sum, metric_sum, untested, untested])


def _test_last(config, kernels, params, logs, x_test, y_test, tf):
    """The chunk's totals ``logs`` (E_chunk, 4, R) with the test totals of the final weights in the last epoch's row."""
    test_loss, test_metric = _test_totals(config, kernels, params, x_test, y_test, tf)
    last = tf.stack([logs[-1, 0], logs[-1, 1], test_loss, test_metric])
    return tf.concat([logs[:-1], last[None]], axis=0)


def _runner(config: _Config, kernels: _Kernels):
    """A compiled function that trains all replicas for a chunk of epochs.

    ``run(params, velocity, orders, rates, x, y, x_test, y_test)`` takes the
    stacked weights and momenta, the row orders of shape (R, E_chunk, n), the
    learning rate of every replica, shape (R,), and the data;
    it returns the new weights and momenta and a (E_chunk, 4, R) array with the
    totals of the training loss, training metric, test loss and test metric of
    each epoch (to be divided by the numbers of training and test rows). Every
    tensor is of the configuration's dtype. Without ``config.test_each_epoch``
    the test half is scored once, with the weights at the end of the chunk,
    by the same operations; the test totals of the other epochs are NaN.
    Functions are cached by configuration, so a second run with the same
    settings and shapes reuses the traced graph.
    """
    if config in _RUNNERS:
        return _RUNNERS[config]
    import tensorflow as tf

    epoch_fn = _one_epoch if config.test_each_epoch else _train_only_epoch

    # autograph=False: an explicit tf.while_loop; converting Keras' sources would cost seconds.
    @tf.function(autograph=False, input_signature=_signature(config, tf))
    def run(params, velocity, orders, rates, x, y, x_test, y_test):
        chunk = tf.shape(orders)[1]
        logs = tf.TensorArray(tf.as_dtype(config.dtype), size=chunk, element_shape=(4, config.replicas))

        def body(epoch, params, velocity, logs):
            params, velocity, row = epoch_fn(config, kernels, params, velocity, orders[:, epoch], rates, x, y, x_test, y_test, tf)
            return epoch + 1, params, velocity, logs.write(epoch, row)

        _, params, velocity, logs = tf.while_loop(lambda epoch, *_: epoch < chunk, body, (tf.constant(0), params, velocity, logs))
        if config.test_each_epoch:
            return params, velocity, logs.stack()
        return params, velocity, _test_last(config, kernels, params, logs.stack(), x_test, y_test, tf)

    if len(_RUNNERS) >= _MAX_RUNNERS:  # forget the oldest traced computation
        _RUNNERS.pop(next(iter(_RUNNERS)))
    _RUNNERS[config] = run
    return run


class _Progress:
    """A one-line text bar on stdout, redrawn in place; nothing at all when off."""

    def __init__(self, on, label, total):
        self.on, self.label, self.total, self.start = on, label, total, time.perf_counter()

    def update(self, done):
        if not self.on:
            return
        filled = round(30 * done / self.total)
        elapsed = time.perf_counter() - self.start
        sys.stdout.write(f"\r{self.label}: epoch {done}/{self.total} [{'#' * filled}{'.' * (30 - filled)}] {elapsed:.1f} s")
        if done == self.total:
            sys.stdout.write("\n")
        sys.stdout.flush()


def _interactive():
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def fit(
    loss,
    split,
    *,
    hidden: int,
    epochs: int,
    replicas: int,
    seed: int | None = 0,
    seeds=None,
    n_classes: int | None = None,
    batch_size: int = 32,
    learning_rate=0.01,
    momentum: float = 0.9,
    weights=None,
    orders=None,
    progress: bool | None = None,
    dtype: str = "float32",
    test_each_epoch: bool = True,
) -> ReplicaHistory:
    r"""Train ``replicas`` independent copies of the course's MLP for a loss, all at once.

    Replica ``r`` is the network of ``models.build(loss, n_inputs=...,
    hidden=hidden, n_classes=n_classes, seed=seed + r)``, trained with SGD
    (``learning_rate``, ``momentum``) in batches of ``batch_size`` on the
    training half, reshuffled every epoch, and scored on the test half after
    every epoch (see the module notes for what "the same as Keras" covers).

    Parameters
    ----------
    loss : str or keras.losses.Loss
        One of :data:`lossbook.models.LOSS_NAMES` (or an alias such as
        ``"mse"``), or a Keras loss object of those classes, e.g.
        ``keras.losses.Huber(delta=0.5)``.
    split : lossbook.data.Split or sequence of Split
        Training and test halves; the targets must be in the format the loss
        expects (:func:`lossbook.models.check_labels`). A sequence gives every
        replica its own data (one Split per replica, all of the same shapes),
        e.g. :func:`lossbook.data.resampled` of each seed.
    hidden : int
        Number of hidden ReLU units.
    epochs : int
        Number of passes over the training half.
    replicas : int
        Number of independent replicas R.
    seed : int, default 0
        Replica ``r`` has the seed ``seed + r``, for its initial weights
        (:func:`initial_weights`) and its batch order (:func:`batch_orders`).
    seeds : sequence of int, optional
        The seed of every replica instead (length ``replicas``; repeats
        allowed, e.g. the same 30 seeds for each of several learning rates).
    n_classes : int, optional
        Number of output units; required for multi-class losses, not allowed
        for the others (as in :func:`lossbook.models.build`).
    batch_size : int, default 32
        Examples per step; the last batch of an epoch may be smaller.
    learning_rate : float or array_like of shape (replicas,), default 0.01
        SGD's learning rate, one for all replicas or one per replica.
    momentum : float, default 0.9
        SGD's momentum.
    weights : sequence of 4 arrays, optional
        Initial weights with a leading replica axis, as returned by
        :func:`initial_weights`; replace those of the seeds.
    orders : array_like of int, shape (replicas, epochs, n_train), optional
        The row order of every replica and epoch; replaces
        :func:`batch_orders` of the seeds.
    progress : bool, optional
        Show a progress bar over epochs on stdout. By default only when
        stdout is a terminal; in a notebook pass ``progress=True``. Without it
        nothing is printed.
    dtype : {"float32", "float64"}, default "float32"
        The precision of the weights, the data and every computation.
        "float32" is Keras' and reproduces its ``fit``; "float64" is slower
        and makes the results far less sensitive to rounding (see Notes).
    test_each_epoch : bool, default True
        Score the test half after every epoch. With False it is scored only
        after the last epoch (after every epoch while a progress bar is
        shown), and the test figures of the other epochs are NaN: the final
        figures are the same to the last bit, and a run of many replicas
        that needs only them takes some 15 % less time (the role of Keras'
        ``validation_freq``).

    Returns
    -------
    ReplicaHistory
        Loss and metric per replica and epoch for both halves, and the final
        weights.

    Raises
    ------
    ValueError
        If ``replicas`` or another size is not a positive integer, the loss is
        unknown, the labels are in the wrong format for the loss, the shapes
        of the split, ``weights`` or ``orders`` do not fit, or ``n_classes``
        is missing for a multi-class loss (or given for another).

    Notes
    -----
    The replicas train in float32, as Keras does. A single replica
    reproduces Keras' ``fit`` bit for bit; in a run of several replicas each
    one differs from its own single run by rounding, which training amplifies
    over many epochs (see the module notes). The same amplification makes
    long float32 runs at large learning rates depend on the processor: its
    matrix kernels round differently with and without fused multiply-add,
    and a float32 softmax multiplies by the processor's approximate
    reciprocal, which no environment variable pins (Intel and AMD CPUs round
    it differently; float32 KL-divergence runs follow it).
    With ``dtype="float64"`` the rounding starts some nine orders of
    magnitude smaller, and TensorFlow computes double precision with the
    same kernels on every x86-64 processor, so such a run gives the same
    figures under the course's portability check (chapter 14 trains this
    way).

    The first call for a loss and a set of shapes traces the computation
    (about half a second); later calls with the same settings reuse it.

    Examples
    --------
    >>> import numpy as np
    >>> import lossbook
    >>> lossbook.setup(keras=True)
    >>> from lossbook import data, replicas
    >>> runs = replicas.fit("mse", data.regression(), hidden=25, epochs=3, replicas=4, seed=10)
    >>> runs.train["loss"].shape, runs.test["mse"].shape, runs.seeds.tolist()
    ((4, 3), (4, 3), [10, 11, 12, 13])
    >>> bool(np.all(runs.train["loss"][:, -1] < runs.train["loss"][:, 0]))  # every replica learns
    True
    >>> runs.replica(2).train["loss"].shape  # one replica, as lossbook.training.History
    (3,)
    """
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise ValueError(f"`progress` must be True, False or None (automatic); got {progress!r}.")
    _check_bool(test_each_epoch, "test_each_epoch")
    config, start = _prepare(
        loss,
        split,
        hidden=hidden,
        epochs=epochs,
        replicas=replicas,
        seed=seed,
        seeds=seeds,
        n_classes=n_classes,
        batch_size=batch_size,
        learning_rate=learning_rate,
        momentum=momentum,
        weights=weights,
        orders=orders,
        dtype=dtype,
    )
    config = dataclasses.replace(config, test_each_epoch=bool(test_each_epoch))
    return _run(config, start, loss, show=_interactive() if progress is None else bool(progress))


# ---------------------------------------------------------------------------
# Preparing a fit
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class _Start:
    """The arrays a fit starts from, in its dtype: seeds, learning rates, initial weights, row orders and data."""

    seeds: np.ndarray  # (R,)
    rates: np.ndarray  # (R,)
    params: tuple  # 4 arrays with a leading replica axis
    orders: np.ndarray  # (R, E, n)
    data: tuple  # x, y, x_test, y_test; with a leading replica axis when every replica has its own data


def _check_rates(learning_rate, replicas):
    """One learning rate per replica, as float32, from one positive number or one per replica."""
    if np.ndim(learning_rate) == 0:
        _check_rate(learning_rate, "learning_rate", example=0.01)
        return np.full(replicas, learning_rate, np.float32)
    rates = np.asarray(learning_rate, dtype=np.float64)
    if rates.shape != (replicas,) or not np.all(np.isfinite(rates)) or np.any(rates <= 0):
        raise ValueError(
            f"`learning_rate` must be one positive number or one per replica, shape ({replicas},); "
            f"got {learning_rate!r}. Pass e.g. np.repeat(rates, seeds_per_rate)."
        )
    return rates.astype(np.float32)


def _check_dtype(dtype):
    if not isinstance(dtype, str) or dtype not in ("float32", "float64"):
        raise ValueError(f"`dtype` must be 'float32' or 'float64'; got {dtype!r}. Use 'float64' for double precision.")
    return np.dtype(dtype)


def _halves(split, loss, *, outputs, replicas, real):
    """The checked (x, y) of the training and test halves of every split, and whether each replica has its own."""
    per_replica = isinstance(split, (list, tuple)) and len(split) > 0 and all(hasattr(o, "x_train") for o in split)
    splits = list(split) if per_replica else [split]
    if per_replica and len(splits) != replicas:
        raise ValueError(
            f"`split` must be one Split, or a sequence of one Split per replica ({replicas}); got "
            f"{type(split).__name__} of length {len(splits)}. Pass e.g. [data.resampled(task, s) for s in seeds]."
        )
    halves = []
    for one in splits:
        arrays = _heads.split_arrays(one, loss, outputs=outputs, holder="network")
        halves.append([(np.asarray(x, dtype=real), np.asarray(y, dtype=real)) for x, y in arrays.values()])
    if len({tuple(a.shape for half in h for a in half) for h in halves}) > 1:
        raise ValueError("the splits of the replicas must all have the same shapes; got splits of different sizes.")
    return halves, per_replica


def _replica_seeds(seed, seeds, replicas):
    """The seed of every replica: ``seed``, ``seed + 1``, ..., or the checked ``seeds``."""
    if seeds is None:
        _check_int(seed, "seed", low=0, example=0)
        return np.arange(seed, seed + replicas, dtype=np.int64)
    seeds = _seeds.check_seeds(seeds)
    if seeds.size != replicas:
        raise ValueError(f"`seeds` must hold one seed per replica, {replicas}; got {seeds.size}.")
    return seeds


def _starting_point(config, seeds, weights, orders, epochs):
    """The initial weights and the row orders: those given, checked, or those of the seeds."""
    r, d, h, o = config.replicas, config.inputs, config.hidden, config.outputs
    unique, where = np.unique(seeds, return_inverse=True)  # a seed repeated across rates is drawn once
    if weights is None:
        params = [w[where] for w in initial_weights(d, hidden=h, outputs=o, seeds=unique)]
    else:
        params = _check_weights(weights, ((r, d, h), (r, h), (r, h, o), (r, o)))
    if orders is None:
        orders = batch_orders(unique, n=config.n, epochs=epochs)[where]
    else:
        orders = _check_orders(orders, r, epochs, config.n)
    return tuple(w.astype(config.dtype) for w in params), orders


def _prepare(
    loss, split, *, hidden, epochs, replicas, seed, seeds, n_classes, batch_size, learning_rate, momentum, weights, orders, dtype
):
    """Check :func:`fit`'s arguments; return the loop's configuration and the arrays it starts from."""
    head = _heads.head_for(loss)
    _check_int(replicas, "replicas", low=1, example=30)
    _check_int(hidden, "hidden", low=1, example=25)
    _check_int(epochs, "epochs", low=1, example=100)
    _check_int(batch_size, "batch_size", low=1, example=32)
    rates = _check_rates(learning_rate, replicas)
    _check_rate(momentum, "momentum", high=1, example=0.9)
    real = _check_dtype(dtype)
    outputs = _heads.output_units(head, n_classes)
    halves, per_replica = _halves(split, head, outputs=outputs, replicas=replicas, real=real)
    (x, y), (x_test, y_test) = halves[0]
    seeds = _replica_seeds(seed, seeds, replicas)
    config = _Config(
        head=head,
        loss=loss if isinstance(loss, str) else id(loss),
        replicas=replicas,
        inputs=x.shape[1],
        hidden=hidden,
        outputs=outputs,
        n=x.shape[0],
        y_tail=tuple(y.shape[1:]),
        test_shape=y_test.shape,
        per_replica=per_replica,
        batch_size=batch_size,
        momentum=float(momentum),
        dtype=dtype,
    )
    params, orders = _starting_point(config, seeds, weights, orders, epochs)
    if per_replica:
        data = tuple(np.stack([h[i][j] for h in halves]) for i in (0, 1) for j in (0, 1))
    else:
        data = (x, y, x_test, y_test)
    return config, _Start(seeds, rates.astype(real), params, orders, data)


# ---------------------------------------------------------------------------
# Running a fit
# ---------------------------------------------------------------------------


def _run(config: _Config, start: _Start, loss, *, show: bool) -> ReplicaHistory:
    """Train from ``start`` with the traced loop of ``config``; ``show`` draws a progress bar."""
    keras = _load_keras()
    import tensorflow as tf

    head = config.head
    metric_name, metric_fn = _heads.metric_function(head, head.activation)
    kernels = _Kernels(keras.activations.get(head.activation), _keras_loss(loss, head, keras), metric_fn)
    run = _runner(config, kernels)
    epochs = start.orders.shape[1]
    bar = _Progress(show, head.loss, epochs)
    chunk = 1 if show else epochs
    state = tuple(tf.constant(w) for w in start.params)
    velocity = tuple(tf.zeros_like(w) for w in state)
    data_tensors = [tf.constant(start.rates)] + [tf.constant(a) for a in start.data]
    logs = []
    for first in range(0, epochs, chunk):
        state, velocity, chunk_logs = run(state, velocity, tf.constant(start.orders[:, first : first + chunk]), *data_tensors)
        logs.append(chunk_logs.numpy())
        bar.update(min(first + chunk, epochs))
    # Keras' Mean metrics: total / count in float32, divided outside the graph,
    # where no optimiser turns the division into a multiplication by 1 / count.
    n_test = config.test_shape[0]
    counts = np.array([config.n, config.n, n_test, n_test], config.dtype)
    logs = (np.concatenate(logs) / counts[:, None]).transpose(1, 2, 0)  # (4, R, E)
    return ReplicaHistory(
        head.loss,
        start.seeds,
        np.arange(1, epochs + 1),
        {"loss": logs[0], metric_name: logs[1]},
        {"loss": logs[2], metric_name: logs[3]},
        tuple(w.numpy() for w in state),
    )
