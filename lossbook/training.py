r"""Quiet, reproducible training; histories as plain NumPy data.

:func:`fit` trains a compiled Keras model on the training half of a
:class:`~lossbook.data.Split`, measures the test half after every epoch, and
returns a :class:`History`: the loss and metric per epoch for both halves,
as arrays. It prints nothing and gives the same numbers for the same seed,
in any process, once ``lossbook.setup(keras=True)`` has run.

Keras' own history names keys after the metric as it was given:
``metrics=["mse"]`` logs ``"mse"`` and ``"val_mse"``, while
``metrics=["mean_squared_error"]`` logs ``"mean_squared_error"`` (the
``KeyError`` many tutorials meet); the validation copy of every key starts
with ``"val_"``. :class:`History` keeps the training and test figures in two
dictionaries with the same keys, ``"loss"`` plus the metric names, and the
models of :mod:`lossbook.models` name their metric ``"accuracy"`` (classifiers)
or ``"mse"`` (regression).

How the training loop is made fast
----------------------------------
One fit of the regression network (500 rows, batches of 32, 100 epochs) took
7-8 s of CPU time with a plain ``model.fit(x, y, validation_data=...)`` on
the course's 2-core machine, mostly in overhead: a new ``tf.data`` iterator
twice per epoch for the training data, 16 separate TensorFlow calls per
epoch for the training steps and 16 more for the validation batches.
:func:`fit` keeps Keras' training step and changes only how data reach it:

- one epoch is one TensorFlow call (``steps_per_execution`` set to the steps
  of an epoch), which gives bit-for-bit the same weights;
- the training data is one ``tf.data`` pipeline of the row indices of every
  epoch's batches (:func:`batch_orders`), so a single iterator serves every
  epoch and each epoch gets a fresh permutation;
- the test half is scored after each epoch by ``model.test_on_batch`` on all
  its rows at once, the same computation as Keras' validation in one batch
  (figures agree with batched validation to about 1e-7).

The same fit takes about 1 s. XLA (``jit_compile=True``) is unavailable
once op determinism is on (Keras falls back with a warning), and without
determinism it was slower here: compiling costs more than it saves on a
network this small.

Reshuffling
-----------
After ``keras.utils.set_random_seed``, Keras 3.15 on TensorFlow 2.21 shuffles
array inputs with ``fit(shuffle=True)`` into the *same* order at every epoch
(the seeded shuffle restarts with each epoch's iterator). :func:`fit` visits
the rows in a new permutation per epoch, as ``shuffle=True`` is documented to
do, drawn by :func:`batch_orders` from the seed's own batch-order stream
(:func:`lossbook.seeds.streams`): the same orders that
:func:`lossbook.replicas.fit` gives the replica with that seed.
"""

from __future__ import annotations

import math

import numpy as np

from lossbook import _heads
from lossbook import seeds as _seeds
from lossbook._keras import load as _load_keras
from lossbook._validation import check_int as _check_int
from lossbook.history import History

__all__ = ["History", "batch_orders", "evaluate", "fit"]


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _check_model(model):
    if not (hasattr(model, "fit") and hasattr(model, "layers")):
        raise ValueError(f"`model` must be a Keras model; got {type(model).__name__}. Build one with lossbook.models.build().")
    if not getattr(model, "compiled", False):
        raise ValueError(
            "`model` must be compiled before training; call lossbook.models.compile_for(model, loss) "
            "or build it with lossbook.models.build()."
        )


def _check_split(model, split):
    """Inputs and targets must fit the model; return float32 inputs and Keras-ready targets."""
    arrays = _heads.split_arrays(split, model.loss, outputs=model.output_shape[-1])
    width = model.input_shape[-1]
    if split.n_features != width:
        raise ValueError(
            f"the model takes {width} input features but the split has {split.n_features}; "
            f"build the model with n_inputs=split.n_features ({split.n_features})."
        )
    return arrays


# ---------------------------------------------------------------------------
# Fitting and scoring
# ---------------------------------------------------------------------------


def _score(model, x, y):
    """Loss and metrics of the current weights on all rows, as one batch.

    The metrics are reset first: before Keras 3.15, ``test_on_batch`` carried
    the metric state of earlier calls (and of the epoch's training steps) into
    its result, so the figures were running averages, not those of the
    current weights (keras-team/keras issue 22596).
    """
    model.reset_metrics()
    return {k: float(v) for k, v in model.test_on_batch(x, y, return_dict=True).items()}


def batch_orders(seeds, *, n: int, epochs: int) -> np.ndarray:
    """The order in which each seed's run visits the training rows, epoch by epoch.

    The run with seed ``s`` draws a fresh permutation of ``0 .. n-1`` for
    every epoch from ``numpy.random.default_rng(streams(s)["order"])``, its
    own stream (:func:`lossbook.seeds.streams`); its batches are consecutive
    slices of the batch size (the last one shorter). :func:`fit` and
    :func:`lossbook.replicas.fit` both use these orders, so a seed means the
    same run in both. The first ``k`` epochs do not depend on ``epochs``.

    Parameters
    ----------
    seeds : sequence of int
        One seed per run.
    n : int
        Number of training rows.
    epochs : int
        Number of epochs.

    Returns
    -------
    numpy.ndarray of int32, shape (R, epochs, n)

    Raises
    ------
    ValueError
        If ``seeds`` is not a non-empty sequence of non-negative integers, or
        ``n`` or ``epochs`` is not a positive integer.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import training
    >>> orders = training.batch_orders([0, 1], n=6, epochs=3)
    >>> orders.shape
    (2, 3, 6)
    >>> bool(np.all(np.sort(orders, axis=-1) == np.arange(6)))  # every row once per epoch
    True
    >>> np.array_equal(training.batch_orders([1], n=6, epochs=2)[0], orders[1, :2])
    True
    """
    values = _seeds.check_seeds(seeds)
    _check_int(n, "n", low=1, example=500)
    _check_int(epochs, "epochs", low=1, example=100)
    rows = np.broadcast_to(np.arange(n, dtype=np.int32), (epochs, n))
    return np.stack([np.random.default_rng(_seeds.streams(int(s))["order"]).permuted(rows, axis=1) for s in values])


