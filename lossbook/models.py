r"""Keras MLPs for the experiments, with the output head the loss needs.

Every experiment of chapters 6 to 14 trains the same kind of network: one hidden
layer of ReLU units with He-uniform initial weights, and an output layer
whose activation and width depend on the problem, trained by SGD with
learning rate 0.01 and momentum 0.9. A loss only makes sense together with
an output layer and a label format; :func:`head_for` reads them from
:data:`lossbook.registry.LOSSES`, and the table at the end of this text is
written from that registry when the module is imported (``help(models)``
shows it). The metric follows from the output layer by
:func:`lossbook.registry.decision_rule`: ``"accuracy"`` read at 0.5 from a
sigmoid, by the sign of a tanh, by the argmax of a softmax; ``"mse"`` for
regression (of the mean, for ``gaussian_nll``'s two units). The losses
Keras lacks, and those that need options (label smoothing), are compiled as
loss objects (:mod:`lossbook.keras_losses`).

:func:`build` makes and compiles such a model from the loss's name;
:func:`mlp` and :func:`compile_for` do the two halves separately, for
deliberate mismatches (mean squared error on a sigmoid output, say).
:func:`check_labels` rejects labels in the wrong format for a loss before
Keras silently misreads them.

Keras is imported only when a model is built, so ``import lossbook`` stays
fast; call ``lossbook.setup(keras=True)`` first in a notebook.
"""

from __future__ import annotations

import warnings

import numpy as np

from lossbook import _heads
from lossbook import registry as _registry
from lossbook import seeds as _seeds
from lossbook._heads import LOSS_NAMES, Head, check_labels, head_for, sign_accuracy
from lossbook._keras import load as _keras
from lossbook._validation import check_int as _check_int
from lossbook._validation import check_rate as _check_rate

__all__ = [
    "ACTIVATIONS",
    "Head",
    "LOSS_NAMES",
    "predict_class",
    "build",
    "check_labels",
    "compile_for",
    "head_for",
    "mlp",
    "output_activation",
    "sign_accuracy",
]


def _table() -> str:
    """Every loss of the registry with its output layer, targets and metric, as a plain-text table."""
    rows = [("loss", "short name", "output layer", "targets", "metric")]
    for row in _registry.LOSSES.values():
        units = "K" if row.task == "multiclass" else str(row.outputs)
        rule = _registry.decision_rule(row.task, row.activation, row.targets)
        metric = rule.metric if rule.decision == "none" else f"{rule.metric} ({rule.decision.split('-')[0]})"
        rows.append((row.name, row.short_name, f"{units} {row.activation}", row.targets, metric))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    rule_line = "  ".join("=" * w for w in widths)
    return "\n".join([rule_line, lines[0], rule_line, *lines[1:], rule_line])


if __doc__:  # None under python -OO
    __doc__ += "\nThe course's losses (from :data:`lossbook.registry.LOSSES`)\n\n" + _table() + "\n"

#: Output activations :func:`mlp` accepts.
ACTIVATIONS = ("linear", "sigmoid", "tanh", "softmax", "softplus")

# ---------------------------------------------------------------------------
# Which head goes with which loss
# ---------------------------------------------------------------------------


def output_activation(model) -> str:
    """Name of the activation of a model's last layer, e.g. ``"softmax"``."""
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "linear")


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def predict_class(model, x) -> np.ndarray:
    """The classes a compiled classifier predicts for inputs ``x``, read by the course's rule.

    ``True`` for the positive class of a binary model (a sigmoid above 0.5, a
    tanh or logit above 0), the index of the largest output of a
    multi-class model (:func:`lossbook.registry.decision_rule`).
    """
    head = head_for(model.loss)
    rule = _registry.decision_rule(head.task, output_activation(model), head.labels)
    return _registry.decide(rule, model.predict(np.asarray(x, dtype=np.float32), verbose=0))


def _default_metric(head: Head, activation: str):
    """The metric that reads a model's output correctly, named "accuracy" or "mse"."""
    name, function = _heads.metric_function(head, activation)
    return _keras().metrics.MeanMetricWrapper(function, name=name)


# ---------------------------------------------------------------------------
# Building and compiling
# ---------------------------------------------------------------------------


