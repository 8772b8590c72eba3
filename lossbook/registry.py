"""The course's losses in one table, and the rule that reads each output.

Everything lossbook knows about a loss, apart from its formula, is one row
of :data:`LOSSES`: its Keras name and class, a short name for tables, the
problem it serves, the output activation and label format its Keras model
uses, and the values its NumPy version (:mod:`lossbook.losses`) accepts.
:mod:`lossbook.models`, :mod:`lossbook.replicas` and :mod:`lossbook.losses`
all read this table, so adding a loss is one row here plus its NumPy
function and gradient in :mod:`lossbook.losses` (and, for a loss Keras does
not have, a small Keras class in :mod:`lossbook.keras_losses`).

:func:`decision_rule` says how a model's output becomes the course's metric:
a threshold, a sign, an argmax, or the squared error. The Keras metric of
:func:`lossbook.models.compile_for` and the per-replica metric of
:func:`lossbook.replicas.fit` are both built from it.

Nothing here imports Keras.

Examples
--------
>>> from lossbook import registry
>>> registry.lookup("kld").name
'kl_divergence'
>>> registry.LOSSES["hinge"].activation, registry.LOSSES["hinge"].targets
('tanh', 'signed')
>>> registry.decision_rule("binary", "sigmoid", "binary")
Rule(metric='accuracy', decision='threshold', threshold=0.5)
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

__all__ = [
    "Loss",
    "LOSSES",
    "lookup",
    "by_class",
    "Rule",
    "decision_rule",
    "decide",
    "score_logits",
    "Experiment",
    "EXPERIMENTS",
    "TASKS",
    "TARGET_FORMATS",
    "LABEL_FORMATS",
    "Claim",
    "CLAIMS",
    "MARGINS",
]

#: The three kinds of problem the course trains.
TASKS = ("regression", "binary", "multiclass")
#: The course's one vocabulary of target formats: any real number, counts (>= 0), 0 / 1, -1 / +1, one-hot
#: rows, rows of probabilities, class indices. ``lossbook._validation.check_targets`` knows each of them.
TARGET_FORMATS = ("real", "non-negative", "binary", "signed", "one-hot", "distribution", "index")
#: The formats a Keras model of the course trains on (a Loss's ``targets``): all of :data:`TARGET_FORMATS`
#: but rows of probabilities.
LABEL_FORMATS = ("real", "binary", "signed", "one-hot", "index", "non-negative")


def _renamed(old: str, new: str) -> property:
    """A field's old name: it answers with the new field's value and a DeprecationWarning."""

    def read(self):
        warnings.warn(f"registry.Loss.{old} is now Loss.{new}.", DeprecationWarning, stacklevel=2)
        return getattr(self, new)

    read.__doc__ = f"The old name of :attr:`{new}`."
    return property(read)


@dataclasses.dataclass(frozen=True)
class Loss:
    """One loss of the course.

    Attributes
    ----------
    name : str
        Keras' function name, also the name of the NumPy version in
        :mod:`lossbook.losses` and the string ``model.compile(loss=...)`` takes;
        for a row with ``keras_options`` or a ``lossbook_class``, lossbook's own
        name, and the model is compiled with the loss object instead.
    short_name : str
        Short name for tables and figures, e.g. ``"MSE"``. Called ``label``
        before (beside ``targets``, the labels a model trains on); that name
        still answers, with a warning.
    keras_class : str or None
        Name of the class in ``keras.losses``, e.g. ``"MeanSquaredError"``;
        ``None`` for a loss Keras does not have (see ``lossbook_class``).
    task : {"regression", "binary", "multiclass"}
    activation : {"linear", "sigmoid", "tanh", "softmax", "softplus"}
        Activation of the output layer of the course's model for this loss.
    targets : {"real", "binary", "signed", "one-hot", "index", "non-negative"}
        The targets the Keras model is trained on (:data:`LABEL_FORMATS`).
        Called ``labels`` before, which still answers, with a warning.
    y_true : str
        The targets the NumPy version (``lossbook.losses.function(name)``)
        accepts, one of :data:`TARGET_FORMATS`: ``"real"`` (any number),
        ``"non-negative"``, ``"binary"`` (0/1, soft labels in [0, 1]
        allowed), ``"signed"`` (-1/1, or 0/1 converted to -1/1),
        ``"one-hot"`` (rows; for cross-entropy also probability rows),
        ``"distribution"`` (rows summing to 1) or ``"index"`` (integer
        classes 0..K-1).
    y_pred : str
        What its ``y_pred`` holds by default: ``"real"``, ``"non-negative"``,
        ``"probability"`` (of class 1), ``"score"`` (any real number, e.g.
        tanh outputs), ``"distribution"`` (rows summing to 1) or
        ``"mean-log-variance"`` (rows of a mean and a log-variance).
    accepts_logits : bool
        Whether the NumPy version accepts ``from_logits=True``. Called
        ``from_logits`` before (which a :class:`lossbook.models.Head` uses for
        a loss object built with ``from_logits=True``); that name still
        answers, with a warning.
    aliases : tuple of str
        Other names Keras accepts for the loss, e.g. ``("mse",)``.
    keras_options : tuple of (str, value) pairs
        Keyword arguments that make the Keras class this loss, e.g.
        ``(("label_smoothing", 0.1),)``; they are also the defaults of the
        NumPy version.
    lossbook_class : str or None
        For a loss Keras does not have: the name of lossbook's Keras
        implementation in :mod:`lossbook.keras_losses`, e.g. ``"PinballLoss"``.
    outputs : int
        Output units of the model per target (2 for a mean and a log-variance).
    """

    name: str
    short_name: str
    keras_class: str | None
    task: str
    activation: str
    targets: str
    y_true: str
    y_pred: str
    accepts_logits: bool = False
    aliases: tuple[str, ...] = ()
    keras_options: tuple[tuple[str, object], ...] = ()
    lossbook_class: str | None = None
    outputs: int = 1

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"Loss {self.name!r}: `task` must be one of {TASKS}; got {self.task!r}.")
        if self.targets not in LABEL_FORMATS:
            raise ValueError(f"Loss {self.name!r}: `targets` must be one of {LABEL_FORMATS}; got {self.targets!r}.")
        if self.y_true not in TARGET_FORMATS:
            raise ValueError(f"Loss {self.name!r}: `y_true` must be one of {TARGET_FORMATS}; got {self.y_true!r}.")
        if (self.keras_class is None) == (self.lossbook_class is None):
            raise ValueError(
                f"Loss {self.name!r}: give exactly one of `keras_class` (a class of keras.losses) and "
                "`lossbook_class` (lossbook's own Keras class, for a loss Keras does not have)."
            )

    label = _renamed("label", "short_name")
    labels = _renamed("labels", "targets")
    from_logits = _renamed("from_logits", "accepts_logits")

    @property
    def class_name(self) -> str:
        """The name of the Keras loss class that trains this loss: Keras' own, or lossbook's."""
        return self.keras_class if self.keras_class is not None else self.lossbook_class


_ROWS = (
    Loss("mean_squared_error", "MSE", "MeanSquaredError", "regression", "linear", "real", "real", "real", aliases=("mse",)),
    Loss("mean_absolute_error", "MAE", "MeanAbsoluteError", "regression", "linear", "real", "real", "real", aliases=("mae",)),
    Loss(
        "mean_squared_logarithmic_error",
        "MSLE",
        "MeanSquaredLogarithmicError",
        "regression",
        "linear",
        "real",
        "non-negative",
        "non-negative",
        aliases=("msle",),
    ),
    Loss("huber", "Huber", "Huber", "regression", "linear", "real", "real", "real"),
    Loss("log_cosh", "log-cosh", "LogCosh", "regression", "linear", "real", "real", "real"),
    Loss(
        "binary_crossentropy",
        "BCE",
        "BinaryCrossentropy",
        "binary",
        "sigmoid",
        "binary",
        "binary",
        "probability",
        accepts_logits=True,
    ),
    Loss("hinge", "hinge", "Hinge", "binary", "tanh", "signed", "signed", "score"),
    Loss("squared_hinge", "squared hinge", "SquaredHinge", "binary", "tanh", "signed", "signed", "score"),
    Loss(
        "categorical_crossentropy",
        "CCE",
        "CategoricalCrossentropy",
        "multiclass",
        "softmax",
        "one-hot",
        "one-hot",
        "distribution",
        accepts_logits=True,
    ),
    Loss(
        "kl_divergence",
        "KL",
        "KLDivergence",
        "multiclass",
        "softmax",
        "one-hot",
        "distribution",
        "distribution",
        aliases=("kld",),
    ),
    Loss("categorical_hinge", "categorical hinge", "CategoricalHinge", "multiclass", "softmax", "one-hot", "one-hot", "score"),
    Loss(
        "sparse_categorical_crossentropy",
        "sparse CCE",
        "SparseCategoricalCrossentropy",
        "multiclass",
        "softmax",
        "index",
        "index",
        "distribution",
        accepts_logits=True,
    ),
    # Chapters 12 to 14
    Loss("pinball_loss", "pinball", None, "regression", "linear", "real", "real", "real", lossbook_class="PinballLoss"),
    Loss("poisson", "Poisson", "Poisson", "regression", "softplus", "non-negative", "non-negative", "non-negative"),
    Loss(
        "gaussian_nll",
        "Gaussian NLL",
        None,
        "regression",
        "linear",
        "real",
        "real",
        "mean-log-variance",
        lossbook_class="GaussianNLL",
        outputs=2,
    ),
    Loss(
        "weighted_binary_crossentropy",
        "weighted BCE",
        None,
        "binary",
        "sigmoid",
        "binary",
        "binary",
        "probability",
        accepts_logits=True,
        lossbook_class="WeightedBinaryCrossentropy",
    ),
    Loss(
        "binary_focal_crossentropy",
        "focal",
        "BinaryFocalCrossentropy",
        "binary",
        "sigmoid",
        "binary",
        "binary",
        "probability",
        accepts_logits=True,
    ),
    Loss(
        "label_smoothed_categorical_crossentropy",
        "smoothed CCE",
        "CategoricalCrossentropy",
        "multiclass",
        "softmax",
        "one-hot",
        "one-hot",
        "distribution",
        accepts_logits=True,
        keras_options=(("label_smoothing", 0.1),),
    ),
    Loss(
        "categorical_focal_crossentropy",
        "categorical focal",
        "CategoricalFocalCrossentropy",
        "multiclass",
        "softmax",
        "one-hot",
        "one-hot",
        "distribution",
        accepts_logits=True,
    ),
    # Chapter 15: wrong labels
    Loss(
        "generalized_cross_entropy",
        "GCE",
        "CategoricalGeneralizedCrossEntropy",
        "multiclass",
        "softmax",
        "index",
        "index",
        "distribution",
        accepts_logits=True,
        keras_options=(("q", 0.5),),
    ),
    Loss(
        "symmetric_cross_entropy",
        "SCE",
        None,
        "multiclass",
        "softmax",
        "index",
        "index",
        "distribution",
        accepts_logits=True,
        lossbook_class="SymmetricCrossentropy",
    ),
    Loss(
        "classification_mae",
        "classification MAE",
        None,
        "multiclass",
        "softmax",
        "index",
        "index",
        "distribution",
        accepts_logits=True,
        lossbook_class="ClassificationMAE",
    ),
)

#: Every loss of the course by Keras name, in the order the course meets them.
LOSSES: dict[str, Loss] = {row.name: row for row in _ROWS}


def lookup(name: str) -> Loss:
    """The row of a loss, by Keras name or alias.

    Raises
    ------
    ValueError
        If the name is none of the course's losses; the message lists those
        that are, and gives the Keras 3 name of the KL divergence.
    """
    for row in LOSSES.values():
        if name == row.name or name in row.aliases:
            return row
    hint = " Keras 3 calls it 'kl_divergence' (alias 'kld')." if "kullback" in name.lower() else ""
    aliases = [alias for row in LOSSES.values() for alias in row.aliases]
    raise ValueError(f"unknown loss {name!r}; expected one of {', '.join(LOSSES)} (or the aliases {', '.join(aliases)}).{hint}")


def by_class(class_name: str) -> Loss | None:
    """The first row whose Keras class (Keras' own or lossbook's) has this name, or ``None``."""
    return next((row for row in LOSSES.values() if row.class_name == class_name), None)


@dataclasses.dataclass(frozen=True)
class Rule:
    """How the course scores a model's output.

    Attributes
    ----------
    metric : {"accuracy", "mse"}
        The name of the metric in every history.
    decision : {"threshold", "sign", "argmax", "argmax-index", "none"}
        How an output becomes a class: above ``threshold``; its sign (0
        counts as negative); the largest output compared with one-hot labels
        or with class indices; or no class at all (regression: squared error).
    threshold : float or None
        The threshold of ``"threshold"``: 0.5 for a probability, 0 for a logit.
    """

    metric: str
    decision: str
    threshold: float | None = None


def decision_rule(task: str, activation: str, labels: str) -> Rule:
    """The rule that reads an output of ``activation`` for a loss of ``task`` and ``labels``.

    A sigmoid gives probabilities, read at 0.5; a tanh output or a score
    trained on -1 / +1 labels is read by its sign; softmax outputs, and the
    logits of a multi-class loss, by their argmax; the logit of binary
    cross-entropy at 0. Regression outputs are scored by their squared error.

    Examples
    --------
    >>> decision_rule("binary", "linear", "binary")
    Rule(metric='accuracy', decision='threshold', threshold=0.0)
    >>> decision_rule("multiclass", "softmax", "index").decision
    'argmax-index'
    """
    if activation == "sigmoid":
        return Rule("accuracy", "threshold", 0.5)
    if activation == "tanh" or (activation == "linear" and labels == "signed"):
        return Rule("accuracy", "sign")
    if activation == "softmax" or (activation == "linear" and task == "multiclass"):
        return Rule("accuracy", "argmax-index" if labels == "index" else "argmax")
    if activation == "linear" and task == "binary":  # the logit of binary cross-entropy
        return Rule("accuracy", "threshold", 0.0)
    return Rule("mse", "none")


def decide(rule: Rule, outputs) -> np.ndarray:
    """The classes a rule reads from outputs of shape ``(..., k)``.

    ``True`` / ``False`` (the positive class or not) for a threshold or a
    sign, the index of the largest output for an argmax.

    Raises
    ------
    ValueError
        For the regression rule, whose outputs have no class.

    Examples
    --------
    >>> decide(Rule("accuracy", "threshold", 0.5), [[0.2], [0.7]])
    array([False,  True])
    >>> decide(Rule("accuracy", "argmax"), [[0.1, 2.0, -1.0]])
    array([1])
    """
    out = np.asarray(outputs)
    if rule.decision == "threshold":
        return out[..., 0] > rule.threshold
    if rule.decision == "sign":
        return out[..., 0] > 0
    if rule.decision in ("argmax", "argmax-index"):
        return out.argmax(axis=-1)
    raise ValueError("regression outputs have no class; score them by their squared error instead.")


def score_logits(task: str, labels: str, logits, y) -> np.ndarray:
    """The course's metric of pre-activation outputs against targets, averaged over the examples.

    Parameters
    ----------
    task, labels : str
        As in :class:`Loss`.
    logits : array_like, shape (..., n, k)
        The output layer's input ``z`` (for regression, the prediction).
    y : array_like, shape (n,) or (n, k)
        Targets in the format ``labels``.

    Returns
    -------
    numpy.ndarray, shape (...)
        The mean squared error (regression) or the accuracy: the sign of a
        logit for 0 / 1 and -1 / +1 labels, the argmax for classes.
    """
    z, y = np.asarray(logits), np.asarray(y)
    if task == "regression":
        return np.mean((z[..., 0] - y) ** 2, axis=-1)
    predicted = decide(decision_rule(task, "linear", labels), z)
    if labels in ("binary", "signed"):
        truth = y > 0
    else:
        truth = y if y.ndim == 1 else y.argmax(axis=1)
    return np.mean(predicted == truth, axis=-1)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One of the course's three canonical experiments (the settings of the source tutorials).

    Attributes
    ----------
    task : {"regression", "binary", "multiclass"}
    dataset : str
        The function of :mod:`lossbook.data` that makes its split.
    hidden : int
        Hidden ReLU units of the network.
    epochs : int
        Epochs of SGD (learning rate 0.01, momentum 0.9, batches of 32).
    n_classes : int or None
        Output units of a multi-class network; ``None`` for one output.
    """

    task: str
    dataset: str
    hidden: int
    epochs: int
    n_classes: int | None = None

    @property
    def settings(self) -> dict:
        """``hidden``, ``epochs`` and ``n_classes``, as keyword arguments of :func:`lossbook.replicas.fit`."""
        return {"hidden": self.hidden, "epochs": self.epochs, "n_classes": self.n_classes}


