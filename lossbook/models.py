r"""Keras MLPs for the experiments, with the output head the loss needs.

Every experiment of chapters 6 to 14 trains the same kind of network: one hidden
layer of ReLU units with He-uniform initial weights, and an output layer
whose activation and width depend on the problem, trained by SGD with
learning rate 0.01 and momentum 0.9. A loss only makes sense together with
an output layer and a label format; :func:`head_for` holds that table:

- regression (``mean_squared_error``, ``mean_absolute_error``,
  ``mean_squared_logarithmic_error``, ``huber``, ``log_cosh``): one linear
  unit, real targets, metric ``"mse"``;
- binary cross-entropy: one sigmoid unit, labels 0 / 1, metric
  ``"accuracy"`` (probability above 0.5);
- ``hinge``, ``squared_hinge``: one tanh unit, labels -1 / +1 (0 / 1 also
  work), metric ``"accuracy"`` (signs agree, :func:`sign_accuracy`);
- ``categorical_crossentropy``, ``kl_divergence``, ``categorical_hinge``: K
  softmax units, one-hot rows, metric ``"accuracy"`` (argmax);
- ``sparse_categorical_crossentropy``: K softmax units, class indices
  0 .. K-1, metric ``"accuracy"`` (argmax);
- the losses of chapters 12 to 14: ``pinball_loss`` on one linear unit; ``poisson`` on one softplus
  unit (a rate, never negative) with counts as targets; ``gaussian_nll`` on
  two linear units (a mean and a log-variance; the metric ``"mse"`` reads the
  mean); ``weighted_binary_crossentropy`` and ``binary_focal_crossentropy``
  as binary cross-entropy; ``label_smoothed_categorical_crossentropy`` and
  ``categorical_focal_crossentropy`` as categorical cross-entropy. The
  losses Keras lacks, and those that need options (label smoothing), are
  compiled as loss objects (:mod:`lossbook.keras_losses`).

:func:`build` makes and compiles such a model from the loss's name;
:func:`mlp` and :func:`compile_for` do the two halves separately, for
deliberate mismatches (mean squared error on a sigmoid output, say).
:func:`check_labels` rejects labels in the wrong format for a loss before
Keras silently misreads them.

Keras is imported only when a model is built, so ``import lossbook`` stays
fast; call ``lossbook.setup(keras=True)`` first in a notebook.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from lossbook import data as _data
from lossbook import registry as _registry
from lossbook import seeds as _seeds
from lossbook._keras import load as _keras
from lossbook._validation import check_int as _check_int
from lossbook._validation import check_rate as _check_rate
from lossbook._validation import check_targets as _check_targets
from lossbook._validation import COUNTS_HINT as _COUNTS_HINT

__all__ = [
    "ACTIVATIONS",
    "Head",
    "LOSS_NAMES",
    "metric_function",
    "predict_class",
    "build",
    "check_labels",
    "check_targets",
    "compile_for",
    "head_for",
    "mlp",
    "output_activation",
    "output_units",
    "sign_accuracy",
]

#: Output activations :func:`mlp` accepts.
ACTIVATIONS = ("linear", "sigmoid", "tanh", "softmax", "softplus")

# ---------------------------------------------------------------------------
# Which head goes with which loss
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Head:
    """The output layer and label format that go with a loss.

    Attributes
    ----------
    loss : str
        The loss's Keras name, e.g. ``"kl_divergence"`` for ``"kld"``.
    task : {"regression", "binary", "multiclass"}
    activation : {"linear", "sigmoid", "tanh", "softmax", "softplus"}
        Activation of the output layer (``"linear"`` for a loss object built
        with ``from_logits=True``).
    labels : {"real", "binary", "signed", "one-hot", "index", "non-negative"}
        The targets the loss expects: any real numbers, 0 / 1, -1 / +1 (0 / 1
        also accepted), one-hot (or probability) rows, integer class indices,
        counts.
    from_logits : bool
        Whether the loss takes raw scores instead of probabilities.
    outputs : int
        Output units per target: 1, or 2 for a mean and a log-variance
        (``gaussian_nll``). Not shown in the repr.
    """

    loss: str
    task: str
    activation: str
    labels: str
    from_logits: bool = False
    outputs: int = dataclasses.field(default=1, repr=False)


#: Loss names :func:`head_for` knows, in the order the course meets them.
LOSS_NAMES = tuple(_registry.LOSSES)


def head_for(loss) -> Head:
    """Look up the output layer and label format that go with a loss.

    Parameters
    ----------
    loss : str or keras.losses.Loss
        A Keras loss name (``"mse"``, ``"binary_crossentropy"``, ...; see
        :data:`LOSS_NAMES`, plus the aliases ``"mse"``, ``"mae"``, ``"msle"``
        and ``"kld"``) or a loss object such as ``keras.losses.Huber(delta=0.5)``.
        A loss object made with ``from_logits=True`` gets a linear output.

    Returns
    -------
    Head

    Raises
    ------
    ValueError
        If the loss is not one of the course's losses; the message lists the
        names that are, and spells out the Keras 3 name of the KL divergence.

    Examples
    --------
    >>> from lossbook import models
    >>> models.head_for("hinge")
    Head(loss='hinge', task='binary', activation='tanh', labels='signed', from_logits=False)
    >>> models.head_for("kld").loss
    'kl_divergence'
    """
    from_logits = False
    if isinstance(loss, str):
        row = _registry.lookup(loss)
    else:
        row = _registry.by_class(type(loss).__name__)
        from_logits = bool(getattr(loss, "from_logits", False))
        if row is None:
            classes = sorted({r.keras_class for r in _registry.LOSSES.values() if r.keras_class is not None})
            raise ValueError(
                f"`loss` must be a loss name or one of Keras' loss classes {classes}; "
                f"got an object of type {type(loss).__name__}. For a custom loss, build the model "
                "with mlp() and compile it yourself."
            )
    activation = "linear" if from_logits else row.activation
    return Head(row.name, row.task, activation, row.labels, from_logits, outputs=row.outputs)


def output_activation(model) -> str:
    """Name of the activation of a model's last layer, e.g. ``"softmax"``."""
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "linear")


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def sign_accuracy(y_true, y_pred):
    r"""Per-example agreement of signs: the accuracy of a tanh (or score) output.

    An example counts as correct when the label and the prediction are on
    the same side of zero,

    .. math::

        a_i = [\, y_i > 0 \,] = [\, \hat y_i > 0 \,],

    so labels -1 / +1 and 0 / 1 both work (0 is the negative class), and a
    prediction of exactly 0 counts as negative. ``y_true`` is reshaped to the
    shape of ``y_pred`` first: with labels of shape ``(n,)`` and predictions of
    shape ``(n, 1)``, comparing them directly would broadcast to an
    ``(n, n)`` table of every label against every prediction, whose mean is
    about 0.5 whatever the model does.

    Use it as a Keras metric, ``metrics=[models.sign_accuracy]`` (history key
    ``"sign_accuracy"``), or call it on arrays.

    Parameters
    ----------
    y_true : array_like or tensor, shape (n,) or (n, 1)
        Labels, -1 / +1 or 0 / 1.
    y_pred : array_like or tensor, shape (n,) or (n, 1)
        Scores, e.g. tanh outputs.

    Returns
    -------
    tensor, shape (n,)
        1.0 where the signs agree, 0.0 elsewhere; Keras averages it.

    Examples
    --------
    >>> import numpy as np
    >>> import lossbook
    >>> lossbook.setup(keras=True)
    >>> from lossbook import models
    >>> y = np.array([-1, 1, 1, -1])
    >>> scores = np.array([[-0.3], [0.8], [-0.1], [0.2]])
    >>> np.asarray(models.sign_accuracy(y, scores))
    array([1., 1., 0., 0.], dtype=float32)
    """
    ops = _keras().ops
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    y_true = ops.reshape(y_true, (-1,) + tuple(y_pred.shape[1:]))
    agree = ops.cast(ops.equal(y_true > 0, y_pred > 0), "float32")
    return ops.mean(agree, axis=-1) if len(y_pred.shape) > 1 else agree


