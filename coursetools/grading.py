"""Grading: one CSV row per student and exercise, scored where student code cannot reach.

``python -m coursetools.grading SUBMISSIONS --out grades.csv`` (``make grade``)
grades a folder with one sub-folder per student, each holding the student's
chapter notebooks under their released names. For each notebook:

1. The answer cells are found by their nbgrader grade id
   (``<label>-answer``). A duplicated answer cell (a copy and paste) is
   resolved, the last edited copy wins, and reported; a cell that lost its
   metadata is found by the function it defines after the chapter's
   exercises heading; a deleted one scores 0 and is reported. Nothing else in
   the notebook runs: not the chapter, not the check or test cells.
2. The answer cells run in the sandbox (:mod:`coursetools.sandbox`): bubblewrap,
   no network, read-only system and environment, the student build of lossbook
   (no solutions), an empty throwaway workspace, and a wall-clock limit per
   exercise; an exercise that forbids packages runs where they are not
   mounted. Each answer cell is read as IPython reads it, without its
   ``exercises.check``/``hint`` calls, and runs after a prelude of the
   chapter's own imports that it uses and does not bind itself (``np``,
   ``scipy``, ``special`` ...). The student's function is called on the
   exercise's cases and on held-out cases drawn from the grader's secret
   (:mod:`coursetools.grading_policy`), and only the returned values come
   back, as JSON, bounded before this process reads them.
3. This process computes the expected values from the reference solutions and
   compares them (:func:`lossbook.exercises.scoring.matches` with its own
   NumPy). An exercise's score is its points times the fraction of cases that
   pass (with held-out cases, the lower of the visible and the held-out
   fractions), rounded to 2 decimals: between 0 and its points by
   construction.

Nothing a student hands in can stop the class's run. The submissions folder
is walked without following links and to a limited depth; only regular files
below a size cap are read; one notebook per chapter per student is graded (the
extras are reported); each student has a time budget; each notebook is graded
inside its own failure boundary, so that any problem becomes that student's
``failed`` row naming the cause; and the CSV is written to a temporary file,
escaped so that no spreadsheet reads a cell as a formula, and renamed when it
is complete.

The CSV is the record; nbgrader is used to release the student edition only
(no gradebook, no autograde). The message column says why points were lost:
the first failing case and what the function returned or raised, a hint, a
time-out, a forbidden import, a duplicated or missing cell. What the student's
code printed is quoted at the end, marked "not scored".
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import csv
import dataclasses
import json
import os
import stat
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

from coursetools import grading_policy, sandbox, student_package
from coursetools.course import chapters_with_exercises, exercises_heading, grade_cells, read
from coursetools.progress import Progress
from lossbook import exercises
from lossbook.exercises.scoring import diagnose as _diagnose, matches as _matches, show
from lossbook.exercises.model import Opaque, decode, encode

__all__ = [
    "COLUMNS",
    "Submission",
    "Task",
    "find_submissions",
    "survey",
    "chapter_tasks",
    "answers",
    "grade_notebook",
    "grade",
    "main",
    "NOTEBOOK_BYTES",
    "WALK_DEPTH",
    "WALK_ENTRIES",
    "STUDENT_LIMIT",
]

#: Columns of the grades file. ``path`` is the notebook's path relative to the submissions folder.
COLUMNS = ("student", "notebook", "exercise", "points", "max_points", "status", "message", "path")
#: Imports every answer may use without writing them: those the reference solutions run with.
DEFAULT_IMPORTS = ("import numpy as np", "import scipy", "import scipy.special")
_STUB = "raise NotImplementedError()"
#: Largest notebook file read, in bytes.
NOTEBOOK_BYTES = 64 << 20
#: Deepest folder below a student's folder that is looked into.
WALK_DEPTH = 8
#: Most entries (files and folders) looked at in one student's folder.
WALK_ENTRIES = 5_000
#: Most cells of a notebook read.
CELLS = 5_000
#: Wall-clock seconds for all of one student's notebooks.
STUDENT_LIMIT = 300.0
#: What a spreadsheet takes for the start of a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: Defines ``get_ipython`` for an answer whose IPython syntax (%magic, !command) was transformed: nothing runs.
_IPYTHON_STUB = (
    "class _NoShell:\n"
    "    def __getattr__(self, name):\n"
    "        return lambda *args, **kwargs: None\n"
    "def get_ipython():\n"
    "    return _NoShell()"
)


@dataclasses.dataclass
class Submission:
    """One student's notebook, as found in the submissions folder.

    ``relative``: its path relative to the submissions folder. ``problem``: why
    it cannot be read (a symbolic link, not a regular file ...), "" if none.
    """

    student: str
    notebook: str
    path: Path
    relative: str = ""
    problem: str = ""


@dataclasses.dataclass
class Task:
    """One exercise of a chapter, as the grader sees it: cases, their expected values and the rules."""

    exercise: object
    points: float
    cases: tuple
    expected: list
    args: list
    forbidden: tuple

    @property
    def label(self) -> str:
        return self.exercise.label

    @property
    def visible(self) -> int:
        return len(self.exercise.cases)


# ---------------------------------------------------------------------------
# The submissions folder
# ---------------------------------------------------------------------------


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _listing(here: Path, seen: int) -> tuple[list[os.DirEntry], int, str]:
    """One folder's entries, the count of entries seen so far (stopping past :data:`WALK_ENTRIES`), and why the
    folder could not be read ("" if it could)."""
    entries = []
    try:
        with os.scandir(here) as listing:
            for entry in listing:
                seen += 1
                if seen > WALK_ENTRIES:
                    break
                entries.append(entry)
    except OSError as exc:
        return [], seen, f"a folder could not be read ({exc.strerror})"
    return entries, seen, ""


def _notebook_or_folder(entry: os.DirEntry, top: Path, student: str) -> tuple[Submission | None, Path | None]:
    """What one entry of a student's folder is: a notebook (with its problem, if any), a folder to look into, or
    neither. Links are not followed."""
    path = Path(entry.path)
    relative = path.relative_to(top).as_posix()
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        if entry.name.endswith(".ipynb"):
            return Submission(student, path.stem, path, relative, f"not readable ({exc.strerror})"), None
        return None, None
    if entry.name.endswith(".ipynb"):
        problem = "" if stat.S_ISREG(mode) else f"{_kind(mode)}, not a notebook file; not read"
        return Submission(student, path.stem, path, relative, problem), None
    return None, path if stat.S_ISDIR(mode) else None


def _walk(top: Path, folder: Path, student: str) -> tuple[list[Submission], list[str]]:
    """The notebooks under one student's folder (links not followed, depth and entries capped), and notes."""
    found, notes, seen = [], [], 0
    stack = [(folder, 0)]
    while stack:
        here, depth = stack.pop()
        entries, seen, problem = _listing(here, seen)
        if problem:
            notes.append(problem)
            continue
        if seen > WALK_ENTRIES:
            notes.append(f"more than {WALK_ENTRIES} files and folders; the rest were not looked at")
            stack.clear()
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):  # hidden, .ipynb_checkpoints
                continue
            notebook, below = _notebook_or_folder(entry, top, student)
            if notebook is not None:
                found.append(notebook)
            elif below is not None and depth + 1 > WALK_DEPTH:
                notes.append(f"folders deeper than {WALK_DEPTH} levels were not looked into")
            elif below is not None:
                stack.append((below, depth + 1))
    return found, sorted(set(notes))


