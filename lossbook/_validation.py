"""Input checks shared by lossbook's modules: the losses, the data helpers, the models, training and plotting.

Each function checks one thing. When the check fails it raises
:class:`ValueError` with a message in three parts: what was expected, what
arrived, and the most likely fix. :func:`check_targets` is the one check of
targets (labels) in every format the course uses; the NumPy losses, the
Keras models, the data helpers and the plots all call it, so the same bad
labels get the same words everywhere. The checks never modify their input;
only :func:`as_float_array` returns a new array.

The functions are private to lossbook (the module name starts with an
underscore), but their messages are part of what learners see, so the tests
match on them.
"""

from __future__ import annotations

import math

import numbers

import numpy as np

from lossbook.registry import TARGET_FORMATS

__all__ = [
    "COUNTS_HINT",
    "REDUCTIONS",
    "ROW_SUM_ATOL",
    "TARGET_KINDS",
    "as_float_array",
    "as_number_array",
    "check_bool",
    "check_class_rows",
    "check_finite",
    "check_in_range",
    "check_label_set",
    "check_min_columns",
    "check_ndim",
    "check_nonempty",
    "check_positive",
    "check_reduction",
    "check_rows_sum_to_one",
    "check_same_length",
    "check_same_shape",
    "check_targets",
    "is_int",
    "check_scalar",
    "check_int",
    "check_rate",
]

#: The reductions every loss accepts.
REDUCTIONS = ("mean", "sum", "none")

#: How far a row of probabilities may sum away from 1. Wide enough for
#: float32 softmax outputs of a Keras model, narrow enough to catch rows that
#: are not distributions at all (logits, unnormalised scores, typos).
ROW_SUM_ATOL = 1e-5

#: The target formats :func:`check_targets` knows: :data:`lossbook.registry.TARGET_FORMATS`, the ``targets``
#: and ``y_true`` values of :data:`lossbook.registry.LOSSES`.
TARGET_KINDS = TARGET_FORMATS


def _at(name, index):
    """Format an array position as it would be written in Python: ``y[1, 2]``."""
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


def _first(mask):
    """Position of the first True entry of a boolean array."""
    return tuple(np.argwhere(mask)[0])


def _first_value(x, name, mask, spec=".6g"):
    """The first entry of ``x`` where ``mask`` holds, as ``y[2] = 3``."""
    where = _first(mask)
    return f"{_at(name, where)} = {x[where]:{spec}}"


def _message(*parts):
    """The non-empty parts of a message, joined by single spaces."""
    return " ".join(part for part in parts if part)


def as_number_array(x, name):
    """Return ``x`` as a NumPy array (not copied, not converted); reject anything that is not numbers.

    Lists, tuples, Python and NumPy scalars, booleans, integers and floats of
    any precision are accepted; text, objects and ragged lists are not.
    """
    try:
        raw = np.asarray(x)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"`{name}` could not be read as an array of numbers ({err}). "
            "Pass a list or NumPy array of numbers whose rows all have the same length."
        ) from None
    if raw.dtype.kind not in "biuf":
        raise ValueError(
            f"`{name}` must hold real numbers; got an array of dtype {raw.dtype}. "
            f"Convert it first, e.g. np.asarray({name}, dtype=float)."
        )
    return raw


def as_float_array(x, name):
    """Return ``x`` as a new float64 array; reject anything that is not numbers.

    Accepts what :func:`as_number_array` accepts. Computing in float64 keeps
    float32 inputs from losing digits in the loss.
    """
    return as_number_array(x, name).astype(np.float64)


def check_reduction(reduction):
    """``reduction`` must be one of :data:`REDUCTIONS`."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(
            f"`reduction` must be one of 'mean', 'sum' or 'none'; got {reduction!r}. "
            "Keras' 'sum_over_batch_size' is 'mean' here and its reduction=None is 'none'."
        )


def check_bool(value, name):
    """A flag such as ``from_logits`` must be ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be True or False; got {value!r}. Write {name}=True or {name}=False.")


def check_positive(value, name):
    """A parameter such as Huber's ``delta`` must be a positive, finite number."""
    check_scalar(value, name, kind="number", low=0, low_open=True, example=1.0)


def check_nonempty(x, name):
    """At least one value: a loss over no examples has no value."""
    if x.size == 0:
        raise ValueError(
            f"`{name}` is empty (shape {x.shape}); expected at least one example. "
            "Check the slicing or filtering that produced it."
        )


def check_finite(x, name):
    """No NaN and no infinity anywhere."""
    bad = ~np.isfinite(x)
    if bad.any():
        n_nan = int(np.isnan(x).sum())
        n_inf = int(bad.sum()) - n_nan
        raise ValueError(
            f"`{name}` must be finite; got {n_nan} NaN and {n_inf} infinite value(s), "
            f"the first at {_at(name, _first(bad))}. "
            "Remove or impute those examples; if a model produced them, its training diverged."
        )


