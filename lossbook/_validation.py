"""Input checks shared by lossbook's modules: the losses, the data helpers, training and plotting.

Each function checks one thing. When the check fails it raises
:class:`ValueError` with a message in three parts: what was expected, what
arrived, and the most likely fix. The checks never modify their input; only
:func:`as_float_array` returns a new array.

The functions are private to lossbook (the module name starts with an
underscore), but their messages are part of what learners see, so the tests
match on them.
"""

from __future__ import annotations

import math

import numbers

import numpy as np

__all__ = [
    "REDUCTIONS",
    "ROW_SUM_ATOL",
    "as_float_array",
    "check_bool",
    "check_class_indices",
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


def _at(name, index):
    """Format an array position as it would be written in Python: ``y[1, 2]``."""
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


def _first(mask):
    """Position of the first True entry of a boolean array."""
    return tuple(np.argwhere(mask)[0])


def as_float_array(x, name):
    """Return ``x`` as a new float64 array; reject anything that is not numbers.

    Lists, tuples, Python and NumPy scalars, booleans, integers and floats of
    any precision are accepted. Computing in float64 keeps float32 inputs from
    losing digits in the loss.
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
    return raw.astype(np.float64)


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
        raise ValueError(
            f"`{name}` must be True or False; got {value!r}. "
            f"Write {name}=True or {name}=False."
        )


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
        raise ValueError(
            f"`{name}` must have at least {minimum} columns, one per class; "
            f"got shape {x.shape}. {fix}"
        )


def check_same_shape(y_true, y_pred):
    """Labels and predictions must have exactly the same shape (no broadcasting)."""
    if y_true.shape != y_pred.shape:
        hint = (
            " One of them is a column: use .ravel() or .reshape(-1, 1) so both have "
            "the same shape (broadcasting (n,) against (n, 1) would compare every "
            "label with every prediction)."
            if y_true.size == y_pred.size
            else " They hold different numbers of values: check that both come from "
            "the same examples."
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
        where = _first(bad)
        raise ValueError(
            f"`{name}` must {expected}; got {_at(name, where)} = {x[where]:.6g} "
            f"(values range from {x.min():.6g} to {x.max():.6g}). {fix}"
        )


def _format_set(values):
    return "{" + ", ".join(f"{v:g}" for v in sorted(values)) + "}"


def check_label_set(x, name, allowed_sets, *, fix):
    """All values must come from one of ``allowed_sets``; return that set's index.

    With several sets (hinge losses accept {-1, 1} or {0, 1}) the labels must
    not mix them: the first set that holds every value wins.
    """
    union = set().union(*allowed_sets)
    bad = ~np.isin(x, list(union))
    described = " or ".join(_format_set(s) for s in allowed_sets)
    if bad.any():
        where = _first(bad)
        raise ValueError(
            f"`{name}` must hold labels from {described}; got {_at(name, where)} = "
            f"{x[where]:.6g}. {fix}"
        )
    present = set(np.unique(x).tolist())
    for i, allowed in enumerate(allowed_sets):
        if present <= set(allowed):
            return i
    raise ValueError(
        f"`{name}` must hold labels from {described}, not a mix; got the labels "
        f"{_format_set(present)}. {fix}"
    )


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


def check_class_indices(y, name, n_classes, *, fix):
    """Integer class indices ``0 .. n_classes - 1`` (whole floats such as 2.0 allowed)."""
    not_whole = y != np.round(y)
    if not_whole.any():
        where = _first(not_whole)
        raise ValueError(
            f"`{name}` must hold integer class indices 0..{n_classes - 1}; got "
            f"{_at(name, where)} = {y[where]:.6g}. {fix}"
        )
    outside = (y < 0) | (y > n_classes - 1)
    if outside.any():
        where = _first(outside)
        raise ValueError(
            f"`{name}` must hold integer class indices 0..{n_classes - 1}, one per "
            f"column of `y_pred` ({n_classes} classes); got {_at(name, where)} = "
            f"{y[where]:g}. {fix}"
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