def find_submissions(folder) -> tuple[list[Submission], list[str]]:
    """The notebooks in ``folder/<student>/``, and the students whose folder holds none.

    Notebooks may sit directly in the student's folder or deeper (nbgrader's
    ``submitted/<student>/<assignment>/`` layout works too). See :func:`survey`
    for what is and is not looked at.
    """
    found, problems = survey(folder)
    return found, [name for name, why in problems if why.startswith("no .ipynb file")]


def survey(folder) -> tuple[list[Submission], list[tuple[str, str]]]:
    """The notebooks in ``folder/<student>/``, and what else the grader reports: (entry name, why).

    Nothing is followed through a symbolic link (a student's folder, a
    sub-folder or a notebook), folders deeper than :data:`WALK_DEPTH` and
    entries beyond :data:`WALK_ENTRIES` are not looked at, and an entry named
    ``*.ipynb`` that is not a regular file is found with its problem. Entries
    of ``folder`` that are not folders, and students without a notebook, are
    reported.
    """
    folder = Path(folder)
    found, empty = [], []
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError as exc:
            empty.append((entry.name, f"not readable ({exc.strerror})"))
            continue
        if not stat.S_ISDIR(mode):
            empty.append(
                (
                    entry.name,
                    f"{_kind(mode) if not stat.S_ISREG(mode) else 'a file'} in the submissions "
                    "folder, not a student's folder; not read",
                )
            )
            continue
        mine, notes = _walk(folder, Path(entry.path), entry.name)
        if not mine:
            empty.append((entry.name, "; ".join(["no .ipynb file in the student's folder", *notes])))
        found.extend(mine)
        if mine and notes:
            empty.append((entry.name, "; ".join(notes)))
    return found, empty


# ---------------------------------------------------------------------------
# What the grader knows about a chapter
# ---------------------------------------------------------------------------


