"""Mutation testing of the exercises: do their cases reject the wrong answers learners write?

For an "implement" exercise, :func:`mutants` rewrites the reference solution
one small change at a time, by transforming its syntax tree: a comparison
flipped (``<`` and ``<=``, ``>`` and ``>=``, or turned round), a reduction
swapped (``mean`` and ``sum``, ``max`` and ``min``), a logarithm of another
base, two arguments swapped (``rel_entr(q, p)``), a number changed (a clip bound, an epsilon, a factor, an ``axis`` or a
``ddof``), a wrapper dropped (``max(0, .)``, ``clip``, ``abs``, a reshape),
a term or a factor dropped, a sign flipped, a statement left out, and
similar. :func:`score` runs each mutant on the exercise's cases as
:func:`lossbook.exercises.evaluate` runs them, and then on the grader's
held-out cases (:func:`coursetools.grading_policy.hidden_cases`, drawn with a
fixed key). A mutant that every case accepts is then run beside the
reference on random valid inputs drawn from the cases' shapes, label sets and
ranges (:func:`draws`): if it agrees with the reference there, within the
exercise's own tolerance, it is *equivalent* (no case could reject it) and is
not counted; otherwise it *survives*, and the draw it fails on is a case that
would kill it.

For a single-answer exercise (by hand, predict, read a plot),
:func:`wrong_answers` lists the plausible wrong answers the check must
reject: the exercise's declared mistakes and the generic ones it names, every
other choice of a one-word answer, and the answer rounded to one decimal.

``python -m coursetools.mutation [LABEL ...]`` prints the scores.
"""

from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import math
import time
import warnings
from typing import Any, Callable

import numpy as np

from coursetools.grading_policy import is_distribution

__all__ = [
    "FLOOR",
    "HELD_OUT_KEY",
    "Mutant",
    "Result",
    "Score",
    "mutants",
    "draws",
    "score",
    "wrong_answers",
    "learners_view",
    "plot_answer_leaks",
    "summary",
    "main",
]

#: The share of non-equivalent mutants an exercise's cases must kill.
FLOOR = 0.95
#: The key the held-out cases are drawn with here (the grader uses the instructor's secret).
HELD_OUT_KEY = "mutation-testing"
#: Seconds one call of a mutant may take.
TIME_LIMIT = 2.0
#: Random inputs drawn per visible case to look for a difference between a surviving mutant and the reference.
DRAWS = 40


# ---------------------------------------------------------------------------
# Mutants
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One changed copy of a reference solution.

    Attributes
    ----------
    description : str
        What changed, with the line of the solution: ``"line 3: np.mean -> np.sum"``.
    source : str
        The mutant's code, a function definition.
    """

    description: str
    source: str


_SWAPPED_CALLS = {
    "mean": ("sum",),
    "sum": ("mean",),
    "nanmean": ("nansum",),
    "nansum": ("nanmean",),
    "log": ("log2", "log10"),
    "log2": ("log", "log10"),
    "log10": ("log", "log2"),
    "log1p": ("log",),
    "max": ("min",),
    "min": ("max",),
    "maximum": ("minimum",),
    "minimum": ("maximum",),
    "amax": ("amin",),
    "amin": ("amax",),
    "argmax": ("argmin",),
    "argmin": ("argmax",),
    "floor": ("ceil",),
    "ceil": ("floor",),
    "expit": ("exp",),
    "exp": ("expm1",),
    "std": ("var",),
    "var": ("std",),
    "median": ("mean",),
    "logsumexp": ("sum",),
    "log_softmax": ("softmax",),
    "softmax": ("log_softmax",),
}
# Calls whose first argument is what they return, up to a transformation a learner may forget.
_DROPPABLE = {
    "abs",
    "absolute",
    "fabs",
    "sqrt",
    "ravel",
    "reshape",
    "asarray",
    "array",
    "float",
    "int",
    "squeeze",
    "clip",
    "exp",
    "log",
    "log2",
    "log10",
    "expit",
    "round",
    "sort",
    "cumsum",
    "flatten",
}
_FLIPPED_COMPARISONS = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
}
_SWAPPED_OPERATORS = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div,),
    ast.Div: (ast.Mult, ast.FloorDiv),
    ast.FloorDiv: (ast.Div,),
    ast.Pow: (ast.Mult,),
    ast.BitAnd: (ast.BitOr,),
    ast.BitOr: (ast.BitAnd,),
}
_SYMBOLS = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Pow: "**",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.And: "and",
    ast.Or: "or",
}


def _name(func) -> str:
    """The last part of a called name: ``mean`` for ``np.mean`` and for ``x.mean``."""
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _text(node) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= 70 else text[:67] + "..."


def _constant_changes(value) -> list:
    """Other values for a number of the solution: an epsilon or a bound moved, a factor or a count off by one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    if isinstance(value, int):
        return [value + 1, value - 1]
    if value == 0:
        return [1e-3, 1.0]
    if abs(value) < 1e-2:  # an epsilon
        return [0.0, float(f"{value * 1e3:.6g}")]
    return [value * 2, value / 2, value + 0.1, -value]