def mlp(n_inputs: int, *, hidden: int, outputs: int = 1, activation: str = "linear", seed: int = 0):
    """A one-hidden-layer perceptron: ReLU hidden units, He-uniform initial weights.

    ``Input(n_inputs) -> Dense(hidden, relu) -> Dense(outputs, activation)``.
    The hidden kernel starts from ``HeUniform``, the output kernel from
    ``GlorotUniform`` (Keras' default initialiser), each seeded with its own
    stream of ``seed`` (:func:`lossbook.seeds.streams`), biases at zero: the same seed gives
    the same initial weights, in any process, and different seeds or layers
    share no random numbers.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    hidden : int
        Number of hidden units (the experiments use 25 or 50).
    outputs : int, default 1
        Number of output units: 1 for regression and binary problems, K for
        K classes.
    activation : {"linear", "sigmoid", "tanh", "softmax"}, default "linear"
        Activation of the output layer.
    seed : int, default 0
        Seed of the initial weights.

    Returns
    -------
    keras.Sequential
        Not compiled; see :func:`compile_for`.

    Raises
    ------
    ValueError
        If a size is not a positive integer, the activation is unknown, or
        ``activation="softmax"`` has a single output (a softmax over one unit
        is always 1).

    Examples
    --------
    >>> import numpy as np
    >>> import lossbook
    >>> lossbook.setup(keras=True)
    >>> from lossbook import models
    >>> model = models.mlp(2, hidden=50, outputs=3, activation="softmax", seed=1)
    >>> [tuple(w.shape) for w in model.get_weights()]
    [(2, 50), (50,), (50, 3), (3,)]
    >>> again = models.mlp(2, hidden=50, outputs=3, activation="softmax", seed=1)
    >>> all(np.array_equal(a, b) for a, b in zip(model.get_weights(), again.get_weights()))
    True
    """
    _check_int(n_inputs, "n_inputs", low=1, example=20)
    _check_int(hidden, "hidden", low=1, example=25)
    _check_int(outputs, "outputs", low=1, example=1)
    _check_int(seed, "seed", low=0, example=0)
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"`activation` must be one of {', '.join(ACTIVATIONS)}; got {activation!r}. "
            "Use 'linear' for regression, 'sigmoid' or 'tanh' for binary, 'softmax' for multi-class."
        )
    if activation == "softmax" and outputs < 2:
        raise ValueError(
            "a softmax output needs at least 2 units (over a single unit it always outputs 1); "
            f"got outputs={outputs}. Use outputs=K for K classes, or one sigmoid unit for two classes."
        )
    keras = _keras()
    init = keras.initializers
    seeds = _seeds.streams(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(n_inputs,)),
            keras.layers.Dense(hidden, activation="relu", kernel_initializer=init.HeUniform(seed=seeds["hidden"]), name="hidden"),
            keras.layers.Dense(
                outputs, activation=activation, kernel_initializer=init.GlorotUniform(seed=seeds["output"]), name="output"
            ),
        ],
        name="mlp",
    )


def compile_for(model, loss, *, metrics=None, learning_rate: float = 0.01, momentum: float = 0.9):
    """Compile a model with a loss, SGD with momentum, and a metric that reads its output correctly.

    Parameters
    ----------
    model : keras.Model
        For example from :func:`mlp`.
    loss : str or keras.losses.Loss
        One of :data:`LOSS_NAMES` (or an alias), or a Keras loss object.
    metrics : list, optional
        Passed to Keras as given. By default one metric chosen from the
        model's output activation and the loss, named ``"accuracy"`` for
        classifiers and ``"mse"`` for regression: binary accuracy at 0.5 for
        sigmoid, :func:`sign_accuracy` for tanh (and for hinge losses on a
        linear output), categorical (or, with integer labels, sparse
        categorical) accuracy for softmax, binary accuracy at 0 for the
        logits of ``BinaryCrossentropy(from_logits=True)``.
    learning_rate : float, default 0.01
    momentum : float, default 0.9
        Settings of ``keras.optimizers.SGD``.

    Returns
    -------
    keras.Model
        The same model, compiled (``jit_compile=False``: XLA is not available
        once ``lossbook.setup(keras=True)`` has made the kernels deterministic).

    Raises
    ------
    ValueError
        If the loss is unknown or a setting out of range.

    Notes
    -----
    Keras' own ``metrics=["accuracy"]`` picks binary accuracy at threshold
    0.5 for a single output unit. With a tanh output and -1 / +1 labels a
    prediction is "1" when above 0.5 and "0" otherwise, and neither ever
    equals -1: only confident positive examples count as correct, and the
    figure means nothing. That is why tanh outputs get :func:`sign_accuracy`.

    Examples
    --------
    >>> import lossbook
    >>> lossbook.setup(keras=True)
    >>> from lossbook import models
    >>> model = models.compile_for(models.mlp(2, hidden=4, activation="tanh"), "hinge")
    >>> model.loss, round(float(model.optimizer.learning_rate), 4), models.output_activation(model)
    ('hinge', 0.01, 'tanh')
    """
    return _compile(model, loss, head_for(loss), metrics=metrics, learning_rate=learning_rate, momentum=momentum)


