"""Comparing a learner's value with the expected one, showing values, and naming the mistake.

The notebook's feedback (:mod:`lossbook.exercises.feedback`) and the
instructor's grader (``coursetools.grading``) score answers with the same
functions: :func:`matches` decides whether a value is right, :func:`diagnose`
finds the hint that a wrong value points to, and :func:`show` and
:func:`call_text` write values and calls the way the feedback prints them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from lossbook.exercises.model import Case, Exercise, common_mistakes

__all__ = ["matches", "diagnose", "show", "call_text", "tolerance_note"]


def _is_number_like(value) -> bool:
    if isinstance(value, (str, bytes)) or value is None:
        return False
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def matches(received, expected, rtol, atol) -> bool:
    """Whether a received value is the expected one: words ignoring case, tuples item by item, numbers within tolerance.

    Examples
    --------
    >>> matches(0.3333, 1 / 3, 1e-3, 0.0), matches((1.0, "Up"), (1.0, "up"), 1e-6, 0.0), matches([1, 2], 1.5, 0.1, 0.0)
    (True, True, False)
    """
    if isinstance(expected, str):
        return isinstance(received, str) and received.strip().lower() == expected.lower()
    if isinstance(expected, tuple):
        return (
            isinstance(received, (tuple, list))
            and len(received) == len(expected)
            and all(matches(r, e, rtol, atol) for r, e in zip(received, expected))
        )
    if not _is_number_like(received):
        return False
    r = np.asarray(received, dtype=float)
    e = np.asarray(expected, dtype=float)
    return r.shape == e.shape and bool(np.allclose(r, e, rtol=rtol, atol=atol))


def _number(x) -> str:
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) < 1e-12:
        return "0"
    return f"{x:.5g}"


def show(value) -> str:
    """A short, deterministic text form of a value: numbers, arrays, words.

    Objects that are none of these are named by their type, never by a repr
    that could carry a memory address.

    Examples
    --------
    >>> show(np.array([[1.0, 0.5], [2 / 3, 0.0]]))
    '[[1, 0.5], [0.66667, 0]]'
    >>> show((0.25, "oscillate"))
    '(0.25, "oscillate")'
    """
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _number(value)
    if isinstance(value, (list, np.ndarray)) and _is_number_like(value):
        array = np.asarray(value, dtype=float)
        if array.ndim == 0:
            return _number(array)
        if array.size > 12:
            head = ", ".join(_number(v) for v in array.ravel()[:6])
            return f"an array of shape {array.shape} starting [{head}, ...]"

        def nested(a):
            if a.ndim == 1:
                return "[" + ", ".join(_number(v) for v in a) + "]"
            return "[" + ", ".join(nested(row) for row in a) + "]"

        return nested(array)
    return f"a value of type {type(value).__name__}"


def _shape_of(value):
    if isinstance(value, (str, tuple)) or not _is_number_like(value):
        return None
    return np.asarray(value, dtype=float).shape


def tolerance_note(exercise: Exercise, expected) -> str:
    """The tolerance shown after an expected number, e.g. ``" (within 1%)"``, or an empty string."""
    if isinstance(expected, str) or exercise.choices:
        return ""
    if exercise.rtol >= 0.01:
        return f" (within {exercise.rtol:.0%})"
    if exercise.atol >= 1e-4:
        return f" (within {exercise.atol:g})"
    return ""


def call_text(exercise: Exercise, case: Case) -> str:
    """The call a case makes, as the learner would write it: ``f(y_true=[1, 0], y_pred=...)``."""
    names = exercise.parameter_names()
    parts = []
    for i, arg in enumerate(case.args):
        shown = show(arg)
        parts.append(f"{names[i]}={shown}" if i < len(names) else shown)
    return f"{exercise.function}({', '.join(parts)})"


def _kind_hint(exercise: Exercise, expected, received) -> str:
    """The hint for a value of the wrong kind (None, a string for a number, one value for a tuple...), or ""."""
    if exercise.choices and isinstance(expected, str):
        if not isinstance(received, str) or received.strip().lower() not in exercise.choices:
            options = ", ".join(f'"{c}"' for c in exercise.choices)
            return f"Return one of the words {options}, as a string."
    if received is None:
        return "Your function returned None: did it forget to `return` its result?"
    if isinstance(received, str) and not isinstance(expected, str):
        return 'Return a number (or an array of numbers), not a string: `return 1.5`, not `return "1.5"`.'
    if isinstance(expected, tuple) and not isinstance(received, (tuple, list)):
        return (
            f"Return a tuple of {len(expected)} values, `return a, b`, not one array or number; "
            "a NumPy array of the right length is not a tuple."
        )
    if isinstance(expected, str) and not isinstance(received, str):
        return 'Return a word, as a string, for example `return "converge"`.'
    return ""


def diagnose(exercise: Exercise, case: Case, expected, received, index: int = 0) -> str:
    """The hint that fits a wrong value best, or an empty string (``index``: the case's 0-based position)."""
    kind = _kind_hint(exercise, expected, received)
    if kind:
        return kind
    want, got = _shape_of(expected), _shape_of(received)
    if want is not None and got is not None and want != got:
        if want == () and len(got) >= 1:
            return (
                f"Wrong axis or reduction: the answer is a single number, but your function "
                f"returns an array of shape {got}. Reduce it to one number (np.mean or np.sum, "
                "whichever the formula asks for)."
            )
        return (
            f"Wrong axis or reduction: the answer has shape {want}, yours has shape {got}. Check the `axis` of each sum or mean."
        )
    # The generic factor mistakes first: a value that is a fixed multiple of the answer is that mistake.
    for mistake in common_mistakes(exercise) + exercise.mistakes:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                wrong = mistake.value(index, expected, case.args)
        except Exception:  # noqa: BLE001 - a mistake that cannot be computed here does not apply
            continue
        if matches(received, wrong, exercise.rtol, exercise.atol):
            return mistake.hint
    if want is not None and got == want:
        r = np.asarray(received, dtype=float)
        e = np.asarray(expected, dtype=float)
        if not np.all(np.isfinite(r)) and np.all(np.isfinite(e)):
            return exercise.nonfinite_hint or (
                "Your function returns NaN or infinity where the answer is finite. "
                "A logarithm of 0 (or 0 times such a logarithm) is the usual cause."
            )
    return ""