def _compare_changes(node: ast.Compare) -> list[tuple[str, Any]]:
    found = []
    if len(node.ops) == 1:
        for other in _FLIPPED_COMPARISONS.get(type(node.ops[0]), ()):
            new = copy.deepcopy(node)
            new.ops = [other()]
            found.append((f"{_SYMBOLS[type(node.ops[0])]} -> {_SYMBOLS[other]} in {_text(node)}", new))
    return found


def _binop_changes(node: ast.BinOp) -> list[tuple[str, Any]]:
    found = []
    symbol = _SYMBOLS.get(type(node.op), "?")
    for other in _SWAPPED_OPERATORS.get(type(node.op), ()):
        new = copy.deepcopy(node)
        new.op = other()
        found.append((f"{symbol} -> {_SYMBOLS[other]} in {_text(node)}", new))
    found.append((f"{_text(node)} -> {_text(node.left)} (term dropped)", copy.deepcopy(node.left)))
    found.append((f"{_text(node)} -> {_text(node.right)} (term dropped)", copy.deepcopy(node.right)))
    return found


def _unary_changes(node: ast.UnaryOp) -> list[tuple[str, Any]]:
    if isinstance(node.op, ast.USub):
        return [(f"{_text(node)} -> {_text(node.operand)} (sign flipped)", copy.deepcopy(node.operand))]
    return []


def _boolop_changes(node: ast.BoolOp) -> list[tuple[str, Any]]:
    other = ast.Or if isinstance(node.op, ast.And) else ast.And
    new = copy.deepcopy(node)
    new.op = other()
    return [(f"{_SYMBOLS[type(node.op)]} -> {_SYMBOLS[other]} in {_text(node)}", new)]


def _augassign_changes(node: ast.AugAssign) -> list[tuple[str, Any]]:
    found = []
    for other in _SWAPPED_OPERATORS.get(type(node.op), ()):
        new = copy.deepcopy(node)
        new.op = other()
        found.append((f"{_SYMBOLS[type(node.op)]}= -> {_SYMBOLS[other]}= in {_text(node)}", new))
    return found


def _literal_changes(node: ast.Constant) -> list[tuple[str, Any]]:
    return [(f"{node.value!r} -> {value!r}", ast.Constant(value)) for value in _constant_changes(node.value)]