def check_class_rows(values, name, *, fix, caller=None):
    """Rows of class scores or probabilities: finite, shape (n, K) with K >= 2; returned as a float array."""
    x = as_float_array(values, name)
    check_nonempty(x, name)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(
            f"{f'{caller}: ' if caller else ''}`{name}` must have shape (n, K), one row per example and one column per "
            f"class (K >= 2); got shape {x.shape}. {fix}"
        )
    check_finite(x, name)
    return x


def check_ndim(x, name, allowed, *, fix, columns="k"):
    """The number of dimensions must be one of ``allowed``.

    ``columns`` names the second axis in the message: ``"k"`` outputs per
    example, or ``"K"`` classes.
    """
    if x.ndim not in allowed:
        shapes = {0: "()", 1: "(n,)", 2: f"(n, {columns})"}
        expected = " or ".join(shapes.get(d, f"{d}-D") for d in allowed)
        raise ValueError(f"`{name}` must have shape {expected}; got shape {x.shape}. {fix}")


def check_min_columns(x, name, minimum, *, fix):
    """A 2-D array must have at least ``minimum`` columns (classes)."""
    if x.shape[-1] < minimum:
        raise ValueError(f"`{name}` must have at least {minimum} columns, one per class; got shape {x.shape}. {fix}")


def check_same_shape(y_true, y_pred):
    """Labels and predictions must have exactly the same shape (no broadcasting)."""
    if y_true.shape != y_pred.shape:
        hint = (
            " One of them is a column: use .ravel() or .reshape(-1, 1) so both have "
            "the same shape (broadcasting (n,) against (n, 1) would compare every "
            "label with every prediction)."
            if y_true.size == y_pred.size
            else " They hold different numbers of values: check that both come from the same examples."
        )
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape; got "
            f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}.{hint}"
        )


def check_same_length(y_true, y_pred):
    """One label per row of predictions."""
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            "`y_true` must hold one label per row of `y_pred`; got "
            f"{y_true.shape[0]} labels and {y_pred.shape[0]} rows. "
            "Check that both come from the same examples."
        )


def check_in_range(x, name, *, low=None, high=None, fix):
    """Every value must lie in the closed interval ``[low, high]``."""
    bad = np.zeros(x.shape, dtype=bool)
    if low is not None:
        bad |= x < low
    if high is not None:
        bad |= x > high
    if bad.any():
        if low is None:
            expected = f"be <= {high:g}"
        elif high is None:
            expected = f"be >= {low:g}"
        else:
            expected = f"lie in [{low:g}, {high:g}]"
        raise ValueError(
            _message(
                f"`{name}` must {expected}; got {_first_value(x, name, bad)} (values range from {x.min():.6g} to {x.max():.6g}).",
                fix,
            )
        )


def _format_set(values, limit=6):
    """``{-1, 0, 1}``; sets larger than ``limit`` end in ``...``."""
    shown = [f"{v:g}" for v in sorted(values)]
    return "{" + ", ".join(shown[:limit]) + (", ...}" if len(shown) > limit else "}")


def check_label_set(x, name, allowed, *, fix):
    """Every value must be one of ``allowed``, e.g. ``{0, 1}``."""
    bad = ~np.isin(x, list(allowed))
    if bad.any():
        raise ValueError(f"`{name}` must hold labels from {_format_set(allowed)}; got {_first_value(x, name, bad)}. {fix}")


def check_rows_sum_to_one(x, name, *, fix, atol=ROW_SUM_ATOL):
    """Each row (the last axis) must sum to 1 within ``atol``."""
    sums = x.sum(axis=-1)
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        rows = np.flatnonzero(bad)
        more = f" ({rows.size - 1} more row(s) too)" if rows.size > 1 else ""
        raise ValueError(
            f"`{name}` rows must each sum to 1 (within {atol:g}), one probability per "
            f"class; got row {rows[0]} summing to {sums[rows[0]]:.6g}{more}. {fix}"
        )


