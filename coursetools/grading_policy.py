"""What the grader knows that students do not: held-out cases and forbidden modules, per exercise.

This file lives with the course's tools, not in lossbook, so neither the
student build of lossbook nor the student edition carries it.

- :func:`hidden_cases`: cases the student never saw. For an exercise with
  array arguments, each visible case with its examples in reverse order (every
  array argument whose first axis has the length shared by most of them is
  reversed, consistently), where that makes a different call. The expected
  values come from the reference solution, in the grader. A lookup table of the
  visible cases, or values copied from check's feedback, fails them.
- :func:`forbidden`: modules an answer may not import or use. Every
  "implement" exercise asks for the loss written with NumPy and SciPy, so
  lossbook itself and the deep-learning and metrics libraries are off limits
  there; :data:`FORBIDDEN` overrides that per label.
"""

from __future__ import annotations

import collections

import numpy as np

from lossbook.exercises import Case

__all__ = ["IMPLEMENT_FORBIDDEN", "FORBIDDEN", "forbidden", "hidden_cases"]

#: Modules an "implement it yourself" exercise may not use: they hold the answer.
IMPLEMENT_FORBIDDEN = ("lossbook", "sklearn", "keras", "tensorflow", "torch", "jax", "optax")
#: Per-label overrides of :func:`forbidden` (label -> modules).
FORBIDDEN: dict[str, tuple[str, ...]] = {}


def forbidden(exercise) -> tuple[str, ...]:
    """The modules this exercise's answer may not import or use."""
    if exercise.label in FORBIDDEN:
        return FORBIDDEN[exercise.label]
    return IMPLEMENT_FORBIDDEN if exercise.kind == "implement" else ()


def _reversed(args: tuple):
    lengths = [len(a) for a in args if isinstance(a, np.ndarray) and a.ndim >= 1]
    if not lengths:
        return None
    n = collections.Counter(lengths).most_common(1)[0][0]
    if n < 2:
        return None
    return tuple(a[::-1].copy() if isinstance(a, np.ndarray) and a.ndim >= 1 and len(a) == n else a for a in args)


def hidden_cases(exercise) -> tuple[Case, ...]:
    """The held-out cases of an exercise (an empty tuple for single-case exercises)."""
    if len(exercise.cases) < 2:
        return ()
    found = []
    for case in exercise.cases:
        args = _reversed(case.args)
        if args is None or any(
            all(type(a) is type(b) and np.array_equal(a, b) for a, b in zip(args, c.args)) for c in exercise.cases
        ):
            continue
        try:
            exercise.reference()(*args)
        except Exception:  # noqa: BLE001 - a reversal the reference cannot take is no case
            continue
        found.append(Case(args, note="a case held out from the check"))
    return tuple(found)