def metric_function(head: Head, activation: str):
    """The course's metric for a head and output activation: ``(name, per-example function)``.

    The rule is :func:`lossbook.registry.decision_rule`; the function takes
    ``(y_true, y_pred)`` tensors and returns one value per example, as Keras'
    metric functions do.
    """
    rule = _registry.decision_rule(head.task, activation, head.labels)
    km = _keras().metrics
    if rule.decision == "none" and head.outputs > 1:  # a mean and a log-variance: score the mean
        return rule.metric, lambda y, p: km.mean_squared_error(y, p[:, :1])
    if rule.decision == "threshold":
        return rule.metric, lambda y, p: km.binary_accuracy(y, p, threshold=rule.threshold)
    functions = {
        "sign": sign_accuracy,
        "argmax": km.categorical_accuracy,
        "argmax-index": km.sparse_categorical_accuracy,
        "none": km.mean_squared_error,
    }
    return rule.metric, functions[rule.decision]


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
    name, function = metric_function(head, activation)
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
            keras.layers.Dense(
                hidden, activation="relu", kernel_initializer=init.HeUniform(seed=seeds["hidden"]), name="hidden"
            ),
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
    head = head_for(loss)
    _check_rate(learning_rate, "learning_rate", example=0.01)
    _check_rate(momentum, "momentum", high=1, example=0.9)
    keras = _keras()
    if metrics is None:
        metrics = [_default_metric(head, output_activation(model))]
    if isinstance(loss, str):
        row = _registry.LOSSES[head.loss]
        if row.keras_class is None or row.keras_options:  # not a name Keras knows with these settings
            from lossbook import keras_losses

            loss = keras_losses.for_row(head.loss)
        else:
            loss = head.loss
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum),
        loss=loss,
        metrics=metrics,
        jit_compile=False,
    )
    return model