def _call_name_changes(node: ast.Call) -> list[tuple[str, Any]]:
    """Another function of the same family, the call dropped, or its first two arguments swapped."""
    found = []
    name = _name(node.func)
    for other in _SWAPPED_CALLS.get(name, ()):
        new = copy.deepcopy(node)
        if isinstance(new.func, ast.Attribute):
            new.func.attr = other
        else:
            new.func.id = other
        found.append((f"{_text(node.func)} -> {_text(new.func)} in {_text(node)}", new))
    if name in ("max", "min", "maximum", "minimum") and len(node.args) == 2:
        for kept in node.args:  # max(0, x) -> x, and max(a, b) -> a
            found.append((f"{_text(node)} -> {_text(kept)} ({name} dropped)", copy.deepcopy(kept)))
    elif name in _DROPPABLE and node.args and not isinstance(node.args[0], ast.Starred):
        found.append((f"{_text(node)} -> {_text(node.args[0])} ({name} dropped)", copy.deepcopy(node.args[0])))
    positional = [a for a in node.args if not isinstance(a, ast.Starred)]
    if len(positional) >= 2 and len(positional) == len(node.args):
        new = copy.deepcopy(node)
        new.args[0], new.args[1] = new.args[1], new.args[0]
        found.append((f"{_text(node)}: first two arguments swapped", new))
    return found


def _call_argument_changes(node: ast.Call) -> list[tuple[str, Any]]:
    """A bound of clip dropped, a keyword dropped, another axis."""
    found = []
    if _name(node.func) == "clip" and len(node.args) == 3:
        for position, side in ((1, "lower"), (2, "upper")):
            new = copy.deepcopy(node)
            new.args[position] = ast.Constant(None)
            found.append((f"{_text(node)}: {side} bound dropped", new))
    for index, keyword in enumerate(node.keywords):
        if keyword.arg is None:
            continue
        new = copy.deepcopy(node)
        del new.keywords[index]
        found.append((f"{_text(node)}: {keyword.arg}= dropped", new))
        if keyword.arg != "axis":
            continue
        for value in (None, 0, 1, -1):
            if isinstance(keyword.value, ast.Constant) and keyword.value.value == value:
                continue
            new = copy.deepcopy(node)
            new.keywords[index].value = ast.Constant(value)
            found.append((f"{_text(node)}: axis={value}", new))
    return found


def _call_changes(node: ast.Call) -> list[tuple[str, Any]]:
    return _call_name_changes(node) + _call_argument_changes(node)


def _return_changes(node: ast.Return) -> list[tuple[str, Any]]:
    if node.value is None:
        return []
    new = copy.deepcopy(node)
    new.value = ast.UnaryOp(ast.USub(), node.value)
    return [(f"return {_text(node.value)} -> return -({_text(node.value)}) (sign flipped)", new)]


#: The mutations of each kind of node.
_CHANGES = (
    (ast.Compare, _compare_changes),
    (ast.BinOp, _binop_changes),
    (ast.UnaryOp, _unary_changes),
    (ast.BoolOp, _boolop_changes),
    (ast.AugAssign, _augassign_changes),
    (ast.Constant, _literal_changes),
    (ast.Call, _call_changes),
    (ast.Return, _return_changes),
)


def _changes(node) -> list[tuple[str, Any]]:
    """The mutations of one node: (what changes, the node that replaces it)."""
    for kind, changes in _CHANGES:
        if isinstance(node, kind):
            return changes(node)
    return []


class _Sites(ast.NodeTransformer):
    """Numbers the nodes of a function in one fixed order; replaces the one numbered ``target``."""

    def __init__(self, target: int = -1, replacement=None):
        self.count = -1
        self.target = target
        self.replacement = replacement
        self.nodes = []

    def visit(self, node):
        self.count += 1
        if self.count == self.target:
            return self.replacement
        self.nodes.append(node)
        return self.generic_visit(node)


def _body(function: ast.FunctionDef) -> list:
    documented = (
        function.body
        and isinstance(function.body[0], ast.Expr)
        and isinstance(getattr(function.body[0], "value", None), ast.Constant)
        and isinstance(function.body[0].value.value, str)
    )
    return function.body[1:] if documented else function.body


