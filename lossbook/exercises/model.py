"""What an exercise is, and the registry of the course's exercises.

:class:`Exercise` holds everything about one exercise: its cases, hints,
common mistakes and reference solution, and the text it shows in its chapter.
The registry collects the exercises of every module of
:mod:`lossbook.exercise_bank` on first use. It finds that package by name, so
the bank imports this module and this module imports nothing of the bank.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import pkgutil
import re
from typing import Any, Callable

import numpy as np

__all__ = [
    "KINDS",
    "COMMON_MISTAKES",
    "UNITS",
    "Case",
    "Mistake",
    "Exercise",
    "common_mistakes",
    "labels",
    "get",
    "student_edition",
    "encode",
    "decode",
    "Opaque",
]

#: The four kinds of exercise every chapter draws from.
KINDS = ("by hand", "implement", "predict", "read a plot")

#: The package whose modules hold the course's exercises, one module per chapter.
BANK = "lossbook.exercise_bank"

_LABEL = re.compile(r"^ex-\d\d-[a-z0-9]+(?:-[a-z0-9]+)*$")
#: The fields holding a cell's text; the newlines around them are not part of it.
_TEXTS = ("statement", "explanation", "demo", "lead")
#: Mistakes that turn the right value into a fixed multiple of it, diagnosed for any exercise that names them in
#: :attr:`Exercise.common`: a logarithm of the wrong base, a flipped sign, a sum where the formula has a mean.
COMMON_MISTAKES = ("log base", "sign", "sum")
#: The units an answer with logarithms is asked in (:attr:`Exercise.unit`).
UNITS = ("nats", "bits")


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
    answer : callable, optional
        Called as ``answer(expected, *args)``; returns the value a function
        with this mistake would return for the case's ``args``.
    values : tuple, optional
        Instead of ``answer``, in the student build of lossbook: the value of
        the mistake for each case, in the order of the exercise's cases
        (``None`` where it cannot be computed). The student build carries
        values, not code.
    """

    hint: str
    answer: Callable[..., Any] | None = None
    values: tuple = ()

    def value(self, index: int, expected, args):
        """The value a function with this mistake returns for case ``index`` (0-based)."""
        if self.answer is not None:
            return self.answer(expected, *copy.deepcopy(args))
        if index < len(self.values) and self.values[index] is not None:
            return self.values[index]
        raise LookupError("no recorded value for this case")