def _batches(order, batch_size):
    """A pipeline of index batches, epoch by epoch, from an (epochs, n) array of row orders."""
    import tensorflow as tf

    epochs = tf.data.Dataset.from_tensor_slices(order)
    return epochs.flat_map(lambda row: tf.data.Dataset.from_tensor_slices(row).batch(batch_size)).repeat()


def _use_steps_per_execution(model, steps):
    """Run ``steps`` training steps per TensorFlow call; rebuild the step functions if that changes."""
    if model.steps_per_execution != steps:
        model.steps_per_execution = steps
        model.make_train_function(force=True)
        model.make_test_function(force=True)
        model.make_predict_function(force=True)


def fit(model, split, *, epochs: int, batch_size: int = 32, seed: int = 0, callbacks=None) -> History:
    """Train on the training half; score the test half after every epoch.

    Mini-batch training as Keras' ``model.fit(x_train, y_train,
    batch_size=batch_size, epochs=epochs, shuffle=True,
    validation_data=(x_test, y_test), verbose=0)`` does it, faster and with a
    new shuffle every epoch (see the module notes). Nothing is printed.

    Parameters
    ----------
    model : keras.Model
        A compiled model, e.g. from :func:`lossbook.models.build`. Training
        continues from its current weights.
    split : lossbook.data.Split
        Training and test halves; the targets must fit the model's loss
        (:func:`lossbook.models.check_labels`) and output width.
    epochs : int
        Number of passes over the training half.
    batch_size : int, default 32
        Examples per gradient step (the last batch of an epoch may be smaller).
    seed : int, default 0
        Passed to ``keras.utils.set_random_seed`` (which also reseeds Python's
        and NumPy's global generators) and to :func:`batch_orders`, which
        draws the row order of every epoch. The initial weights come from the
        seed given to :func:`lossbook.models.build`.
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks, called after the test half is scored, so they see its
        figures under Keras' names (``"val_loss"``, ``"val_accuracy"``); an
        ``EarlyStopping(monitor="val_loss")`` works as with ``validation_data``.

    Returns
    -------
    History
        One entry per epoch trained (fewer than ``epochs`` if a callback
        stopped training).

    Raises
    ------
    ValueError
        If the model is not compiled, the split's width or targets do not fit
        the model, or an argument is out of range.

    Notes
    -----
    The model's ``steps_per_execution`` is set to the number of steps in an
    epoch, so that an epoch runs as one TensorFlow call; this does not change
    any result. The training figures are Keras' running averages over the
    epoch's batches; the test figures use the weights at the end of the
    epoch, so they are not directly comparable in early epochs.
    """
    _check_model(model)
    _check_int(epochs, "epochs", low=1, example=100)
    _check_int(batch_size, "batch_size", low=1, example=32)
    _check_int(seed, "seed", low=0, example=0)
    arrays = _check_split(model, split)
    keras = _load_keras()
    import tensorflow as tf

    (x_train, y_train), (x_test, y_test) = arrays["train"], arrays["test"]
    n = x_train.shape[0]
    steps = math.ceil(n / batch_size)
    keras.utils.set_random_seed(seed)
    _use_steps_per_execution(model, steps)

    x_all, y_all = tf.constant(x_train), tf.constant(y_train)
    order = batch_orders([seed], n=n, epochs=epochs)[0]
    batches = _batches(order, batch_size).map(lambda i: (tf.gather(x_all, i), tf.gather(y_all, i)))

    train_log, test_log = [], []

    class _ScoreTestHalf(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            train_log.append({k: float(v) for k, v in logs.items()})
            scores = _score(self.model, x_test, y_test)
            test_log.append(scores)
            logs.update({f"val_{k}": v for k, v in scores.items()})

    model.fit(
        batches,
        epochs=epochs,
        steps_per_epoch=steps,
        shuffle=False,
        verbose=0,
        callbacks=[_ScoreTestHalf(), *(callbacks or [])],
    )
    keys = sorted(train_log[0], key=lambda k: (k != "loss", k))  # "loss" first
    return History(
        np.arange(1, len(train_log) + 1),
        {k: [row[k] for row in train_log] for k in keys},
        {k: [row[k] for row in test_log] for k in keys if k in test_log[0]},
    )


def evaluate(model, split) -> dict[str, dict[str, float]]:
    """Loss and metrics of the current weights on both halves.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    split : lossbook.data.Split

    Returns
    -------
    dict
        ``{"train": {"loss": ..., metric: ...}, "test": {...}}`` as Python
        floats, each half scored in one batch. The test figures equal
        ``history.final()["test"]`` right after :func:`fit`; the training
        figures differ from ``history.final()["train"]``, which averages over
        the last epoch while the weights were still moving.

    Raises
    ------
    ValueError
        As for :func:`fit`.
    """
    _check_model(model)
    arrays = _check_split(model, split)
    return {half: _score(model, *arrays[half]) for half in ("train", "test")}