#: The canonical experiment of each task.
EXPERIMENTS: dict[str, Experiment] = {
    "regression": Experiment("regression", "regression", hidden=25, epochs=100),
    "binary": Experiment("binary", "circles", hidden=50, epochs=200),
    "multiclass": Experiment("multiclass", "blobs", hidden=50, epochs=100, n_classes=3),
}


@dataclasses.dataclass(frozen=True)
class Claim:
    """A published statement about two losses, to be judged over seeds (chapter 11).

    Attributes
    ----------
    a, b : str
        Short names of two losses of the same task (:attr:`Loss.short_name`).
    kind : {"better", "equal"}
        "``a`` does better than ``b``" or "they do equally well".
    source : str
        Where the claim comes from.
    """

    a: str
    b: str
    kind: str
    source: str

    @property
    def name(self) -> str:
        """``"A > B"`` or ``"A = B"``."""
        return f"{self.a} {'>' if self.kind == 'better' else '='} {self.b}"


#: The claims chapters 11 and 11b judge. They were written down before chapter 11's tests, but chapter 10
#: had already looked at the same seeds; only chapter 11b's runs on fresh data are confirmatory.
CLAIMS = (
    Claim("MSE", "MAE", "better", "published table"),
    Claim("MSE", "MSLE", "better", "published table"),
    Claim("MAE", "MSLE", "better", "published table"),
    Claim("MSE", "Huber", "better", "chapter 6"),
    Claim("MSE", "log-cosh", "better", "chapter 6"),
    Claim("BCE", "hinge", "better", "published table"),
    Claim("hinge", "squared hinge", "better", "published table"),
    Claim("BCE", "squared hinge", "better", "published table"),
    Claim("CCE", "KL", "equal", "published table"),
)

#: Equivalence margins of each task, on the scale of :func:`lossbook.stats.advantage`: the smallest
#: difference a practitioner would act on by changing loss and retuning, half a point of accuracy (0.005)
#: and a 10 % change in the test MSE (0.1 in log ratio). Chapter 11b shows how its verdicts move at half
#: and twice these margins.
MARGINS = {"regression": 0.1, "binary": 0.005, "multiclass": 0.005}