@dataclasses.dataclass(frozen=True)
class Exercise:
    """An exercise: its cases, hints, common mistakes, reference solution and text.

    The exercise's cells in its chapter are written from these fields by
    ``python -m coursetools.exercises write``: the statement, the solution
    behind a toggle (explanation and answer cell), the check, the hidden
    grade cell and the demo.

    Parameters
    ----------
    label : str
        ``ex-NN-name``: the chapter number and a short name. The same label
        names the exercise on the website, in :func:`check` and in nbgrader.
    kind : str
        One of :data:`KINDS`.
    function : str
        Name of the function the learner writes in the answer cell.
    solution : str
        Python code that defines ``function``; it runs with ``np`` (NumPy)
        and ``scipy`` (with ``scipy.special``) available. The answer cell is
        this code with the body after the ``def`` line and its docstring
        between nbgrader's ``### BEGIN SOLUTION`` and ``### END SOLUTION``
        markers.
    cases : tuple of Case
        The calls to check. Answers worked out by hand, predictions and
        readings from plots take no arguments: a single ``Case()``.
    hints : tuple of str
        Hints in the order :func:`hint` gives them.
    mistakes : tuple of Mistake, optional
        Common mistakes, tried in order on a failing case.
    points : int, default 1
        Points in nbgrader, written into the grade cell.
    rtol, atol : float
        Tolerances for numerical answers (``numpy.allclose``).
    choices : tuple of str, optional
        For answers that are one word from a fixed list.
    nonfinite_hint : str, optional
        Hint for a NaN or infinite value where a finite one is expected; a
        generic one is used when omitted.
    title : str, optional
        The exercise's heading on the website.
    statement : str, optional
        The exercise's text (MyST markdown), below its heading.
    explanation : str, optional
        The worked solution's text (MyST markdown), shown behind a toggle
        above the answer cell.
    demo : str, optional
        Code of a cell after the check: an experiment or a computation that
        confirms the answer, behind a toggle on the website. It comes after
        the check so that no edition shows the answer before the learner has
        committed to one.
    lead : str, optional
        Code placed before ``exercises.check(...)`` in the check cell.
    parameters : tuple of str, optional
        The names of the function's parameters, as feedback shows them in a
        call (``f(y_true=..., y_pred=...)``); by default those of the
        reference solution, which the student build does not carry.
    common : tuple of str, optional
        Names from :data:`COMMON_MISTAKES` to diagnose, before ``mistakes``
        (see :func:`common_mistakes`); their hints are written once, there.
    unit : {"nats", "bits"}, default "nats"
        The unit of the answer, for the ``"log base"`` mistake.
    examples : int, optional
        For the ``"sum"`` mistake of an exercise without arguments: the
        number of examples the mean runs over. With arguments it is the
        length of the first argument that has one.

    The newlines around ``statement``, ``explanation``, ``demo`` and ``lead``
    are dropped, so that each can be written as a triple-quoted string that
    starts and ends on a line of its own.
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
    title: str = ""
    statement: str = ""
    explanation: str = ""
    demo: str = ""
    lead: str = ""
    parameters: tuple = ()
    common: tuple = ()
    unit: str = "nats"
    examples: int = 0

    def __post_init__(self):
        self._check_what_it_asks()
        self._check_how_it_scores()
        for name in _TEXTS:
            text = getattr(self, name)
            if not isinstance(text, str):
                raise ValueError(f"{self.label}: {name} must be a string; got {type(text).__name__}.")
            object.__setattr__(self, name, text.strip("\n"))

    def _check_what_it_asks(self):
        """The label, kind, function name, cases, hints and title."""
        if not isinstance(self.label, str) or not _LABEL.match(self.label):
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
        if not isinstance(self.title, str) or "\n" in self.title:
            raise ValueError(f"{self.label}: the title must be one line of text; got {self.title!r}.")

    def _check_how_it_scores(self):
        """The points, choices, common mistakes, unit and number of examples."""
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points < 1:
            raise ValueError(f"{self.label}: points must be a positive integer; got {self.points!r}.")
        if self.choices and any(c.expected is not None and c.expected not in self.choices for c in self.cases):
            raise ValueError(f"{self.label}: an expected answer is not one of the choices {self.choices}.")
        unknown = [name for name in self.common if name not in COMMON_MISTAKES]
        if unknown:
            raise ValueError(f"{self.label}: common mistakes must come from {COMMON_MISTAKES}; got {unknown}.")
        if self.unit not in UNITS:
            raise ValueError(f"{self.label}: unit must be one of {UNITS}; got {self.unit!r}.")
        if isinstance(self.examples, bool) or not isinstance(self.examples, int) or self.examples < 0:
            raise ValueError(f"{self.label}: examples must be a non-negative integer; got {self.examples!r}.")

    def reference(self) -> Callable:
        """The reference solution, defined by running :attr:`solution`.

        Raises
        ------
        LookupError
            In the student build of lossbook, which carries no solutions.
        """
        if not self.solution:
            raise LookupError(f"{self.label}: this edition of lossbook carries no reference solutions.")
        return _reference(self)

    def parameter_names(self) -> list[str]:
        """The names of the function's parameters, as the reference solution spells them."""
        if self.parameters:
            return list(self.parameters)
        import inspect

        try:
            return list(inspect.signature(self.reference()).parameters)
        except (TypeError, ValueError, LookupError):
            return []

    def expected(self, case: Case):
        """The right answer for one case."""
        if case.expected is not None:
            return case.expected
        return self.reference()(*copy.deepcopy(case.args))


_LN2, _LN10 = float(np.log(2.0)), float(np.log(10.0))

# For each unit of the answer: (the factor a wrong base multiplies the answer by, the hint), one per wrong base.
_WRONG_BASES = {
    "nats": (
        (
            1 / _LN2,
            "Wrong log base: that is the value in bits (log base 2). This exercise asks for nats: use "
            "the natural logarithm, np.log (the value in bits times ln 2 = 0.693).",
        ),
        (
            1 / _LN10,
            "Wrong log base: that is the value with log base 10. This exercise asks for nats: use the natural logarithm, np.log.",
        ),
    ),
    "bits": (
        (
            _LN2,
            "Wrong log base: that is the value in nats (natural log). This exercise asks for bits: use "
            "np.log2, or divide the value in nats by ln 2 = 0.693.",
        ),
        (_LN2 / _LN10, "Wrong log base: that is the value with log base 10. This exercise asks for bits: use np.log2."),
    ),
}
_SIGN_HINT = (
    "The sign is flipped: your value is minus the right one. Check the minus sign in front of the "
    "logarithm, or which way round the error is taken (prediction minus target)."
)
_SUM_HINT = (
    "Wrong reduction: your value is n times the right one, a sum over the n examples where the formula "
    "has their mean. Use np.mean, or divide the sum by n (a gradient of a mean carries the factor 1/n)."
)


def _example_count(exercise: Exercise, args) -> int:
    if not args:
        if not exercise.examples:
            raise LookupError(f"{exercise.label}: the 'sum' mistake needs `examples` (no argument has a length)")
        return exercise.examples
    for arg in args:
        if np.ndim(arg) >= 1:
            return len(arg)
    raise LookupError(f"{exercise.label}: no argument has a length for the 'sum' mistake")