def _compile(model, loss, head, *, metrics, learning_rate, momentum):
    """:func:`compile_for` with the loss's head resolved already."""
    _check_rate(learning_rate, "learning_rate", example=0.01)
    _check_rate(momentum, "momentum", high=1, example=0.9)
    keras = _keras()
    if metrics is None:
        metrics = [_default_metric(head, output_activation(model))]
    if isinstance(loss, str):
        if head.row.keras_class is None or head.row.keras_options:  # not a name Keras knows with these settings
            from lossbook import keras_losses

            loss = keras_losses.for_row(head.row)
        else:
            loss = head.loss
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum),
        loss=loss,
        metrics=metrics,
        jit_compile=False,
    )
    return model


def build(
    loss,
    *,
    n_inputs: int,
    hidden: int,
    n_classes: int | None = None,
    seed: int = 0,
    learning_rate: float = 0.01,
    momentum: float = 0.9,
):
    """A compiled MLP whose output layer matches the loss.

    The head comes from :func:`head_for`: one linear unit for regression
    losses, one sigmoid unit for binary cross-entropy, one tanh unit for the
    hinge losses, ``n_classes`` softmax units for the multi-class losses
    (linear units for a loss object with ``from_logits=True``). The metric is
    the one :func:`compile_for` picks.

    Parameters
    ----------
    loss : str or keras.losses.Loss
        One of :data:`LOSS_NAMES` (or an alias), or a Keras loss object.
    n_inputs : int
        Number of input features, e.g. ``split.n_features``.
    hidden : int
        Number of hidden ReLU units.
    n_classes : int, optional
        Number of classes; required for multi-class losses, not allowed for
        the others.
    seed : int, default 0
        Seed of the initial weights.
    learning_rate, momentum : float
        SGD settings; the course's experiments use the defaults.

    Returns
    -------
    keras.Sequential

    Raises
    ------
    ValueError
        If the loss is unknown, ``n_classes`` is missing for a multi-class
        loss or given for another one, or an argument is out of range.

    Examples
    --------
    >>> import lossbook
    >>> lossbook.setup(keras=True)
    >>> from lossbook import models
    >>> model = models.build("sparse_categorical_crossentropy", n_inputs=2, hidden=50, n_classes=3)
    >>> model.output_shape, models.output_activation(model)
    ((None, 3), 'softmax')
    """
    head = head_for(loss)
    outputs = _heads.output_units(head, n_classes)
    model = mlp(n_inputs, hidden=hidden, outputs=outputs, activation=head.activation, seed=seed)
    return _compile(model, loss, head, metrics=None, learning_rate=learning_rate, momentum=momentum)


#: Names that moved to another module, and where they live now.
_MOVED = {
    "streams": _seeds,
    "STREAMS": _seeds,
    "metric_function": _heads,
    "output_units": _heads,
    "check_targets": _heads,
}


def __getattr__(name):
    if name in _MOVED:
        home = _MOVED[name]
        where = (
            f"is now {home.__name__}.{name}; import it from there"
            if not home.__name__.startswith("lossbook._")
            else "is lossbook's own plumbing now and leaves lossbook.models"
        )
        warnings.warn(
            f"lossbook.models.{name} {where}.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(home, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