def _imports(nb) -> list[tuple[str, str, str]]:
    """The chapter's top-level imports, one per bound name: (name, module, statement)."""
    found = []
    for source in DEFAULT_IMPORTS + tuple(c.source for c in nb.cells if c.cell_type == "code"):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    found.append((name, alias.name, ast.unparse(ast.Import([alias]))))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    statement = ast.unparse(ast.ImportFrom(node.module, [alias], 0))
                    found.append((alias.asname or alias.name, f"{node.module}.{alias.name}", statement))
    return list(dict.fromkeys(found))


def chapter_tasks(nb, secret: str | None = None) -> dict[str, Task]:
    """The exercises of a chapter (the instructor's notebook), with their cases and expected values.

    ``secret`` seeds the held-out cases (:func:`coursetools.grading_policy.secret` when omitted).
    """
    tasks = {}
    for label, points in grade_cells(nb).items():
        exercise = exercises.get(label)
        cases = tuple(exercise.cases) + grading_policy.hidden_cases(exercise, secret)
        expected = [exercise.expected(case) for case in cases]
        tasks[label] = Task(
            exercise, points, cases, expected, [encode(c.args) for c in cases], grading_policy.forbidden(exercise)
        )
    return tasks


def _banned(module: str, forbidden) -> str:
    return next((f for f in forbidden if module == f or module.startswith(f + ".")), "")


def _own_bindings(tree: ast.AST) -> set[str]:
    """The names an answer binds itself: assigned, defined, or taken as an argument."""
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    bound |= {
        a.arg
        for n in ast.walk(tree)
        if isinstance(n, ast.arguments)
        for a in n.args + n.kwonlyargs + n.posonlyargs + [v for v in (n.vararg, n.kwarg) if v]
    }
    return bound