def output_units(head, n_classes=None):
    """Width of the output layer for a loss's head.

    Multi-class losses need ``n_classes`` (at least 2) output units; every
    other loss has one output unit (two for ``gaussian_nll``: a mean and a
    log-variance) and takes no ``n_classes``.

    Parameters
    ----------
    head : Head or str
        A head from :func:`head_for`, or a loss name.
    n_classes : int, optional
        Number of classes, for multi-class losses only.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If a multi-class loss gets no valid ``n_classes``, or another loss gets one.

    Examples
    --------
    >>> from lossbook import models
    >>> models.output_units("kl_divergence", n_classes=3), models.output_units("hinge")
    (3, 1)
    """
    if not isinstance(head, Head):
        head = head_for(head)
    if head.task == "multiclass":
        if n_classes is None:
            raise ValueError(
                f"{head.loss} is a multi-class loss: pass n_classes, the number of output units "
                "(e.g. n_classes=3 for three blobs)."
            )
        _check_int(n_classes, "n_classes", low=2, example=3)
        return int(n_classes)
    if n_classes is not None:
        raise ValueError(
            f"{head.loss} is a {head.task} loss with one output unit; got n_classes={n_classes!r}. "
            "Leave n_classes out, or use a multi-class loss such as 'categorical_crossentropy'."
        )
    return head.outputs


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
    outputs = output_units(head, n_classes)
    model = mlp(n_inputs, hidden=hidden, outputs=outputs, activation=head.activation, seed=seed)
    return compile_for(model, loss, learning_rate=learning_rate, momentum=momentum)


# ---------------------------------------------------------------------------
# Label formats
# ---------------------------------------------------------------------------


#: Keras-specific advice added to the label check's messages for binary cross-entropy's 0 / 1 labels.
_SIGNED_LABELS_HINT = "For -1 / +1 labels a Keras model can use loss='hinge' on a tanh output."


def check_labels(loss, y, *, n_classes: int | None = None) -> None:
    """Reject labels whose format does not fit the loss, with the fix in the message.

    Keras misreads several label formats silently or fails deep inside
    TensorFlow; this check names the problem instead. It is the label check
    the NumPy losses of :mod:`lossbook.losses` run, applied to the format
    ``labels`` of the loss's row in :data:`lossbook.registry.LOSSES`, so the
    same bad labels get the same message (the labels are called ``y_true``,
    as the loss receives them). Only the Keras model's side is added: the
    hinge loss on a tanh output for -1 / +1 labels, and one one-hot column
    per output unit.

    - regression losses: finite numbers. Negative targets pass for
      ``mean_squared_logarithmic_error`` too, because Keras accepts them: it
      clips them (and negative predictions) to about 1e-7 before taking
      ``log1p``, so on a standardised target about half the targets count as 0.
    - ``binary_crossentropy``: values in [0, 1] (soft labels allowed);
      -1 / +1 labels are rejected.
    - ``hinge``, ``squared_hinge``: -1 / +1, or 0 / 1, which Keras converts
      to -1 / +1 itself (when every label of a batch is 0 or 1). Both are
      accepted; a mix such as {-1, 0, 1} is not.
    - ``categorical_crossentropy``, ``kl_divergence``, ``categorical_hinge``:
      rows of shape ``(n, K)`` with entries in [0, 1] that sum to 1 (one-hot,
      or probabilities, which Keras accepts for all three; only the NumPy
      :func:`lossbook.losses.categorical_hinge` insists on one-hot). Integer
      labels are rejected.
    - ``sparse_categorical_crossentropy``: whole numbers 0 .. K-1, shape
      ``(n,)`` or ``(n, 1)``. One-hot rows are rejected.
    - the losses of chapters 12 to 14: ``poisson`` needs counts (>= 0); the other losses take the
      labels of the loss they extend (real targets for ``pinball_loss`` and
      ``gaussian_nll``, 0 / 1 for the weighted and focal binary
      cross-entropies, rows for the label-smoothed and the categorical
      focal ones).

    Parameters
    ----------
    loss : str or keras.losses.Loss
        As for :func:`head_for`.
    y : array_like
        The labels.
    n_classes : int, optional
        Number of output units of a multi-class model; when given, the width
        of one-hot rows and the range of class indices are checked against it.

    Raises
    ------
    ValueError
        If the labels do not fit the loss, or the loss is unknown.

    Examples
    --------
    >>> from lossbook import models
    >>> models.check_labels("hinge", [0, 1, 1])  # Keras converts 0 / 1 itself
    >>> models.check_labels("categorical_crossentropy", [0, 2, 1])
    Traceback (most recent call last):
    ...
    ValueError: categorical_crossentropy expects one-hot rows of shape (n, K), or rows of probabilities; got integer class labels of shape (3,). Convert class indices with lossbook.data.one_hot(labels, K) or np.eye(K)[labels], or pass them as they are to sparse_categorical_crossentropy.
    """
    head = head_for(loss)
    hint = {"binary": _SIGNED_LABELS_HINT, "non-negative": _COUNTS_HINT}.get(head.labels)
    labels = _check_targets(head.labels, y, caller=head.loss, n_classes=n_classes, name="y_true", fix=hint)
    if head.labels == "one-hot" and n_classes is not None and labels.shape[1] != n_classes:
        raise ValueError(
            f"{head.loss}: the labels have {labels.shape[1]} columns but the model has {n_classes} outputs; "
            "use one column per class in both."
        )


