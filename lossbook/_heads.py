"""Which output layer and label format go with a loss, and the checks that follow from it.

The plumbing that :mod:`lossbook.models`, :mod:`lossbook.training` and
:mod:`lossbook.replicas` share: :func:`head_for` reads a loss's row of
:data:`lossbook.registry.LOSSES` (or a Keras loss object's class) as a
:class:`Head`; :func:`output_units` and :func:`metric_function` give the width
and the metric of the output layer; :func:`check_labels`,
:func:`check_targets` and :func:`split_arrays` check targets against the
loss. The names learners call (:class:`Head`, :func:`head_for`,
:func:`check_labels`, :func:`sign_accuracy`, :data:`LOSS_NAMES`) are
:mod:`lossbook.models`'.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lossbook import data as _data
from lossbook import registry as _registry
from lossbook._keras import load as _keras
from lossbook._validation import COUNTS_HINT as _COUNTS_HINT
from lossbook._validation import check_int as _check_int
from lossbook._validation import check_targets as _check_targets

__all__ = [
    "Head",
    "LOSS_NAMES",
    "head_for",
    "sign_accuracy",
    "metric_function",
    "output_units",
    "check_labels",
    "check_targets",
    "split_arrays",
]


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
    row : lossbook.registry.Loss or None
        The loss's row of :data:`lossbook.registry.LOSSES`, as :func:`head_for`
        found it, so that what follows reads it instead of looking the name up
        again. Not shown in the repr, not compared.
    """

    loss: str
    task: str
    activation: str
    labels: str
    from_logits: bool = False
    outputs: int = dataclasses.field(default=1, repr=False)
    row: _registry.Loss | None = dataclasses.field(default=None, repr=False, compare=False)


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
        A loss object made with ``from_logits=True`` gets a linear output. A
        :class:`Head` comes back as it is: a loss is resolved once per call
        of :func:`lossbook.models.build`, :func:`lossbook.training.fit` or
        :func:`lossbook.replicas.fit`, and the head is passed on.

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
    if isinstance(loss, Head):  # resolved already
        return loss
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
    return Head(row.name, row.task, activation, row.targets, from_logits, outputs=row.outputs, row=row)


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
    >>> from lossbook import _heads
    >>> _heads.output_units("kl_divergence", n_classes=3), _heads.output_units("hinge")
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


#: Keras-specific advice added to the label check's messages for binary cross-entropy's 0 / 1 labels.
_SIGNED_LABELS_HINT = "For -1 / +1 labels a Keras model can use loss='hinge' on a tanh output."


def check_labels(loss, y, *, n_classes: int | None = None) -> None:
    """Reject labels whose format does not fit the loss, with the fix in the message.

    Keras misreads several label formats silently or fails deep inside
    TensorFlow; this check names the problem instead. It is the label check
    the NumPy losses of :mod:`lossbook.losses` run, applied to the format
    ``targets`` of the loss's row in :data:`lossbook.registry.LOSSES`, so the
    same bad labels get the same message (the labels are called ``y_true``,
    as the loss receives them). Only the Keras model's side is added: the
    hinge loss on a tanh output for -1 / +1 labels, and one one-hot column
    per output unit.

    The format of each loss is the ``targets`` of its row in
    :data:`lossbook.registry.LOSSES` (the table at the end of
    ``help(lossbook.models)``):

    - ``"real"``: finite numbers. Negative targets pass for
      ``mean_squared_logarithmic_error`` too, because Keras accepts them: it
      clips them (and negative predictions) to about 1e-7 before taking
      ``log1p``, so on a standardised target about half the targets count as 0.
    - ``"non-negative"``: counts (>= 0), as ``poisson`` needs.
    - ``"binary"``: values in [0, 1] (soft labels allowed); -1 / +1 labels
      are rejected.
    - ``"signed"`` (the hinge losses): -1 / +1, or 0 / 1, which Keras
      converts to -1 / +1 itself (when every label of a batch is 0 or 1).
      Both are accepted; a mix such as {-1, 0, 1} is not.
    - ``"one-hot"``: rows of shape ``(n, K)`` with entries in [0, 1] that sum
      to 1 (one-hot, or probabilities, which Keras accepts; only the NumPy
      :func:`lossbook.losses.categorical_hinge` insists on one-hot). Integer
      labels are rejected.
    - ``"index"``: whole numbers 0 .. K-1, shape ``(n,)`` or ``(n, 1)``.
      One-hot rows are rejected, and so is shape ``(n, 1)`` for
      ``generalized_cross_entropy``, whose Keras class misreads it (Keras 3.15).

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
    if labels.ndim == 2 and head.row is not None and head.row.keras_class == "CategoricalGeneralizedCrossEntropy":
        raise ValueError(
            f"{head.loss}: Keras' CategoricalGeneralizedCrossEntropy misreads class indices of shape (n, 1) "
            f"(it compares every label with every row and returns a wrong loss, with no error); got shape {labels.shape}. "
            "Pass them flat, shape (n,): y.ravel()."
        )
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
            check_labels(head, y, n_classes=n_classes)
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