def _own_imports(tree: ast.AST, forbidden) -> tuple[set[str], str]:
    """The names an answer's own imports bind, and the first forbidden module they import ("" if none)."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _banned(alias.name, forbidden):
                    return set(), _banned(alias.name, forbidden)
                bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                hit = _banned(node.module, forbidden) or _banned(f"{node.module}.{alias.name}", forbidden)
                if hit:
                    return set(), hit
                bound.add(alias.asname or alias.name)
    return bound, ""


def _chapter_imports(imports, used: set[str], bound: set[str], forbidden) -> tuple[list[str], str]:
    """The chapter's import statements an answer uses and does not bind itself, and the first forbidden module
    among them ("" if none)."""
    lines = []
    for name, module, statement in imports:
        if name not in used or name in bound:
            continue
        if _banned(module, forbidden):
            return [], _banned(module, forbidden)
        if statement not in lines:
            lines.append(statement)
    return lines, ""


def _prelude(code: str, imports, forbidden) -> tuple[str, list[str], str]:
    """The prelude an answer needs, the forbidden names it may not use, and the forbidden module it uses ("" if none).

    The answer's own bindings (assignments, definitions, arguments and its own
    imports) are its own: ``from scipy import stats`` is not the chapter's
    ``stats``.
    """
    tree = ast.parse(code)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    imported, blocked = _own_imports(tree, forbidden)
    if blocked:
        return "", [], blocked
    bound = _own_bindings(tree) | imported
    lines, blocked = _chapter_imports(imports, used, bound, forbidden)
    if blocked:
        return "", [], blocked
    if "scipy" in used:
        lines += [s for s in DEFAULT_IMPORTS if s.startswith("import scipy") and s not in lines]
    if "get_ipython" in used and "get_ipython" not in bound:
        lines.append(_IPYTHON_STUB)
    names = sorted({name for name, module, _ in imports if _banned(module, forbidden)} - bound)
    return "\n".join(lines), names, ""


#: Calls of lossbook's notebook helpers that an answer cell may hold; the grader drops them.
_HELPERS = ("check", "hint", "solution")


def _is_helper_call(node) -> bool:
    call = node.value if isinstance(node, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in _HELPERS
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "exercises"
    )


def _as_graded(code: str) -> str:
    """The answer as the grader runs it: IPython syntax transformed, ``exercises.check``/``hint`` calls dropped.

    Raises ValueError (with the reason) for text that is not valid Unicode, and
    SyntaxError for code that does not parse.
    """
    try:
        code.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the answer cell holds text that is not valid Unicode (a lone surrogate)") from None
    if any(line.lstrip().startswith(("%", "!")) or line.rstrip().endswith("?") for line in code.splitlines()):
        from IPython.core.inputtransformer2 import TransformerManager

        try:
            code = TransformerManager().transform_cell(code)
        except Exception:  # noqa: BLE001 - left as it is; parsing it says what is wrong
            pass
    tree = ast.parse(code)
    calls = [n for n in ast.walk(tree) if _is_helper_call(n)]
    if not calls:
        return code
    lines = code.encode("utf-8").splitlines(keepends=True)
    for node in sorted(calls, key=lambda n: n.lineno, reverse=True):
        first, last = node.lineno - 1, node.end_lineno - 1
        before, after = lines[first][: node.col_offset], lines[last][node.end_col_offset :]
        if before.strip() or after.strip() and not after.strip().startswith(b"#"):
            continue  # shares its line with other code: left alone
        lines[first] = before + b"pass\n"
        for index in range(first + 1, last + 1):
            lines[index] = b"\n"
    return b"".join(lines).decode("utf-8")


def _untouched(code: str, function: str) -> bool:
    """True for the released stub: only ``def function(...)`` whose body is a docstring and ``raise NotImplementedError``.

    Such a cell needs no sandbox: it is not answered yet.
    """
    try:
        tree = ast.parse(code)
    except Exception:  # noqa: BLE001 - not the stub; the sandbox says what is wrong
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].name != function:
        return False
    body = tree.body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or tree.body[0].decorator_list:
        return False
    raised = body[0].exc
    raised = raised.func if isinstance(raised, ast.Call) and not raised.args and not raised.keywords else raised
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError" and body[0].cause is None


# ---------------------------------------------------------------------------
# A submission's answers
# ---------------------------------------------------------------------------


def _readable(path: Path, folder: Path | None = None):
    """The notebook, or why it is not one (a string).

    Only a regular file (not followed through a symbolic link) inside
    ``folder`` (the student's folder), of at most :data:`NOTEBOOK_BYTES`, is
    read.
    """
    import nbformat

    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return f"not read: {'a symbolic link' if os.path.islink(path) else exc.strerror}"
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return f"not read: {_kind(info.st_mode)}, not a notebook file"
        if info.st_size > NOTEBOOK_BYTES:
            return f"not read: the file has {info.st_size:,} bytes, more than the {NOTEBOOK_BYTES:,} a notebook may have"
        if folder is not None and not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder)):
            return "not read: the file is outside the student's folder"
        with os.fdopen(descriptor, "rb", closefd=False) as fh:
            raw = fh.read(NOTEBOOK_BYTES + 1)
    finally:
        os.close(descriptor)
    if len(raw) > NOTEBOOK_BYTES:
        return f"not read: the file has more than the {NOTEBOOK_BYTES:,} bytes a notebook may have"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"not a notebook: the file is not UTF-8 text ({exc.reason})"
    except json.JSONDecodeError as exc:
        return f"not a notebook: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
    except (RecursionError, MemoryError, ValueError):
        return "not a notebook: JSON nested too deeply or too large to read"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return "not a notebook: no list of cells"
    cells = []
    for cell in data["cells"][:CELLS]:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        meta = metadata.get("nbgrader")
        nbgrader = (
            {k: v for k, v in meta.items() if isinstance(k, str) and isinstance(v, (str, bool, int, float))}
            if isinstance(meta, dict)
            else {}
        )
        cells.append(
            nbformat.from_dict(
                {
                    "cell_type": str(cell.get("cell_type", "")),
                    "source": source,
                    "metadata": {"nbgrader": nbgrader} if nbgrader else {},
                }
            )
        )
    return nbformat.from_dict({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _defines(source: str, function: str) -> bool:
    try:
        tree = ast.parse(source)
    except Exception:  # noqa: BLE001 - code that cannot be parsed defines nothing
        return False
    return any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body)


def answers(nb, tasks: dict[str, Task]) -> dict[str, tuple[str | None, list[str]]]:
    """Each exercise's answer code (None when there is none) and notes about how it was found."""
    found = {}
    start = exercises_heading(nb) or 0
    for label, task in tasks.items():
        notes = []
        cells = [c for c in nb.cells if c.cell_type == "code" and _meta(c).get("grade_id") == f"{label}-answer"]
        if len(cells) > 1:
            edited = [c for c in cells if _STUB not in c.source] or cells
            notes.append(f"the answer cell appears {len(cells)} times (a copy?); the last edited copy was graded")
            cells = edited[-1:]
        if not cells:
            function = task.exercise.function
            cells = [
                c
                for c in nb.cells[start:]
                if c.cell_type == "code" and not _meta(c).get("grade") and _defines(c.source, function)
            ][-1:]
            if cells:
                notes.append(f"the answer cell lost its nbgrader metadata; graded the cell that defines `{function}`")
            else:
                notes.append("answer cell deleted from the submission")
        found[label] = (cells[0].source if cells else None, notes)
    return found


# ---------------------------------------------------------------------------
# Scoring, in this process
# ---------------------------------------------------------------------------


def _received(case: dict) -> str:
    if case.get("timeout"):
        return "nothing: the call did not finish in time (an endless loop?)"
    if "error" in case:
        line = f" (at `{case['line']}`)" if case.get("line") else ""
        return f"{str(case['error'])[:200]}{line}"
    value = decode(case.get("value"))
    return f"{value!r}"[:200] if isinstance(value, Opaque) else show(value)[:200]


def _passes(task: Task, index: int, case) -> bool:
    if case is None or "value" not in case:
        return False
    try:
        return bool(_matches(decode(case["value"]), task.expected[index], task.exercise.rtol, task.exercise.atol))
    except Exception:  # noqa: BLE001 - a value the comparison cannot take matches nothing
        return False


#: Added to a NameError: what an answer cell may use from its chapter.
_NAME_ERROR_ADVICE = "; an answer cell may use the chapter's imports (np, scipy ...) but nothing else the chapter defines"


def _not_scored(task: Task, code: str | None, result, blocked: str, limit: float, student_limit: float) -> str | None:
    """Why the exercise's cases are not scored (no answer, a forbidden module, a failing cell, not run), or None
    when they are."""
    if code is None:
        return "not answered: no answer cell"
    if blocked:
        return f"uses `{blocked}`, which this exercise does not allow: it asks you to implement it yourself with NumPy and SciPy"
    if result is None:
        return "not graded"
    if result.unanswered:
        return f"not answered yet (`{task.exercise.function}` still raises NotImplementedError)"
    if result.error and not result.defined:
        where = f" (at `{result.line}`)" if result.line else ""
        message = f"the answer cell fails: {result.error}{where}"
        return message + _NAME_ERROR_ADVICE if result.error.startswith("NameError") else message
    if not result.defined and (result.budget or result.flooded or result.stopped):
        return _why_not_run(result, limit, student_limit)
    return None


def _tally(task: Task, result) -> tuple[int, int, int | None]:
    """The visible and the held-out cases that pass, and the index of the first case that fails (None if none)."""
    passed_visible = passed_hidden = 0
    first = None
    for index in range(len(task.cases)):
        if _passes(task, index, result.cases.get(index)):
            if index < task.visible:
                passed_visible += 1
            else:
                passed_hidden += 1
        elif first is None:
            first = index
    return passed_visible, passed_hidden, first


def _cases_passed(task: Task, passed_visible: int, passed_hidden: int) -> str:
    """How many cases pass, in words, with both shares when the visible and held-out ones differ."""
    total, visible = len(task.cases), task.visible
    hidden, passed = total - visible, passed_visible + passed_hidden
    cases = f"{passed} of {total} cases pass" if total > 1 else ("correct" if passed else "incorrect")
    if hidden and passed_visible * hidden != passed_hidden * visible:
        cases += f" ({passed_visible} of {visible} shown, {passed_hidden} of {hidden} held out; the score takes the lower share)"
    return cases


def _hint(task: Task, index: int, value) -> str:
    """The diagnosis of the wrong value (as the sandbox sent it) returned for case ``index``; "" if there is none."""
    visible = task.visible
    try:
        return _diagnose(task.exercise, task.cases[index], task.expected[index], decode(value), index if index < visible else -1)
    except Exception:  # noqa: BLE001 - no hint for a value the diagnosis cannot take
        return ""


def _first_failure(task: Task, result, first: int, limit: float, student_limit: float) -> str:
    """The first failing case and what it received (a value, an error, nothing), with a hint where there is one."""
    visible = task.visible
    which = f"case {first + 1}" if first < visible else f"held-out case {first - visible + 1}"
    case = result.cases.get(first)
    if case is None:
        return f"{which} {_why_not_run(result, limit, student_limit)}"
    message = f"{which} received {_received(case)}"
    if str(case.get("error", "")).startswith("NameError"):
        message += _NAME_ERROR_ADVICE
    if "value" in case:
        advice = _hint(task, first, case["value"])
        if advice:
            message += f". Hint: {advice}"
    return message


def _share(task: Task, passed_visible: int, passed_hidden: int) -> float:
    """The share of the points earned: of all cases, or the lower of the visible and held-out shares."""
    total, visible = len(task.cases), task.visible
    hidden = total - visible
    if not total:
        return 0.0
    if hidden:
        return min(passed_visible / visible, passed_hidden / hidden)
    return (passed_visible + passed_hidden) / total


def _score(
    task: Task,
    code: str | None,
    notes: list[str],
    result,
    blocked: str,
    limit: float = sandbox.EXERCISE_LIMIT,
    student_limit: float = STUDENT_LIMIT,
) -> tuple[float, str]:
    """Points and message of one exercise.

    With held-out cases, the score is the points times the lower of two
    shares: the visible cases that pass and the held-out cases that pass. A
    table of the visible answers scores 0; a function that misses one edge
    case the statement shows loses its share.
    """
    passed_visible = passed_hidden = 0
    message = _not_scored(task, code, result, blocked, limit, student_limit)
    if message is None:
        passed_visible, passed_hidden, first = _tally(task, result)
        cases = _cases_passed(task, passed_visible, passed_hidden)
        if first is None:
            message = "" if passed_visible + passed_hidden == len(task.cases) else cases
        else:
            message = f"{cases}; {_first_failure(task, result, first, limit, student_limit)}"
    if result is not None and result.output_chars:
        text = " ".join(result.output.split())[:120]
        message += f" [student output, not scored: {json.dumps(text, ensure_ascii=False)}]"
    score = min(max(round(task.points * _share(task, passed_visible, passed_hidden), 2), 0.0), task.points)
    return score, "; ".join(p for p in [message.strip(), *notes] if p)


def _why_not_run(result, limit: float, student_limit: float) -> str:
    if result.budget:
        return f"not run: the student's time budget of {student_limit:g} s for all notebooks ran out"
    if result.flooded:
        return f"not run: the answer sent more than {sandbox.OUTPUT_BYTES:,} bytes back, and its sandbox was stopped"
    if result.stopped:
        return f"not run: the exercise was stopped at its time limit of {limit:g} s (an endless loop?)"
    return f"not run{': ' + result.error if result.error else ''}"


def grade_notebook(
    nb,
    tasks: dict[str, Task],
    imports,
    lossbook_dir: Path,
    *,
    exercise_limit: float = sandbox.EXERCISE_LIMIT,
    deadline: float | None = None,
    student_limit: float = STUDENT_LIMIT,
) -> dict[str, tuple[float, str]]:
    """Score one notebook: exercise label -> (points, message).

    ``deadline`` (a :func:`time.monotonic` time) stops the notebook's sandbox
    when the student's time budget runs out.
    """
    found = answers(nb, tasks)
    jobs, blocked, failures = [], {}, {}
    for label, task in tasks.items():
        code, notes = found[label]
        if code is None:
            continue
        if _untouched(code, task.exercise.function):
            failures[label] = sandbox.Result(label, defined=True, unanswered=True, done=True)
            continue
        try:
            code = _as_graded(code)
            prelude, names, blocked[label] = _prelude(code, imports, task.forbidden)
        except SyntaxError as exc:
            failures[label] = sandbox.Result(
                label, error=f"SyntaxError: {exc.msg} (line {exc.lineno})", line=(exc.text or "").strip()[:200], done=True
            )
            continue
        except (ValueError, MemoryError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) and str(exc) else f"{type(exc).__name__} while reading it"
            failures[label] = sandbox.Result(label, error=reason[:300], done=True)
            continue
        if blocked[label]:
            continue
        jobs.append(
            {
                "label": label,
                "function": task.exercise.function,
                "code": code,
                "prelude": prelude,
                "forbidden": list(task.forbidden),
                "forbidden_names": names,
                "cases": task.args,
            }
        )
    # Exercises that forbid modules run first, in a sandbox of their own without those modules.
    jobs.sort(key=lambda job: not job["forbidden"])
    results = (
        sandbox.run(
            lossbook_dir,
            jobs,
            exercise_limit=exercise_limit,
            call_limit=min(sandbox.CALL_LIMIT, exercise_limit / 2),
            deadline=deadline,
        )
        if jobs
        else {}
    )
    results.update(failures)
    return {
        label: _score(
            task, found[label][0], found[label][1], results.get(label), blocked.get(label, ""), exercise_limit, student_limit
        )
        for label, task in tasks.items()
    }


# ---------------------------------------------------------------------------
# Output that cannot fail or inject
# ---------------------------------------------------------------------------


def _clean(text) -> str:
    """Text safe in a CSV cell: encodable, without control or format characters, never read as a formula."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(
        ch if unicodedata.category(ch) not in ("Cc", "Cf") else ("" if unicodedata.category(ch) == "Cf" else ascii(ch)[1:-1])
        for ch in text
    )
    return "'" + text if text.startswith(_FORMULA) else text


def _shown(name: str) -> str:
    """A student-chosen name as the terminal shows it: as is when plain, else escaped (``ascii``)."""
    return name if name.isprintable() and _clean(name) == name else ascii(name)


# ---------------------------------------------------------------------------
# A class
# ---------------------------------------------------------------------------


def _row(student, relative, stem, label, points, max_points, status, message) -> dict:
    return {
        "student": student,
        "notebook": stem,
        "exercise": label,
        "points": "" if points is None else f"{points:g}",
        "max_points": "" if max_points is None else f"{max_points:g}",
        "status": status,
        "message": message,
        "path": relative,
    }


def _choose(copies: list[Submission]) -> tuple[Submission, list[Submission]]:
    """The copy of a chapter to grade (readable first, then the shallowest, then by name) and the others."""
    ordered = sorted(copies, key=lambda s: (bool(s.problem), s.relative.count("/"), s.relative))
    return ordered[0], ordered[1:]


def _grader_paths(course: Path, root: Path) -> list[tuple[str, str]]:
    """The grader's own paths, longest first, and what a message that quotes one (a traceback, a file name) shows
    instead: they are not the student's business."""
    return sorted(
        {str(course): "<grader>", sys.prefix: "<python>", str(root): "<course>"}.items(), key=lambda item: -len(item[0])
    )


@dataclasses.dataclass
class _ClassGrading:
    """What the students graded at the same time share: the chapters, their tasks (made on first use), the
    student build of lossbook and the limits."""

    sources: dict  # chapter name: the instructor's notebook
    secret: str
    lossbook_dir: Path
    top: Path  # the submissions folder
    hosts: list[tuple[str, str]]
    exercise_limit: float
    student_limit: float
    tasks: dict = dataclasses.field(default_factory=dict)
    imports: dict = dataclasses.field(default_factory=dict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def prepare(self, stem: str) -> None:
        """Make the chapter's tasks and imports on first use (a chapter nobody submitted costs nothing)."""
        with self.lock:
            if stem not in self.tasks:
                self.imports[stem] = _imports(self.sources[stem])
                self.tasks[stem] = chapter_tasks(self.sources[stem], self.secret)

    def exercise_rows(self, sub: Submission, status: str, scored, note: str = "") -> list[dict]:
        """One row per exercise of the notebook: its scores (a dict), or one message for all (a string)."""
        rows = []
        for label, task in self.tasks[sub.notebook].items():
            points, message = scored[label] if isinstance(scored, dict) else (None, scored)
            message = "; ".join(m for m in (message, note) if m)
            for path, name in self.hosts:
                message = message.replace(path, name)
            rows.append(_row(sub.student, sub.relative, sub.notebook, label, points, task.points, status, message))
        return rows

    def student_rows(self, item: tuple[str, list[Submission]]) -> list[dict]:
        """The rows of one student: (student, notebooks found), graded chapter by chapter within one time budget."""
        student, subs = item
        mine: list[dict] = []
        deadline = time.monotonic() + self.student_limit
        copies: dict[str, list[Submission]] = {}
        for sub in subs:
            if sub.notebook not in self.sources:
                mine.append(
                    _row(
                        student,
                        sub.relative,
                        sub.notebook,
                        "",
                        None,
                        None,
                        "failed",
                        f"unknown notebook name {sub.path.name!r}; expected one of "
                        + ", ".join(f"{s}.ipynb" for s in self.sources),
                    )
                )
            else:
                copies.setdefault(sub.notebook, []).append(sub)
        for stem in sorted(copies):
            mine += self.chapter_rows(student, stem, copies[stem], deadline)
        return mine

    def chapter_rows(self, student: str, stem: str, copies: list[Submission], deadline: float) -> list[dict]:
        """The rows of one student's chapter: the copy graded, inside its own failure boundary, and the others."""
        sub, extras = _choose(copies)
        try:
            self.prepare(stem)
        except Exception as exc:  # noqa: BLE001 - the course's own chapter is at fault: say so, go on
            return [
                _row(
                    student,
                    sub.relative,
                    stem,
                    "",
                    None,
                    None,
                    "failed",
                    f"the grader could not prepare {stem}: {type(exc).__name__}: {str(exc)[:200]}",
                )
            ]
        note = (
            f"{len(extras)} other cop{'y' if len(extras) == 1 else 'ies'} of this chapter in the folder not graded"
            if extras
            else ""
        )
        rows = [
            _row(
                student,
                extra.relative,
                stem,
                "",
                None,
                None,
                "skipped",
                f"another copy of {stem}; only one notebook per chapter is graded "
                f"({sub.relative}){'; ' + extra.problem if extra.problem else ''}",
            )
            for extra in extras
        ]
        try:
            rows += self.notebook_rows(sub, deadline, note)
        except Exception as exc:  # noqa: BLE001 - whatever goes wrong stays with this student's notebook
            rows += self.exercise_rows(
                sub, "failed", f"the grader could not grade this notebook: {type(exc).__name__}: {str(exc)[:200]}", note
            )
        return rows

    def notebook_rows(self, sub: Submission, deadline: float, note: str) -> list[dict]:
        """The rows of the copy graded: its scores, or why it was not graded (unreadable, out of time, no notebook)."""
        if sub.problem:
            return self.exercise_rows(sub, "failed", sub.problem, note)
        if time.monotonic() >= deadline:
            return self.exercise_rows(
                sub,
                "failed",
                f"not graded: the student's time budget of {self.student_limit:g} s was used by the notebooks before this one",
                note,
            )
        nb = _readable(sub.path, self.top / sub.student)
        if isinstance(nb, str):
            return self.exercise_rows(sub, "failed", nb, note)
        scored = grade_notebook(
            nb,
            self.tasks[sub.notebook],
            self.imports[sub.notebook],
            self.lossbook_dir,
            exercise_limit=self.exercise_limit,
            deadline=deadline,
            student_limit=self.student_limit,
        )
        return self.exercise_rows(sub, "graded", scored, note)


def grade(
    submissions,
    out="grades.csv",
    *,
    root=".",
    course="_build/grading",
    exercise_limit: float = sandbox.EXERCISE_LIMIT,
    jobs: int = 2,
    log=print,
    secret: str | None = None,
    student_limit: float = STUDENT_LIMIT,
) -> list[dict]:
    """Grade every student's notebooks and write one CSV row per student and exercise.

    Parameters
    ----------
    submissions : path
        A folder with one sub-folder per student, named by the student's id.
    out : path
        The CSV file to write (columns :data:`COLUMNS`), replaced only once complete.
    root : path
        The course repository, whose chapters define the exercises.
    course : path
        A working folder of the grader: the student build of lossbook that the
        sandbox mounts is written there.
    exercise_limit : float
        Wall-clock seconds per exercise in the sandbox.
    jobs : int
        Sandboxes run at the same time (students graded at the same time).
    secret : str, optional
        Seeds the held-out cases; :func:`coursetools.grading_policy.secret` when omitted.
    student_limit : float
        Wall-clock seconds for all of one student's notebooks.

    Returns
    -------
    list of dict
        The rows written, their text cleaned as in the file.
    """
    problem = sandbox.why_unavailable()
    if problem:
        raise RuntimeError(f"cannot grade: {problem}. Student code is only ever run inside the sandbox.")
    started = time.monotonic()
    root, course = Path(root).resolve(), Path(course).resolve()
    chapters = {p.stem: p for p in chapters_with_exercises(root)}
    sources = {stem: read(path) for stem, path in chapters.items()}
    secret = grading_policy.secret() if secret is None else secret
    lossbook_dir = student_package.build(course, root=root)
    top = Path(submissions)
    found, empty = survey(top)
    rows = [_row(student, student, "", "", None, None, "failed", why) for student, why in empty]
    by_student: dict[str, list[Submission]] = {}
    for sub in found:
        by_student.setdefault(sub.student, []).append(sub)
    log(f"grading {len(found)} notebooks of {len(by_student)} students in the sandbox ({sandbox.isolation()}) ...")
    grading = _ClassGrading(sources, secret, lossbook_dir, top, _grader_paths(course, root), exercise_limit, student_limit)
    with (
        concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
        Progress(len(by_student), "students") as bar,
    ):  # on stderr, for runs longer than a few seconds
        for mine in pool.map(grading.student_rows, sorted(by_student.items())):
            rows.extend(mine)
            bar.update()

    rows = [
        {key: (_clean(value) if key not in ("points", "max_points") else value) for key, value in row.items()} for row in rows
    ]
    rows.sort(key=lambda r: (r["student"], r["notebook"], r["path"]))
    _write(rows, Path(out))
    _summary(rows, out, log)
    log(f"graded in {time.monotonic() - started:.0f} s")
    return rows


def _write(rows: list[dict], out: Path) -> None:
    """Write the CSV next to ``out`` under a temporary name and rename it: ``out`` is never left half-written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8", errors="backslashreplace") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _summary(rows, out, log) -> None:
    students = sorted({r["student"] for r in rows})
    for student in students[:50]:
        mine = [r for r in rows if r["student"] == student]
        got = sum(float(r["points"] or 0) for r in mine)
        full = sum(float(r["max_points"] or 0) for r in mine)
        failed = sorted({r["notebook"] or "(folder)" for r in mine if r["status"] == "failed"})
        note = f"; not graded: {', '.join(_shown(f) for f in failed)}" if failed else ""
        log(f"  {_shown(student)}: {got:g} of {full:g} points{note}")
    if len(students) > 50:
        log(f"  ... and {len(students) - 50} more students")
    log(f"wrote {out} ({len(rows)} rows, {len(students)} students)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursetools.grading", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("submissions", help="folder with one sub-folder of notebooks per student")
    parser.add_argument("--out", default="grades.csv", help="CSV file to write (default: %(default)s)")
    parser.add_argument("--course", default="_build/grading", help="the grader's working folder (default: %(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=sandbox.EXERCISE_LIMIT, help="seconds per exercise in the sandbox (default: %(default)s)"
    )
    parser.add_argument(
        "--student-timeout",
        type=float,
        default=STUDENT_LIMIT,
        help="seconds for all of one student's notebooks (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="sandboxes at the same time (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not Path(args.submissions).is_dir():
        print(f"{ascii(args.submissions)}: not a folder; pass the folder with one sub-folder per student", file=sys.stderr)
        return 2
    try:
        grade(
            args.submissions,
            args.out,
            root=Path.cwd(),
            course=args.course,
            exercise_limit=args.timeout,
            jobs=args.jobs,
            student_limit=args.student_timeout,
        )
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