def common_mistakes(exercise: Exercise) -> tuple[Mistake, ...]:
    """The mistakes of :data:`COMMON_MISTAKES` that ``exercise`` names, each as a :class:`Mistake`.

    Each is a fixed multiple of the right value: ``"log base"`` the factor
    between the asked unit and another base, ``"sign"`` minus one, ``"sum"``
    the number of examples. They are defined here once, not in each bank.

    Examples
    --------
    >>> ex = Exercise("ex-10-demo", "by hand", "f", "", (Case(),), ("think",),
    ...               common=("sign", "sum"), examples=4)
    >>> [m.answer(0.5) for m in common_mistakes(ex)]
    [-0.5, 2.0]
    """
    found = []
    for name in exercise.common:
        if name == "log base":
            for factor, text in _WRONG_BASES[exercise.unit]:
                found.append(Mistake(text, lambda expected, *args, factor=factor: _scaled(expected, factor)))
        elif name == "sign":
            found.append(Mistake(_SIGN_HINT, lambda expected, *args: _scaled(expected, -1.0)))
        else:
            found.append(Mistake(_SUM_HINT, lambda expected, *args: _scaled(expected, _example_count(exercise, args))))
    return tuple(found)


def _scaled(expected, factor):
    if isinstance(expected, (str, tuple)) or expected is None:
        raise TypeError("only numbers and arrays of numbers are scaled")
    value = np.asarray(expected, dtype=float) * factor
    return float(value) if value.ndim == 0 else value


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
#: The file of the student build's bank: every exercise as data, without solutions.
STUDENT_DATA = "exercises.json"


def student_edition() -> bool:
    """True in the student build of lossbook, whose bank holds cases and expected values but no solutions."""
    return bool(getattr(importlib.import_module(BANK), "STUDENT_EDITION", False))


def _from_data(item: dict) -> Exercise:
    cases = tuple(Case(decode(c["args"]), decode(c["expected"]), c.get("note", "")) for c in item["cases"])
    mistakes = tuple(Mistake(m["hint"], values=tuple(decode(v) for v in m["values"])) for m in item["mistakes"])
    fields = {
        k: item[k]
        for k in (
            "label",
            "kind",
            "function",
            "points",
            "rtol",
            "atol",
            "nonfinite_hint",
            "title",
            "statement",
            "lead",
            "unit",
            "examples",
        )
    }
    return Exercise(
        **fields,
        solution="",
        cases=cases,
        hints=tuple(item["hints"]),
        mistakes=mistakes,
        choices=tuple(item["choices"]),
        parameters=tuple(item["parameters"]),
        common=tuple(item["common"]),
    )


def _registry() -> dict[str, Exercise]:
    if not _REGISTRY:
        bank = importlib.import_module(BANK)
        found = {}
        if getattr(bank, "STUDENT_EDITION", False):
            import json
            from pathlib import Path

            with open(Path(bank.__file__).with_name(STUDENT_DATA), encoding="utf-8") as fh:
                for item in json.load(fh):
                    found[item["label"]] = _from_data(item)
            _REGISTRY.update(found)
            return _REGISTRY
        for info in sorted(pkgutil.iter_modules(bank.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{BANK}.{info.name}")
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
# Values as data: the student build's bank, and what the grading sandbox returns
# ---------------------------------------------------------------------------

_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"}


@dataclasses.dataclass(frozen=True)
class Opaque:
    """A value that came back as neither a number, a string, a list, a tuple nor an array: its type and repr.

    It matches no expected value.
    """

    type: str
    repr: str

    def __repr__(self):
        return self.repr


def encode(value):
    """A JSON-able form of a case's arguments or expected value (tagged arrays and tuples).

    Examples
    --------
    >>> import numpy as np
    >>> encode((1, np.array([0.5, 2.0])))
    {'__tuple__': [1, {'__ndarray__': [0.5, 2.0], 'dtype': 'float64', 'shape': [2]}]}
    >>> decode(encode((1, np.array([0.5, 2.0]))))
    (1, array([0.5, 2. ]))
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.name, "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    raise TypeError(f"cannot encode a {type(value).__name__} as exercise data")


def decode(value, depth: int = 0):
    """The value :func:`encode` (or the grading sandbox's harness) wrote; anything unexpected becomes :class:`Opaque`."""
    if depth > 20:
        return Opaque("nesting", "(nested too deeply)")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [decode(v, depth + 1) for v in value]
    if type(value) is dict:
        if set(value) == {"__ndarray__", "dtype", "shape"} and value["dtype"] in _DTYPES:
            try:
                array = np.array(value["__ndarray__"], dtype=value["dtype"])
                return array.reshape([int(n) for n in value["shape"]])
            except (TypeError, ValueError):
                return Opaque("ndarray", "(an array that could not be read)")
        if set(value) == {"__tuple__"} and type(value["__tuple__"]) is list:
            return tuple(decode(v, depth + 1) for v in value["__tuple__"])
        if set(value) == {"__object__", "repr"}:
            return Opaque(str(value["__object__"])[:60], str(value["repr"])[:200])
    return Opaque(type(value).__name__, "(unreadable value)")