def check_targets(loss, y, *, outputs, name="y", holder="model"):
    """Check targets against a loss's label format and the width of the output layer.

    Parameters
    ----------
    loss : str or keras.losses.Loss
        The loss; for a custom loss that :func:`head_for` does not know only the
        width is checked.
    y : numpy.ndarray
        The targets.
    outputs : int
        Number of output units.
    name : str, default "y"
        How the targets are named in the error message, e.g. ``"y_train"``.
    holder : str, default "model"
        What has the output units, in the error message.

    Raises
    ------
    ValueError
        If the labels are in the wrong format for the loss, or the targets have
        a different number of columns than the output layer has units.
    """
    try:
        head = head_for(loss)
    except ValueError:  # a custom loss: Keras decides what fits
        head = None
    if head is not None:
        n_classes = outputs if head.task == "multiclass" else None
        try:
            check_labels(loss, y, n_classes=n_classes)
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
    if head is None or head.labels != "index":
        width = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
        if head is not None and head.outputs > 1 and width * head.outputs != outputs:
            raise ValueError(
                f"{head.loss} takes one target per example, shape (n,) or (n, 1), for {head.outputs} output units "
                f"per target; got {name} of shape {y.shape} for a {holder} with {outputs} output unit(s)."
            )
        if width * (1 if head is None else head.outputs) != outputs:
            raise ValueError(
                f"the {holder} has {outputs} output unit(s) but {name} has shape {y.shape}; "
                f"give one target column per output unit (shape (n,) or (n, 1) for one unit, "
                f"(n, {outputs}) for {outputs})."
            )


def split_arrays(split, loss, *, outputs: int, holder: str = "model") -> dict:
    """Check a split against a loss; return ``{"train": (x, y), "test": (x, y)}``.

    The inputs must be finite numbers and the targets in the loss's format
    (:func:`check_targets`, whose messages name the ``holder``). Inputs come
    back as float32, and so do targets that are floats or booleans; integer
    class labels keep their type. :func:`lossbook.training.fit` and
    :func:`lossbook.replicas.fit` train on these arrays.

    Raises
    ------
    ValueError
        If ``split`` is not a :class:`lossbook.data.Split`, an input is not a
        finite number, or the targets do not fit the loss.
    """
    if not isinstance(split, _data.Split):
        raise ValueError(
            f"`split` must be a lossbook.data.Split; got {type(split).__name__}. "
            "Use data.regression(), data.circles(), data.blobs() or data.Split(x_train, y_train, x_test, y_test)."
        )
    arrays = {}
    for half in ("train", "test"):
        x = getattr(split, f"x_{half}")
        y = getattr(split, f"y_{half}")
        if x.dtype.kind not in "biuf" or not np.all(np.isfinite(x)):
            raise ValueError(
                f"`x_{half}` must hold finite numbers; got dtype {x.dtype}"
                f"{'' if x.dtype.kind not in 'biuf' else ' with NaN or infinity'}. Clean the inputs first."
            )
        check_targets(loss, y, outputs=outputs, name=f"y_{half}", holder=holder)
        if y.dtype.kind in "fb":
            y = y.astype(np.float32)
        arrays[half] = (np.asarray(x, dtype=np.float32), y)
    return arrays


#: Names that moved to another module, and where they live now.
_MOVED = {"streams": _seeds, "STREAMS": _seeds}


def __getattr__(name):
    if name in _MOVED:
        home = _MOVED[name]
        warnings.warn(
            f"lossbook.models.{name} is now {home.__name__}.{name}; import it from there.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(home, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
