r"""Check, hint, solution and grade for the exercises at the end of each chapter.

In a notebook, the learner writes a function in the exercise's stub cell and
asks lossbook about it::

    from lossbook import exercises

    exercises.check("ex-05-sparse-cce", sparse_cce)  # feedback; never raises
    exercises.hint("ex-05-sparse-cce")               # the next hint
    exercises.solution("ex-05-sparse-cce")           # a worked solution

:func:`check` calls the learner's function on the exercise's cases and prints
one of three things: that every case passes; that the learner has not answered
yet; or the first failing case, with the call, the expected and the received
value, and a hint aimed at the mistake the received value points to (a missing
``(1 - y)`` term, the wrong logarithm, no clipping, the wrong axis or
reduction, labels from the wrong set). An exception, a warning or an endless
loop in the learner's code comes back as feedback: the check itself never
fails, so a notebook run top to bottom never stops at it.

The instructor's autograder (nbgrader) calls :func:`grade` in a hidden test
cell. It runs the same cases and returns the points earned, in proportion to
the cases that pass, as a ``float`` that nbgrader reads as partial credit.

The exercises themselves live in :mod:`lossbook.exercise_bank`, one module
per chapter, each with a list ``EXERCISES`` of :class:`Exercise` objects.
Each exercise holds its reference solution as code; the expected value of a
case is what that solution returns, unless the case pins it.

Setting the environment variable ``LOSSBOOK_SOLUTIONS=off`` (for example on a
course's JupyterHub) makes :func:`solution` decline to print solutions.

Examples
--------
>>> from lossbook import exercises
>>> def one_step():
...     return 1.3
>>> exercises.check("ex-01-step", one_step)
ex-01-step: correct. 1 of 1 case passes.
>>> def one_step():
...     raise NotImplementedError()
>>> exercises.check("ex-01-step", one_step)
ex-01-step: not answered yet (`one_step` still raises NotImplementedError).
  Replace the line `raise NotImplementedError()` with your answer, run that cell, then run this check again.
>>> exercises.grade("ex-01-step", lambda: 1.3, points=1)
ex-01-step: 1 of 1 point (1 of 1 case passes).
1.0
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib
import io
import math
import os
import pkgutil
import re
import signal
import textwrap
import threading
import traceback
import warnings
from typing import Any, Callable

import numpy as np

__all__ = [
    "KINDS",
    "Case",
    "Mistake",
    "Exercise",
    "Report",
    "get",
    "labels",
    "evaluate",
    "check",
    "grade",
    "hint",
    "solution",
    "show",
]

#: The four kinds of exercise every chapter draws from.
KINDS = ("by hand", "implement", "predict", "read a plot")

#: Seconds one call of the learner's function may take before it counts as an endless loop.
TIME_LIMIT = 10.0

#: Environment variable that switches :func:`solution` off.
SOLUTIONS_SWITCH = "LOSSBOOK_SOLUTIONS"

_LABEL = re.compile(r"^ex-\d\d-[a-z0-9]+(?:-[a-z0-9]+)*$")


# ---------------------------------------------------------------------------
# What an exercise is
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of the learner's function.

    Parameters
    ----------
    args : tuple
        Positional arguments. Each call receives fresh copies, so a function
        that changes its input in place cannot spoil later cases.
    expected : object, optional
        The right answer. When omitted it is what the exercise's reference
        solution returns for ``args``.
    note : str, optional
        What the case tests, shown when it fails ("a prediction of exactly 0").
    """

    args: tuple = ()
    expected: Any = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A common mistake, recognised by the value it produces.

    Parameters
    ----------
    hint : str
        What to tell a learner whose value matches this mistake.
    answer : callable
        Called as ``answer(expected, *args)``; returns the value a function
        with this mistake would return for the case's ``args``.
    """

    hint: str
    answer: Callable[..., Any]


@dataclasses.dataclass(frozen=True)
class Exercise:
    """An exercise: its cases, hints, common mistakes and reference solution.

    Parameters
    ----------
    label : str
        ``ex-NN-name``: the chapter number and a short name. The same label
        names the exercise on the website, in :func:`check` and in nbgrader.
    kind : str
        One of :data:`KINDS`.
    function : str
        Name of the function the learner writes in the stub cell.
    solution : str
        Python code that defines ``function``; it runs with ``np`` (NumPy)
        and ``scipy`` (with ``scipy.special``) available. The notebook's
        solution cell holds the same code between the nbgrader markers.
    cases : tuple of Case
        The calls to check. Answers worked out by hand, predictions and
        readings from plots take no arguments: a single ``Case()``.
    hints : tuple of str
        Hints in the order :func:`hint` gives them.
    mistakes : tuple of Mistake, optional
        Common mistakes, tried in order on a failing case.
    points : int, default 1
        Points in nbgrader; must equal the grade cell's ``points``.
    rtol, atol : float
        Tolerances for numerical answers (``numpy.allclose``).
    choices : tuple of str, optional
        For answers that are one word from a fixed list.
    nonfinite_hint : str, optional
        Hint for a NaN or infinite value where a finite one is expected; a
        generic one is used when omitted.
    """

    label: str
    kind: str
    function: str
    solution: str
    cases: tuple
    hints: tuple
    mistakes: tuple = ()
    points: int = 1
    rtol: float = 1e-6
    atol: float = 1e-9
    choices: tuple = ()
    nonfinite_hint: str = ""

    def __post_init__(self):
        if not _LABEL.match(self.label):
            raise ValueError(
                f"exercise label {self.label!r} must look like 'ex-05-sparse-cce': 'ex-', the "
                "two-digit chapter number, '-', and lower-case words joined by '-'."
            )
        if self.kind not in KINDS:
            raise ValueError(f"{self.label}: kind must be one of {KINDS}; got {self.kind!r}.")
        if not self.function.isidentifier():
            raise ValueError(f"{self.label}: function must be a Python name; got {self.function!r}.")
        if not self.cases or not all(isinstance(c, Case) for c in self.cases):
            raise ValueError(f"{self.label}: give at least one Case in `cases`.")
        if not self.hints:
            raise ValueError(f"{self.label}: give at least one hint.")
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points < 1:
            raise ValueError(f"{self.label}: points must be a positive integer; got {self.points!r}.")
        if self.choices and any(c.expected is not None and c.expected not in self.choices for c in self.cases):
            raise ValueError(f"{self.label}: an expected answer is not one of the choices {self.choices}.")

    def reference(self) -> Callable:
        """The reference solution, defined by running :attr:`solution`."""
        return _reference(self)

    def expected(self, case: Case):
        """The right answer for one case."""
        if case.expected is not None:
            return case.expected
        return self.reference()(*copy.deepcopy(case.args))


_REFERENCES: dict[str, Callable] = {}


def _reference(exercise: Exercise) -> Callable:
    if exercise.label not in _REFERENCES:
        import scipy
        import scipy.special

        namespace = {"np": np, "scipy": scipy}
        exec(compile(exercise.solution, f"<solution of {exercise.label}>", "exec"), namespace)  # noqa: S102
        if not callable(namespace.get(exercise.function)):
            raise ValueError(f"{exercise.label}: the solution does not define `{exercise.function}`.")
        _REFERENCES[exercise.label] = namespace[exercise.function]
    return _REFERENCES[exercise.label]


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------

_REGISTRY: dict[str, Exercise] = {}


def _registry() -> dict[str, Exercise]:
    if not _REGISTRY:
        from lossbook import exercise_bank

        found = {}
        for info in sorted(pkgutil.iter_modules(exercise_bank.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{exercise_bank.__name__}.{info.name}")
            for exercise in getattr(module, "EXERCISES", ()):
                if exercise.label in found:
                    raise ValueError(f"exercise label {exercise.label!r} is defined twice")
                found[exercise.label] = exercise
        _REGISTRY.update(found)
    return _REGISTRY


def labels() -> list[str]:
    """Labels of every exercise in the course, in the order of the chapters and within them."""
    return list(_registry())


def get(label: str) -> Exercise:
    """The exercise with this label.

    Raises
    ------
    ValueError
        If no exercise has the label; the message lists the chapter's labels.
    """
    registry = _registry()
    if label not in registry:
        chapter = label[:5] if isinstance(label, str) else ""
        near = [k for k in sorted(registry) if k.startswith(chapter)] or sorted(registry)
        raise ValueError(
            f"no exercise is labelled {label!r}. Copy the label from the exercise's heading; "
            f"known labels include {', '.join(repr(k) for k in near[:8])}."
        )
    return registry[label]


# ---------------------------------------------------------------------------
# Running the learner's code
# ---------------------------------------------------------------------------


class _TimeUp(BaseException):
    """Raised inside the learner's code when it runs past the time limit.

    A BaseException, so that a bare ``except Exception`` in the learner's code
    does not swallow it.
    """


@contextlib.contextmanager
def _time_limit(seconds):
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def stop(signum, frame):
        raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclasses.dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None
    line: str = ""
    timed_out: bool = False
    warnings: tuple = ()
    stderr: str = ""


def _learner_line(exc: BaseException) -> str:
    """The last line of the learner's own code in the traceback, if any."""
    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != here]
    for frame in reversed(frames):
        if "site-packages" not in frame.filename and frame.line:
            return frame.line.strip()
    return ""