def _replaced(definition: ast.FunctionDef, index: int, replacement) -> ast.FunctionDef:
    """A copy of the function with the node numbered ``index`` (as :class:`_Sites` numbers them) replaced."""
    mutated = copy.deepcopy(definition)
    applier = _Sites(index, replacement)
    for position, default in enumerate(mutated.args.defaults):
        mutated.args.defaults[position] = applier.visit(default)
    for position, default in enumerate(mutated.args.kw_defaults):
        if default is not None:
            mutated.args.kw_defaults[position] = applier.visit(default)
    body = _body(mutated)
    head = mutated.body[: len(mutated.body) - len(body)]
    mutated.body = head + [applier.visit(statement) for statement in body]
    return mutated


def _leave_out_statements(definition: ast.FunctionDef, add) -> None:
    """Statements left out (an assignment, a guard, an update), one at a time, in every block."""
    for block_owner in ast.walk(definition):
        for field in ("body", "orelse"):
            block = getattr(block_owner, field, None)
            if not isinstance(block, list) or len(block) < 2:
                continue
            start = len(block) - len(_body(block_owner)) if block_owner is definition and field == "body" else 0
            for position in range(start, len(block) - 1):
                statement = block[position]
                block[position] = ast.Pass()
                add(f"line {statement.lineno}: statement left out: {_text(statement)}", copy.deepcopy(definition))
                block[position] = statement