def is_int(value):
    """Whether ``value`` is a Python or NumPy integer (``True`` and ``False`` are not)."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _expected(kind, low, high, low_open, high_open):
    if kind == "integer":
        if high is not None:
            return f"an integer from {low} to {high}"
        return f"an integer >= {low}" if low is not None else "an integer"
    if low == 0 and low_open and high is None:
        return "a positive, finite number"
    if low is not None and high is not None:
        return f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"a finite number {'>' if low_open else '>='} {low}"
    return "a finite number"


def check_scalar(value, name, *, kind="number", low=None, high=None, low_open=False, high_open=False, example=None):
    """Raise unless ``value`` is one number of the right kind within its bounds.

    The one check of every scalar argument in lossbook, in the manner of
    ``sklearn.utils.check_scalar``.

    Parameters
    ----------
    value
        The argument as given.
    name : str
        Its name, as the caller wrote it.
    kind : {"number", "integer"}
        ``"integer"``: a Python or NumPy integer (not a bool, not 2.0);
        ``"number"``: any finite real number (not a bool).
    low, high : number, optional
        Bounds, included unless ``low_open`` or ``high_open``.
    example : optional
        A valid value, shown in the message as ``name=example``.

    Raises
    ------
    ValueError
        ``"`name` must be <what>; got <value>. Pass e.g. name=<example>."``

    Examples
    --------
    >>> check_scalar(0.9, "momentum", low=0, high=1, high_open=True)
    >>> check_scalar(0, "epochs", kind="integer", low=1, example=100)
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be an integer >= 1; got 0. Pass e.g. epochs=100.
    """
    if kind == "integer":
        ok = is_int(value)
    else:
        ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        hint = f" Pass e.g. {name}={example}." if example is not None else ""
        raise ValueError(f"`{name}` must be {_expected(kind, low, high, low_open, high_open)}; got {value!r}.{hint}")


def check_int(value, name, *, low, high=None, example):
    """Raise unless ``value`` is an integer in ``[low, high]`` (``high`` optional)."""
    check_scalar(value, name, kind="integer", low=low, high=high, example=example)


def check_rate(value, name, *, high=None, example):
    """Raise unless ``value`` is a positive finite number, or lies in ``[0, high)`` when ``high`` is given."""
    if high is None:
        check_scalar(value, name, low=0, low_open=True, example=example)
    else:
        check_scalar(value, name, low=0, high=high, high_open=True, example=example)


#: Advice added to the check of count targets (``"non-negative"`` labels of the Poisson loss).
COUNTS_HINT = "Poisson targets are counts of events, 0 or more; model a signed quantity with a regression loss instead."

_ROWS_HINT = (
    "Each row must be one-hot or a probability distribution over the classes: one-hot encode integer labels "
    "with np.eye(K)[labels], normalise soft labels with {name} / {name}.sum(axis=1, keepdims=True)."
)
_INDEX_HINT = (
    "Labels are column numbers of {columns}, counted from 0: labels numbered from 1 need {name} - 1, and text "
    "or float labels need mapping to 0..K-1 first (e.g. with np.unique(y, return_inverse=True))."
)


def _is_column(x):
    """One value per example: shape ``(n,)`` or ``(n, 1)``."""
    return x.ndim == 1 or (x.ndim == 2 and x.shape[1] == 1)


def _wrong_format(caller, expected, got, hint, fix):
    """The error for targets in another format than ``caller`` expects."""
    return ValueError(_message(f"{caller} expects {expected}; got {got}.", hint, fix))


def _check_binary(values, name, caller, fix):
    present = set(np.unique(values).tolist())
    if -1.0 in present and present <= {-1.0, 1.0}:
        raise _wrong_format(caller, "labels 0 / 1", "-1 / +1", f"Map them with ({name} + 1) // 2.", fix)
    check_in_range(
        values,
        name,
        low=0.0,
        high=1.0,
        fix=_message("For more than two classes use class indices 0..K-1 with sparse_categorical_crossentropy.", fix),
    )


def _check_signed(values, name, caller, fix):
    present = set(np.unique(values).tolist())
    if not (present <= {-1.0, 1.0} or present <= {0.0, 1.0}):
        hint = (
            f"Hinge losses score the margin {name} * y_pred, so the labels are -1 or 1: map other encodings first, "
            "e.g. np.where(y == positive_class, 1, -1)."
        )
        raise _wrong_format(caller, "labels -1 / +1 (or 0 / 1, converted to -1 / +1)", _format_set(present), hint, fix)


def _check_rows(values, name, caller, fix):
    if values.ndim != 2 or _is_column(values):
        if not _is_column(values):
            what = "an array"
        elif np.all(values == np.round(values)):
            what = "integer class labels"
        else:
            what = "one value per example"
        hint = (
            "Convert class indices with lossbook.data.one_hot(labels, K) or np.eye(K)[labels], "
            "or pass them as they are to sparse_categorical_crossentropy."
        )
        expected = "one-hot rows of shape (n, K), or rows of probabilities"
        raise _wrong_format(caller, expected, f"{what} of shape {values.shape}", hint, fix)
    hint = _ROWS_HINT.format(name=name)
    check_in_range(values, name, low=0.0, high=1.0, fix=hint)
    check_rows_sum_to_one(values, name, fix=hint)


def _check_indices(values, name, caller, fix, n_classes, columns):
    if not _is_column(values):
        what = "rows" if values.ndim == 2 else "an array"
        hint = (
            f"If they are one-hot rows, recover the class indices with {name}.argmax(axis=1), "
            "or pass the rows to categorical_crossentropy."
        )
        raise _wrong_format(caller, "integer class labels of shape (n,) or (n, 1)", f"{what} of shape {values.shape}", hint, fix)
    y = values.reshape(-1)
    hint = _INDEX_HINT.format(name=name, columns=columns)
    span = "0..K-1" if n_classes is None else f"0..{n_classes - 1}"
    not_indices = y != np.round(y)
    if n_classes is None:
        not_indices |= y < 0
    if not_indices.any():
        raise ValueError(f"`{name}` must hold integer class indices {span}; got {_first_value(y, name, not_indices)}. {hint}")
    if n_classes is not None:
        outside = (y < 0) | (y > n_classes - 1)
        if outside.any():
            raise ValueError(
                f"`{name}` must hold integer class indices {span}, one per column of {columns} ({n_classes} classes); "
                f"got {_first_value(y, name, outside, 'g')}. {hint}"
            )


def check_targets(kind, y, *, caller, n_classes=None, name="y", columns="`y_pred`", fix=None):
    """Raise unless ``y`` holds targets of the format ``kind``; return ``y`` as an array.

    The one check of labels and targets in lossbook: the NumPy losses, the
    Keras models (:func:`lossbook.models.check_labels`), :func:`lossbook.data.one_hot`,
    :func:`lossbook.data.to_signed` and the decision-boundary plot all call it.
    Every format first needs numbers (no text), at least one example and no
    NaN or infinity; then

    - ``"real"``: nothing more;
    - ``"non-negative"``: every value >= 0;
    - ``"binary"``: values in [0, 1], labels 0 / 1 or soft labels (-1 / +1
      labels get a message of their own);
    - ``"signed"``: labels -1 / +1, or 0 / 1 (which the hinge losses convert),
      not a mix of the two;
    - ``"one-hot"`` and ``"distribution"``: rows of shape ``(n, K)`` with
      entries in [0, 1] summing to 1 within :data:`ROW_SUM_ATOL` (one-hot rows
      or probabilities; the two names of :mod:`lossbook.registry` are one check);
    - ``"index"``: whole numbers 0 .. K-1 of shape ``(n,)`` or ``(n, 1)``.

    Parameters
    ----------
    kind : {"real", "non-negative", "binary", "signed", "one-hot", "distribution", "index"}
        The format, as :data:`lossbook.registry.LOSSES` names it (``labels``
        for a Keras model, ``y_true`` for a NumPy loss).
    y : array_like
        The targets.
    caller : str
        The loss or function that needs them, as the message names it, e.g.
        ``"hinge"`` or ``"one_hot"``.
    n_classes : int, optional
        Number of classes K, an integer >= 2; ``"index"`` labels must then be
        at most K - 1 (without it, only whole and >= 0).
    name : str, default "y"
        How the message names the targets, e.g. ``"y_true"``.
    columns : str, default "`y_pred`"
        What has one column per class, as the messages about class indices
        name it.
    fix : str, optional
        Advice added to the messages that say the targets are in another
        format (those naming ``caller``, and the range checks of
        ``"non-negative"`` and ``"binary"``); the row-sum and class-index
        messages end with their own.

    Returns
    -------
    numpy.ndarray
        ``np.asarray(y)``: not copied, not converted.

    Raises
    ------
    ValueError
        If ``y`` is not in the format, or ``kind`` or ``n_classes`` is invalid.

    Examples
    --------
    >>> check_targets("signed", [0, 1, 1], caller="hinge")
    array([0, 1, 1])
    >>> check_targets("binary", [-1, 1], caller="binary_crossentropy", name="y_true")
    Traceback (most recent call last):
    ...
    ValueError: binary_crossentropy expects labels 0 / 1; got -1 / +1. Map them with (y_true + 1) // 2.
    """
    if kind not in TARGET_KINDS:
        raise ValueError(f"`kind` must be one of {', '.join(TARGET_KINDS)}; got {kind!r}. Use a format of lossbook.registry.")
    if n_classes is not None:
        check_int(n_classes, "n_classes", low=2, example=3)
    raw = as_number_array(y, name)
    check_nonempty(raw, name)
    values = raw.astype(np.float64)
    check_finite(values, name)
    if kind == "non-negative":
        check_in_range(values, name, low=0.0, fix=fix)
    elif kind == "binary":
        _check_binary(values, name, caller, fix)
    elif kind == "signed":
        _check_signed(values, name, caller, fix)
    elif kind in ("one-hot", "distribution"):
        _check_rows(values, name, caller, fix)
    elif kind == "index":
        _check_indices(values, name, caller, fix, n_classes, columns)
    return raw