def _call(function, args, time_limit) -> _Outcome:
    outcome = _Outcome()
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        try:
            with _time_limit(time_limit):
                outcome.value = function(*copy.deepcopy(args))
        except _TimeUp:
            outcome.timed_out = True
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any error in the learner's code is feedback
            outcome.error = exc
            outcome.line = _learner_line(exc)
    outcome.warnings = tuple(
        dict.fromkeys(f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught)
    )
    outcome.stderr = stderr.getvalue()
    return outcome


# ---------------------------------------------------------------------------
# Comparing and showing values
# ---------------------------------------------------------------------------


def _is_number_like(value) -> bool:
    if isinstance(value, (str, bytes)) or value is None:
        return False
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def _matches(received, expected, rtol, atol) -> bool:
    if isinstance(expected, str):
        return isinstance(received, str) and received.strip().lower() == expected.lower()
    if isinstance(expected, tuple):
        return (
            isinstance(received, (tuple, list))
            and len(received) == len(expected)
            and all(_matches(r, e, rtol, atol) for r, e in zip(received, expected))
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


def _tolerance(exercise: Exercise, expected) -> str:
    if isinstance(expected, str) or exercise.choices:
        return ""
    if exercise.rtol >= 0.01:
        return f" (within {exercise.rtol:.0%})"
    if exercise.atol >= 1e-4:
        return f" (within {exercise.atol:g})"
    return ""


# ---------------------------------------------------------------------------
# Evaluating an answer
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Report:
    """What :func:`evaluate` found.

    Attributes
    ----------
    label : str
        The exercise.
    passed, total : int
        Cases that pass, and all cases.
    answered : bool
        False while the learner's function still raises NotImplementedError.
    text : str
        The feedback :func:`check` prints.
    """

    label: str
    passed: int
    total: int
    answered: bool
    text: str

    @property
    def correct(self) -> bool:
        return self.answered and self.passed == self.total


def _call_text(exercise: Exercise, case: Case) -> str:
    try:
        import inspect

        names = list(inspect.signature(exercise.reference()).parameters)
    except (TypeError, ValueError):
        names = []
    parts = []
    for i, arg in enumerate(case.args):
        shown = show(arg)
        parts.append(f"{names[i]}={shown}" if i < len(names) else shown)
    return f"{exercise.function}({', '.join(parts)})"


def _diagnose(exercise: Exercise, case: Case, expected, received) -> str:
    """The hint that fits a wrong value best, or an empty string."""
    if exercise.choices and isinstance(expected, str):
        if not isinstance(received, str) or received.strip().lower() not in exercise.choices:
            options = ", ".join(f'"{c}"' for c in exercise.choices)
            return f"Return one of the words {options}, as a string."
    if received is None:
        return "Your function returned None: did it forget to `return` its result?"
    want, got = _shape_of(expected), _shape_of(received)
    if want is not None and got is not None and want != got:
        if want == () and len(got) >= 1:
            return (
                f"Wrong axis or reduction: the answer is a single number, but your function "
                f"returns an array of shape {got}. Reduce it to one number (np.mean or np.sum, "
                "whichever the formula asks for)."
            )
        return (
            f"Wrong axis or reduction: the answer has shape {want}, yours has shape {got}. "
            "Check the `axis` of each sum or mean."
        )
    for mistake in exercise.mistakes:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                wrong = mistake.answer(expected, *copy.deepcopy(case.args))
        except Exception:  # noqa: BLE001 - a mistake that cannot be computed here does not apply
            continue
        if _matches(received, wrong, exercise.rtol, exercise.atol):
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


def _unanswered(exercise: Exercise) -> str:
    return (
        f"{exercise.label}: not answered yet (`{exercise.function}` still raises NotImplementedError).\n"
        "  Replace the line `raise NotImplementedError()` with your answer, run that cell, then run "
        "this check again."
    )


def _help_line(label: str) -> str:
    return f'More help: exercises.hint("{label}"); a worked solution: exercises.solution("{label}").'


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _cases_pass(passed, total):
    return f"{passed} of {_plural(total, 'case')} " + ("passes" if total == 1 else "pass")


def evaluate(label: str, answer, *, time_limit: float | None = TIME_LIMIT) -> Report:
    """Run the learner's function on every case of an exercise.

    Parameters
    ----------
    label : str
        The exercise.
    answer : callable
        The learner's function.
    time_limit : float or None
        Seconds each call may take (where the platform allows a limit).

    Returns
    -------
    Report
    """
    exercise = get(label)
    total = len(exercise.cases)
    if not callable(answer):
        text = (
            f"{label}: expected the function `{exercise.function}`; received {show(answer)}. "
            f"Pass the function itself, without calling it: "
            f'exercises.check("{label}", {exercise.function}).'
        )
        return Report(label, 0, total, True, text)

    passed, first_failure, notes = 0, None, []
    for index, case in enumerate(exercise.cases, start=1):
        expected = exercise.expected(case)
        outcome = _call(answer, case.args, time_limit)
        if isinstance(outcome.error, NotImplementedError):
            return Report(label, 0, total, False, _unanswered(exercise))
        ok = outcome.error is None and not outcome.timed_out and _matches(
            outcome.value, expected, exercise.rtol, exercise.atol
        )
        for warning in outcome.warnings:
            if warning not in notes:
                notes.append(warning)
        if ok:
            passed += 1
        elif first_failure is None:
            first_failure = (index, case, expected, outcome)

    lines = []
    if first_failure is None:
        lines.append(f"{label}: correct. {_cases_pass(passed, total)}.")
        if notes:
            lines.append("  Note: your function warned: " + "; ".join(notes))
        return Report(label, passed, total, True, "\n".join(lines))

    index, case, expected, outcome = first_failure
    what = f": {case.note}" if case.note else ""
    lines.append(f"{label}: not yet. {_cases_pass(passed, total)}; case {index} fails{what}.")
    if case.args:
        lines.append(f"  call:     {_call_text(exercise, case)}")
    lines.append(f"  expected: {show(expected)}{_tolerance(exercise, expected)}")
    if outcome.timed_out:
        lines.append(f"  received: nothing; the call did not finish within {time_limit:g} s (an endless loop?)")
    elif outcome.error is not None:
        message = str(outcome.error).strip().splitlines()
        first = f": {message[0]}" if message else ""
        lines.append(f"  received: {type(outcome.error).__name__}{first}")
        if outcome.line:
            lines.append(f"  raised at this line of your code: {outcome.line}")
    else:
        lines.append(f"  received: {show(outcome.value)}")
        advice = _diagnose(exercise, case, expected, outcome.value)
        if advice:
            lines.append(textwrap.fill(
                advice, 100, initial_indent="  hint:     ", subsequent_indent="            ",
                break_on_hyphens=False, break_long_words=False,
            ))
    if notes:
        lines.append("  Note: your function warned: " + "; ".join(notes))
    lines.append(_help_line(label))
    return Report(label, passed, total, True, "\n".join(lines))


# ---------------------------------------------------------------------------
# What the notebook calls
# ---------------------------------------------------------------------------


def check(label: str, answer) -> None:
    """Check the learner's function and print feedback; never raises for the learner's errors.

    Parameters
    ----------
    label : str
        The exercise, as in its heading, e.g. ``"ex-05-sparse-cce"``.
    answer : callable
        The function written in the exercise's stub cell.
    """
    print(evaluate(label, answer).text)


def grade(label: str, answer, *, points: int) -> float:
    """Score the learner's function for the autograder; print a one-line summary.

    Parameters
    ----------
    label : str
        The exercise.
    answer : callable
        The learner's function.
    points : int
        The grade cell's points in nbgrader; must equal the exercise's points.

    Returns
    -------
    float
        ``points`` times the fraction of cases that pass, rounded to 2
        decimals: nbgrader's partial credit.
    """
    exercise = get(label)
    if points != exercise.points:
        raise ValueError(
            f"{label} is worth {exercise.points} points in lossbook.exercise_bank, but the grade "
            f"cell gives {points!r}; make the two agree."
        )
    report = evaluate(label, answer)
    score = round(points * report.passed / report.total, 2) if report.answered else 0.0
    cases = _cases_pass(report.passed, report.total)
    print(f"{label}: {score:g} of {_plural(points, 'point')} ({cases if report.answered else 'not answered'}).")
    if not report.correct:
        print(report.text)
    return float(score)


_HINTS_GIVEN: dict[str, int] = {}


def hint(label: str) -> None:
    """Print the next hint for an exercise (the last one again once all are shown)."""
    exercise = get(label)
    given = _HINTS_GIVEN.get(label, 0)
    number = min(given + 1, len(exercise.hints))
    _HINTS_GIVEN[label] = number
    text = textwrap.fill(exercise.hints[number - 1], 100, break_on_hyphens=False, break_long_words=False)
    print(f"Hint {number} of {len(exercise.hints)} for {label}:\n{text}")
    if number == len(exercise.hints):
        print(f'That was the last hint; exercises.solution("{label}") shows a worked solution.')


def solution(label: str) -> None:
    """Print the reference solution of an exercise, unless solutions are switched off."""
    exercise = get(label)
    if os.environ.get(SOLUTIONS_SWITCH, "").strip().lower() in {"off", "0", "no", "false", "hidden"}:
        print(f"Solutions are switched off for this course ({SOLUTIONS_SWITCH}={os.environ[SOLUTIONS_SWITCH]}).")
        return
    print(f"A solution to {label}:\n")
    print(exercise.solution.rstrip())
