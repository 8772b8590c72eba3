"""What the grader knows that students do not: held-out cases and forbidden modules, per exercise.

This file lives with the course's tools, not in lossbook, so neither the
student build of lossbook nor the student edition carries it.

- :func:`hidden_cases`: cases the student never saw. For every visible case
  of an exercise with several cases, a fresh case with the same argument
  shapes, dtypes and ranges, drawn from a generator seeded by the grader's
  secret (:func:`secret`) and the exercise's label: never a function of the
  visible cases alone. Probability vectors stay probability vectors, labels
  keep the values they had, and scalar parameters (an ``eps``, a level, a
  number of bins) are kept. The expected values come from the reference
  solution, in the grader. Without the secret, a lookup table of the visible
  cases or any transform of them fails these cases.
- :func:`secret`: the instructor's secret, from the environment variable
  :data:`SECRET_VARIABLE` or, failing that, a file outside the repository
  (:func:`secret_file`), written with a fresh random value on first use.
- :func:`forbidden`: modules an answer may not import or use. Every
  "implement" exercise asks for the loss written with NumPy and SciPy, so
  lossbook itself and the deep-learning and metrics libraries are off limits
  there; :data:`FORBIDDEN` overrides that per label.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import numpy as np

from lossbook.exercises import Case
from lossbook.exercises.scoring import matches

__all__ = [
    "IMPLEMENT_FORBIDDEN",
    "FORBIDDEN",
    "SECRET_VARIABLE",
    "forbidden",
    "secret",
    "secret_file",
    "hidden_cases",
    "is_distribution",
]

#: Modules an "implement it yourself" exercise may not use: they hold the answer.
IMPLEMENT_FORBIDDEN = ("lossbook", "sklearn", "keras", "tensorflow", "torch", "jax", "optax")
#: Per-label overrides of :func:`forbidden` (label -> modules).
FORBIDDEN: dict[str, tuple[str, ...]] = {}
#: Environment variable holding the grader's secret (any text); it seeds the held-out cases.
SECRET_VARIABLE = "LOSSBOOK_GRADING_SECRET"
#: Draws tried per held-out case before the case is left out.
_TRIES = 50


def forbidden(exercise) -> tuple[str, ...]:
    """The modules this exercise's answer may not import or use."""
    if exercise.label in FORBIDDEN:
        return FORBIDDEN[exercise.label]
    return IMPLEMENT_FORBIDDEN if exercise.kind == "implement" else ()


def secret_file() -> Path:
    """Where the instructor's secret is kept when :data:`SECRET_VARIABLE` is not set (outside any repository)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "lossbook" / "grading-secret"


def secret() -> str:
    """The grader's secret: :data:`SECRET_VARIABLE`, else the text of :func:`secret_file`, made on first use.

    Keep the file (or the variable) for a whole term: the held-out cases, and so
    the grades, depend on it. Anyone who has it can predict the held-out cases.
    """
    value = os.environ.get(SECRET_VARIABLE, "").strip()
    if value:
        return value
    path = secret_file()
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    if not value:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        value = secrets.token_hex(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
            fh.write(value + "\n")
    return value


def _generator(key: str, label: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{key}\0{label}".encode("utf-8", "backslashreplace")).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def is_distribution(a: np.ndarray) -> bool:
    """Non-negative rows (along the last axis) of at least two entries that each sum to 1."""
    return (
        a.dtype.kind == "f"
        and a.ndim >= 1
        and a.shape[-1] >= 2
        and bool(np.all(a >= 0))
        and bool(np.allclose(a.sum(axis=-1), 1.0, atol=1e-9))
    )


def _fresh(rng: np.random.Generator, a: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """An array of the shape and dtype of ``a``, with values in its range (``pool``: all cases' values there)."""
    if a.size == 0:
        return a.copy()
    if is_distribution(a):
        return rng.dirichlet(np.ones(a.shape[-1]), size=a.shape[:-1]).astype(a.dtype)
    values = np.unique(a)
    if a.dtype.kind in "biu" or (len(values) <= 2 and set(values.tolist()) <= {0.0, 1.0, -1.0}):
        # Labels, classes, signs: the values the case has (all cases', where it has one).
        if len(values) < 2:
            values = np.unique(pool)
        return rng.choice(values, size=a.shape).astype(a.dtype)
    low, high = float(a.min()), float(a.max())
    if low == high:
        low, high = float(pool.min()), float(pool.max())
    return rng.uniform(low, high, size=a.shape).astype(a.dtype)


def _same(args, other) -> bool:
    return len(args) == len(other) and all(
        type(a) is type(b) and np.shape(a) == np.shape(b) and np.array_equal(a, b) for a, b in zip(args, other)
    )


def _finite(value) -> bool:
    if isinstance(value, tuple):
        return all(_finite(v) for v in value)
    try:
        return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
    except (TypeError, ValueError):
        return True


def _answers(exercise) -> list:
    """Every visible case's expected value, and each array value reversed: what a lookup table can return."""
    found = []
    for case in exercise.cases:
        value = exercise.expected(case)
        found.append(value)
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            found.append(value[::-1])
    return found


def hidden_cases(exercise, key: str | None = None) -> tuple[Case, ...]:
    """The held-out cases of an exercise (an empty tuple for single-case exercises).

    Parameters
    ----------
    exercise : lossbook.exercises.Exercise
        The exercise, with its reference solution (the instructor's copy of lossbook).
    key : str, optional
        The grader's secret; :func:`secret` when omitted.

    One case per visible case, the same for every student of a class graded
    with the same secret. A case whose draw the reference solution cannot take,
    whose answer is not finite, or whose answer equals a visible case's answer
    (or its reverse, for an array), is drawn again: a held-out case must tell
    a function apart from a table of the visible answers.
    """
    if len(exercise.cases) < 2:
        return ()
    rng = _generator(secret() if key is None else key, exercise.label)
    reference = exercise.reference()
    visible = _answers(exercise)
    found = []
    for case in exercise.cases:
        if not any(isinstance(a, np.ndarray) and a.ndim >= 1 for a in case.args):
            continue
        for _ in range(_TRIES):
            args = []
            for position, a in enumerate(case.args):
                if isinstance(a, np.ndarray) and a.ndim >= 1:
                    pool = np.concatenate(
                        [
                            np.ravel(c.args[position])
                            for c in exercise.cases
                            if len(c.args) > position
                            and isinstance(c.args[position], np.ndarray)
                            and c.args[position].dtype == a.dtype
                        ]
                    )
                    args.append(_fresh(rng, a, pool))
                else:
                    args.append(a)
            args = tuple(args)
            if any(_same(args, c.args) for c in exercise.cases):
                continue
            try:
                with np.errstate(all="ignore"):
                    value = reference(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
            except Exception:  # noqa: BLE001 - a draw the reference cannot take is drawn again
                continue
            if _finite(value) and not any(matches(value, v, exercise.rtol, exercise.atol) for v in visible):
                found.append(Case(args, note="a case held out from the check"))
                break
    return tuple(found)