def mutants(solution: str, function: str) -> list[Mutant]:
    """Every single-change mutant of the function ``function`` defined in ``solution``.

    The docstring is left alone; default values of the parameters are
    mutated, and so is every statement of the body (besides the changes of
    :func:`_changes`, each statement but the last of a block can be left out).
    Mutants whose code equals the solution's, or another mutant's, are dropped.

    Examples
    --------
    >>> found = [m.description for m in mutants("def f(x):\\n    return np.mean(np.maximum(0, 1 - x))\\n", "f")]
    >>> found[1:3]
    ['line 2: np.mean -> np.sum in np.mean(np.maximum(0, 1 - x))', 'line 2: np.maximum -> np.minimum in np.maximum(0, 1 - x)']
    >>> "line 2: np.maximum(0, 1 - x) -> 1 - x (maximum dropped)" in found
    True
    """
    tree = ast.parse(solution)
    definition = next((node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == function), None)
    if definition is None:
        raise ValueError(f"the solution does not define `{function}`")
    original = ast.unparse(definition)
    sites = _Sites()
    for default in definition.args.defaults + [d for d in definition.args.kw_defaults if d is not None]:
        sites.visit(default)
    for statement in _body(definition):
        sites.visit(statement)
    found, seen = [], {original}

    def add(description, mutated):
        source = ast.unparse(ast.fix_missing_locations(mutated))
        if source not in seen:
            seen.add(source)
            found.append(Mutant(description, source + "\n"))

    names = [a.arg for a in definition.args.args + definition.args.kwonlyargs]
    names += sorted({n.id for n in ast.walk(definition) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - set(names))
    for index, node in enumerate(sites.nodes):
        changes = _changes(node)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names:
            changes += [
                (f"{node.id} -> {other} (another variable)", ast.Name(other, ast.Load())) for other in names if other != node.id
            ]
        for what, replacement in changes:
            add(f"line {getattr(node, 'lineno', definition.lineno)}: {what}", _replaced(definition, index, replacement))
    _leave_out_statements(definition, add)
    return found


def _compile(source: str, function: str) -> Callable:
    import scipy
    import scipy.optimize
    import scipy.special
    import scipy.stats

    namespace = {"np": np, "scipy": scipy}
    exec(compile(source, "<mutant>", "exec"), namespace)  # noqa: S102 - the course's own solutions, mutated
    return namespace[function]


# ---------------------------------------------------------------------------
# Random valid inputs
# ---------------------------------------------------------------------------


def _vary_array(rng, a: np.ndarray, pool: np.ndarray) -> np.ndarray:
    if a.size == 0:
        return a.copy()
    if is_distribution(a):
        rows = rng.dirichlet(np.full(a.shape[-1], 0.7), size=a.shape[:-1])
        one_hot = rng.random(a.shape[:-1]) < 0.2  # exact 0s and 1s, where clipping acts
        if np.any(one_hot):
            rows[one_hot] = np.eye(a.shape[-1])[rng.integers(0, a.shape[-1], size=int(one_hot.sum()))]
        return rows.astype(a.dtype)
    values = np.unique(a)
    if a.dtype.kind in "biu" or (len(values) <= 2 and set(values.tolist()) <= {0.0, 1.0, -1.0}):
        if len(values) < 2:
            values = np.unique(pool)
        return rng.choice(values, size=a.shape).astype(a.dtype)
    low, high = float(a.min()), float(a.max())
    if low == high:
        low, high = float(pool.min()), float(pool.max())
    if low == high:
        low, high = low - 1.0, high + 1.0
    span = high - low
    if low >= 0 and high <= 1:  # probabilities or shares: stay inside [0, 1], open where the case is open
        lo, hi = (0.0 if low == 0 else low / 2), (1.0 if high == 1 else (1 + high) / 2)
    else:
        lo, hi = (max(low - span / 2, 0.0) if low >= 0 else low - span / 2), high + span / 2
    drawn = rng.uniform(lo, hi, size=a.shape)
    exact = rng.random(a.shape) < 0.2  # some of the cases' own values: ties, zeros, bin edges
    edges = np.ravel(pool)
    if low >= 0 and high <= 1:  # and the ends of [0, 1]
        edges = np.concatenate([edges, [0.0, 1.0]])
    drawn[exact] = rng.choice(edges, size=int(exact.sum()))
    return drawn.astype(a.dtype)


def _vary_scalar(rng, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(rng.integers(1, 2 * value + 1)) if value >= 1 else value
    value = float(value)
    if 0 < value < 1:
        return float(rng.uniform(0.02, 0.98))
    if value == 0:
        return float(rng.normal())
    return float(value * np.exp(rng.uniform(-1.0, 1.0)))


def draws(exercise, count: int = DRAWS, seed: int = 0):
    """Random inputs like the exercise's cases: ``count`` argument tuples per visible case.

    Arrays keep their case's shape and dtype: probability rows stay
    probability rows (with some one-hot rows, where clipping acts), labels and
    signs keep the values they take, other arrays are drawn over their range
    widened by half, with a fifth of their entries taken from the cases'
    values (ties, zeros, bin edges); numbers between 0 and 1 are drawn between
    0.02 and 0.98, other numbers within a factor e of theirs, counts between
    1 and twice theirs. Arrays inside [0, 1] also get exact 0s and 1s. An
    input on which the reference solution raises, warns or returns a value
    that is not finite is not valid, and :func:`score` skips it.
    """
    rng = np.random.default_rng(seed)
    for case in exercise.cases:
        pools = []
        for position, a in enumerate(case.args):
            if isinstance(a, np.ndarray) and a.ndim >= 1:
                pools.append(
                    np.concatenate(
                        [
                            np.ravel(c.args[position])
                            for c in exercise.cases
                            if len(c.args) > position
                            and isinstance(c.args[position], np.ndarray)
                            and c.args[position].dtype == a.dtype
                        ]
                    )
                )
            else:
                pools.append(None)
        for _ in range(count):
            yield tuple(
                _vary_array(rng, a, pool) if pool is not None else _vary_scalar(rng, a) for a, pool in zip(case.args, pools)
            )


# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Result:
    """What became of one mutant.

    ``status`` is ``"killed"`` (a visible case rejects it), ``"held out"``
    (only the grader's held-out cases reject it), ``"survived"`` (every case
    accepts it, but it differs from the reference on ``witness``) or
    ``"equivalent"`` (it agrees with the reference on every draw).
    """

    mutant: Mutant
    status: str
    witness: tuple | None = None

    def line(self) -> str:
        text = f"{self.status}: {self.mutant.description}"
        if self.witness is not None:
            from lossbook.exercises import show

            text += " (a case that kills it: args=" + ", ".join(show(a) for a in self.witness) + ")"
        return text


@dataclasses.dataclass(frozen=True)
class Score:
    """An exercise's mutation score."""

    label: str
    results: tuple
    seconds: float = 0.0

    def _count(self, *statuses) -> int:
        return sum(r.status in statuses for r in self.results)

    @property
    def killed(self) -> int:
        return self._count("killed", "held out")

    @property
    def counted(self) -> int:
        """Non-equivalent mutants."""
        return self._count("killed", "held out", "survived")

    @property
    def value(self) -> float:
        return self.killed / self.counted if self.counted else 1.0

    @property
    def survivors(self) -> list[Result]:
        return [r for r in self.results if r.status == "survived"]

    def line(self) -> str:
        held = self._count("held out")
        return (
            f"{self.label}: {self.value:.0%} ({self.killed} of {self.counted} non-equivalent mutants killed"
            + (f", {held} only by held-out cases" if held else "")
            + f"; {self._count('equivalent')} equivalent)"
        )


def _same(received, expected, exercise) -> bool:
    from lossbook.exercises.scoring import matches

    if isinstance(expected, float) and isinstance(received, (float, np.floating)) and math.isnan(expected):
        return math.isnan(received)
    try:
        if matches(received, expected, exercise.rtol, exercise.atol):
            return True
        r, e = np.asarray(received, dtype=float), np.asarray(expected, dtype=float)
        return r.shape == e.shape and bool(np.all((np.isnan(r) & np.isnan(e)) | (r == e)))
    except (TypeError, ValueError):
        return False


def _run(function, args):
    from lossbook.exercises.sandbox import call

    with np.errstate(all="ignore"):
        return call(function, args, TIME_LIMIT)


def score(exercise, *, count: int = DRAWS, held_out: bool = True) -> Score:
    """Run every mutant of an implement exercise's reference solution against its cases.

    Parameters
    ----------
    exercise : lossbook.exercises.Exercise
    count : int
        Random inputs per visible case for the search of a difference (:func:`draws`).
    held_out : bool
        Also run the mutants the visible cases accept on the grader's held-out cases.
    """
    from lossbook.exercises import evaluate
    from lossbook.exercises.model import get

    start = time.process_time()
    if get(exercise.label) is not exercise:
        raise ValueError(f"{exercise.label}: score the exercise of the registry, lossbook.exercises.get(label)")
    reference = exercise.reference()
    hidden = []
    if held_out:
        from coursetools.grading_policy import hidden_cases

        hidden = [(case.args, exercise.expected(case)) for case in hidden_cases(exercise, HELD_OUT_KEY)]
    inputs = None
    results = []
    for mutant in mutants(exercise.solution, exercise.function):
        try:
            function = _compile(mutant.source, exercise.function)
        except Exception:  # noqa: BLE001 - a mutant that cannot even be defined is not a mutant
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = evaluate(exercise.label, function, time_limit=TIME_LIMIT)
        if not report.correct:
            results.append(Result(mutant, "killed"))
            continue
        if any(not _passes(_run(function, args), expected, exercise) for args, expected in hidden):
            results.append(Result(mutant, "held out"))
            continue
        if inputs is None:
            inputs = []
            for args in draws(exercise, count):
                outcome = _run(reference, args)
                if outcome.error is None and not outcome.timed_out and not outcome.warnings and _finite(outcome.value):
                    inputs.append((args, outcome.value))
        witness = next((args for args, expected in inputs if not _passes(_run(function, args), expected, exercise)), None)
        results.append(Result(mutant, "equivalent" if witness is None else "survived", witness))
    return Score(exercise.label, tuple(results), time.process_time() - start)


def _finite(value) -> bool:
    if isinstance(value, tuple):
        return all(_finite(v) for v in value)
    try:
        return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
    except (TypeError, ValueError):
        return True


def _passes(outcome, expected, exercise) -> bool:
    return outcome.error is None and not outcome.timed_out and _same(outcome.value, expected, exercise)


# ---------------------------------------------------------------------------
# Single-answer exercises
# ---------------------------------------------------------------------------


def wrong_answers(exercise) -> list[tuple[str, Any]]:
    """Plausible wrong answers to a single-answer exercise: (what it is, the value).

    The exercise's own mistakes and the generic ones it names
    (:func:`lossbook.exercises.model.common_mistakes`); every other choice of
    a one-word answer; and, for a number worked out or predicted (not read
    off a plot, whose tolerance is a reading's), the answer rounded to one
    decimal where that changes it.
    """
    from lossbook.exercises.model import common_mistakes

    case = exercise.cases[0]
    answer = exercise.expected(case)
    found = []
    for mistake in common_mistakes(exercise) + exercise.mistakes:
        try:
            with np.errstate(all="ignore"):
                value = mistake.value(0, answer, case.args)
        except Exception:  # noqa: BLE001 - a mistake that cannot be computed here has no value
            continue
        found.append((f"the mistake {mistake.hint[:60]!r}", value))
    for choice in exercise.choices:
        if choice != answer:
            found.append((f"the choice {choice!r}", choice))
    if exercise.kind != "read a plot" and not exercise.choices:
        rounded = _rounded(answer)
        if rounded is not None:
            found.append(("the answer rounded to one decimal", rounded))
    return found


def _rounded(answer):
    if isinstance(answer, tuple):
        parts = [_rounded(part) for part in answer]
        if all(p is None for p in parts):
            return None
        return tuple(a if p is None else p for a, p in zip(answer, parts))
    if isinstance(answer, str):
        return None
    value = np.asarray(answer, dtype=float)
    rounded = np.round(value, 1)
    if np.array_equal(rounded, value):
        return None
    return float(rounded) if rounded.ndim == 0 else rounded


def learners_view(nb):
    """A chapter as a learner who runs it top to bottom sees it: stored outputs, no solutions.

    The solution dropdowns and the hidden grade cells are removed and every
    answer cell is emptied (the student edition's stub holds no answer); the
    outputs of every other cell, demos of earlier exercises included, stay.
    """
    from coursetools.course import copy as copy_notebook
    from coursetools.course import is_solution_markdown, nbgrader_meta

    nb = copy_notebook(nb)
    cells = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if is_solution_markdown(cell) or meta.get("grade"):
            continue
        if meta.get("solution"):
            cell.source = ""
        cells.append(cell)
    nb.cells = cells
    return nb


def plot_answer_leaks(nb, labels) -> list[str]:
    """Where a read-a-plot exercise's answer is printed or written above its check, in the learner's view.

    The search is :func:`coursetools.release.answer_leaks` (the answer to 2, 3
    and 4 decimals) over :func:`learners_view`.
    """
    from coursetools.release import answer_leaks
    from lossbook.exercises import get

    return answer_leaks(learners_view(nb), [label for label in labels if get(label).kind == "read a plot"])


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


def summary(found: list[Score]) -> str:
    """One line per exercise, and one per surviving mutant under it."""
    lines = []
    for item in found:
        lines.append(item.line())
        lines += [f"    {result.line()}" for result in item.survivors]
    return "\n".join(lines)


def main(argv=None) -> int:
    from lossbook import exercises

    parser = argparse.ArgumentParser(
        prog="python -m coursetools.mutation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("labels", nargs="*", help="exercises to score (every implement exercise when omitted)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every mutant, not only the survivors")
    args = parser.parse_args(argv)
    labels = args.labels or [label for label in exercises.labels() if exercises.get(label).kind == "implement"]
    below = 0
    for label in labels:
        item = score(exercises.get(label))
        print(summary([item]) + f"  [{item.seconds:.1f} s]", flush=True)
        if args.verbose:
            for result in item.results:
                if result.status != "survived":
                    print(f"    {result.line()}")
        below += item.value < FLOOR
    return 1 if below else 0


if __name__ == "__main__":
    raise SystemExit(main())
