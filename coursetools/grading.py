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
   exercise. Each answer cell runs after a prelude of the chapter's own imports
   that it uses (``np``, ``scipy``, ``special`` ...). The student's function is
   called on the exercise's cases and on held-out cases
   (:mod:`coursetools.grading_policy`), and only the returned values come back,
   as JSON.
3. This process computes the expected values from the reference solutions and
   compares them (:func:`lossbook.exercises.feedback._matches` with its own
   NumPy). An exercise's score is its points times the fraction of cases that
   pass, rounded to 2 decimals: between 0 and its points by construction.

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
import sys
import time
from pathlib import Path

from coursetools import grading_policy, sandbox, student_package
from coursetools.course import chapters_with_exercises, exercises_heading, grade_cells, nbgrader_meta, read
from lossbook import exercises
from lossbook.exercises.feedback import _diagnose, _matches, show
from lossbook.exercises.model import Opaque, decode, encode

__all__ = ["COLUMNS", "Submission", "Task", "find_submissions", "chapter_tasks", "answers", "grade_notebook",
           "grade", "main"]

#: Columns of the grades file.
COLUMNS = ("student", "notebook", "exercise", "points", "max_points", "status", "message")
#: Imports every answer may use without writing them: those the reference solutions run with.
DEFAULT_IMPORTS = ("import numpy as np", "import scipy", "import scipy.special")
_STUB = "raise NotImplementedError()"


@dataclasses.dataclass
class Submission:
    """One student's notebook, as found in the submissions folder."""

    student: str
    notebook: str
    path: Path


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


def find_submissions(folder) -> tuple[list[Submission], list[str]]:
    """The notebooks in ``folder/<student>/``, and the students whose folder holds none.

    Notebooks may sit directly in the student's folder or deeper (nbgrader's
    ``submitted/<student>/<assignment>/`` layout works too).
    """
    folder = Path(folder)
    found, empty = [], []
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        paths = sorted(p for p in student.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        if not paths:
            empty.append(student.name)
        found.extend(Submission(student.name, p.stem, p) for p in paths)
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


def chapter_tasks(nb) -> dict[str, Task]:
    """The exercises of a chapter (the instructor's notebook), with their cases and expected values."""
    tasks = {}
    for label, points in grade_cells(nb).items():
        exercise = exercises.get(label)
        cases = tuple(exercise.cases) + grading_policy.hidden_cases(exercise)
        expected = [exercise.expected(case) for case in cases]
        tasks[label] = Task(exercise, points, cases, expected, [encode(c.args) for c in cases],
                            grading_policy.forbidden(exercise))
    return tasks


def _banned(module: str, forbidden) -> str:
    return next((f for f in forbidden if module == f or module.startswith(f + ".")), "")


def _prelude(code: str, imports, forbidden) -> tuple[str, list[str], str]:
    """The prelude an answer needs, the forbidden names it may not use, and the forbidden module it uses ("" if none)."""
    tree = ast.parse(code)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
              for a in n.args + n.kwonlyargs + n.posonlyargs}
    for node in ast.walk(tree):  # the answer's own imports
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _banned(alias.name, forbidden):
                    return "", [], _banned(alias.name, forbidden)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                hit = _banned(node.module, forbidden) or _banned(f"{node.module}.{alias.name}", forbidden)
                if hit:
                    return "", [], hit
    lines, names = [], []
    for name, module, statement in imports:
        if name not in used:
            continue
        if _banned(module, forbidden):
            if name not in bound:
                return "", [], _banned(module, forbidden)
            continue
        if statement not in lines:
            lines.append(statement)
    if "scipy" in used:
        lines += [s for s in DEFAULT_IMPORTS if s.startswith("import scipy") and s not in lines]
    names = sorted({name for name, module, _ in imports if _banned(module, forbidden)} - bound)
    return "\n".join(lines), names, ""


# ---------------------------------------------------------------------------
# A submission's answers
# ---------------------------------------------------------------------------


def _readable(path: Path):
    """The notebook, or why it is not one (a string)."""
    import nbformat

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except UnicodeDecodeError as exc:
        return f"not a notebook: the file is not UTF-8 text ({exc.reason})"
    except json.JSONDecodeError as exc:
        return f"not a notebook: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return "not a notebook: no list of cells"
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        cells.append(nbformat.from_dict({"cell_type": str(cell.get("cell_type", "")), "source": source,
                                         "metadata": metadata}))
    return nbformat.from_dict({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _defines(source: str, function: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body)


def answers(nb, tasks: dict[str, Task]) -> dict[str, tuple[str | None, list[str]]]:
    """Each exercise's answer code (None when there is none) and notes about how it was found."""
    found = {}
    start = exercises_heading(nb) or 0
    for label, task in tasks.items():
        notes = []
        cells = [c for c in nb.cells
                 if c.cell_type == "code" and nbgrader_meta(c).get("grade_id") == f"{label}-answer"]
        if len(cells) > 1:
            edited = [c for c in cells if _STUB not in c.source] or cells
            notes.append(f"the answer cell appears {len(cells)} times (a copy?); the last edited copy was graded")
            cells = edited[-1:]
        if not cells:
            function = task.exercise.function
            cells = [c for c in nb.cells[start:] if c.cell_type == "code" and not nbgrader_meta(c).get("grade")
                     and _defines(c.source, function)][-1:]
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
    return f"{value!r}" if isinstance(value, Opaque) else show(value)[:200]


def _score(task: Task, code: str | None, notes: list[str], result, blocked: str,
           limit: float = sandbox.EXERCISE_LIMIT) -> tuple[float, str]:
    """Points and message of one exercise."""
    exercise, total = task.exercise, len(task.cases)
    visible = len(exercise.cases)
    passed, first = 0, None
    message = ""
    if code is None:
        message = "not answered: no answer cell"
    elif blocked:
        message = (f"uses `{blocked}`, which this exercise does not allow: it asks you to implement it yourself "
                   "with NumPy and SciPy")
    elif result is None:
        message = "not graded"
    elif result.unanswered:
        message = f"not answered yet (`{exercise.function}` still raises NotImplementedError)"
    elif result.error and not result.defined:
        where = f" (at `{result.line}`)" if result.line else ""
        message = f"the answer cell fails: {result.error}{where}"
        if result.error.startswith("NameError"):
            message += ("; an answer cell may use the chapter's imports (np, scipy ...) but nothing else the "
                        "chapter defines")
    else:
        for index in range(total):
            case = result.cases.get(index)
            ok = (case is not None and "value" in case
                  and _matches(decode(case["value"]), task.expected[index], exercise.rtol, exercise.atol))
            if ok:
                passed += 1
            elif first is None:
                first = index
        cases = f"{passed} of {total} cases pass" if total > 1 else ("correct" if passed else "incorrect")
        if first is None:
            message = "" if passed == total else cases
        else:
            which = f"case {first + 1}" if first < visible else f"held-out case {first - visible + 1}"
            case = result.cases.get(first)
            if case is None:
                why = (f"not run: the exercise was stopped at its time limit of {limit:g} s (an endless loop?)"
                       if result.stopped
                       else f"not run{': ' + result.error if result.error else ''}")
                message = f"{cases}; {which} {why}"
            else:
                message = f"{cases}; {which} received {_received(case)}"
                if str(case.get("error", "")).startswith("NameError"):
                    message += ("; an answer cell may use the chapter's imports (np, scipy ...) but nothing else "
                                "the chapter defines")
                if "value" in case:
                    advice = _diagnose(exercise, task.cases[first], task.expected[first], decode(case["value"]),
                                       first if first < visible else -1)
                    if advice:
                        message += f". Hint: {advice}"
    if result is not None and result.output_chars:
        text = " ".join(result.output.split())[:120]
        message += f" [student output, not scored: {json.dumps(text, ensure_ascii=False)}]"
    score = round(task.points * passed / total, 2) if total else 0.0
    score = min(max(score, 0.0), task.points)
    return score, "; ".join(p for p in [message.strip(), *notes] if p)


def grade_notebook(nb, tasks: dict[str, Task], imports, lossbook_dir: Path, *,
                   exercise_limit: float = sandbox.EXERCISE_LIMIT) -> dict[str, tuple[float, str]]:
    """Score one notebook: exercise label -> (points, message)."""
    found = answers(nb, tasks)
    jobs, blocked, failures = [], {}, {}
    for label, task in tasks.items():
        code, notes = found[label]
        if code is None:
            continue
        try:
            prelude, names, blocked[label] = _prelude(code, imports, task.forbidden)
        except SyntaxError as exc:
            failures[label] = sandbox.Result(label, error=f"SyntaxError: {exc.msg} (line {exc.lineno})",
                                             line=(exc.text or "").strip(), done=True)
            continue
        if blocked[label]:
            continue
        jobs.append({"label": label, "function": task.exercise.function, "code": code, "prelude": prelude,
                     "forbidden": list(task.forbidden), "forbidden_names": names, "cases": task.args})
    # Exercises that forbid modules run first, before another answer can have imported them.
    jobs.sort(key=lambda job: not job["forbidden"])
    results = sandbox.run(lossbook_dir, jobs, exercise_limit=exercise_limit,
                          call_limit=min(sandbox.CALL_LIMIT, exercise_limit / 2)) if jobs else {}
    results.update(failures)
    return {label: _score(task, found[label][0], found[label][1], results.get(label), blocked.get(label, ""),
                          exercise_limit)
            for label, task in tasks.items()}


# ---------------------------------------------------------------------------
# A class
# ---------------------------------------------------------------------------


def grade(submissions, out="grades.csv", *, root=".", course="_build/grading",
          exercise_limit: float = sandbox.EXERCISE_LIMIT, jobs: int = 2, log=print) -> list[dict]:
    """Grade every student's notebooks and write one CSV row per student and exercise.

    Parameters
    ----------
    submissions : path
        A folder with one sub-folder per student, named by the student's id.
    out : path
        The CSV file to write (columns :data:`COLUMNS`).
    root : path
        The course repository, whose chapters define the exercises.
    course : path
        A working folder of the grader: the student build of lossbook that the
        sandbox mounts is written there.
    exercise_limit : float
        Wall-clock seconds per exercise in the sandbox.
    jobs : int
        Sandboxes run at the same time.

    Returns
    -------
    list of dict
        The rows written.
    """
    problem = sandbox.why_unavailable()
    if problem:
        raise RuntimeError(f"cannot grade: {problem}. Student code is only ever run inside the sandbox.")
    started = time.monotonic()
    root, course = Path(root).resolve(), Path(course).resolve()
    chapters = {p.stem: p for p in chapters_with_exercises(root)}
    sources = {stem: read(path) for stem, path in chapters.items()}
    lossbook_dir = student_package.build(course, root=root)
    found, empty = find_submissions(submissions)
    rows: list[dict] = []
    tasks, imports = {}, {}

    def add_rows(student, stem, status, scored):
        for label, task in tasks[stem].items():
            points, message = scored[label] if isinstance(scored, dict) else (None, scored)
            rows.append({
                "student": student, "notebook": stem, "exercise": label,
                "points": "" if points is None else f"{points:g}", "max_points": f"{task.points:g}",
                "status": status, "message": message,
            })

    for student in empty:
        rows.append({"student": student, "notebook": "", "exercise": "", "points": "", "max_points": "",
                     "status": "failed", "message": "no .ipynb file in the student's folder"})
    work = []
    for sub in found:
        if sub.notebook not in chapters:
            rows.append({"student": sub.student, "notebook": sub.notebook, "exercise": "", "points": "",
                         "max_points": "", "status": "failed",
                         "message": f"unknown notebook name {sub.path.name!r}; expected one of "
                                    + ", ".join(f"{s}.ipynb" for s in chapters)})
            continue
        if sub.notebook not in tasks:
            tasks[sub.notebook] = chapter_tasks(sources[sub.notebook])
            imports[sub.notebook] = _imports(sources[sub.notebook])
        nb = _readable(sub.path)
        if isinstance(nb, str):
            add_rows(sub.student, sub.notebook, "failed", nb)
            continue
        work.append((sub, nb))
    log(f"grading {len(work)} notebooks of {len({s.student for s, _ in work})} students in the sandbox ...")

    def one(item):
        sub, nb = item
        return sub, grade_notebook(nb, tasks[sub.notebook], imports[sub.notebook], lossbook_dir,
                                   exercise_limit=exercise_limit)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for sub, scored in pool.map(one, work):
            add_rows(sub.student, sub.notebook, "graded", scored)

    rows.sort(key=lambda r: (r["student"], r["notebook"]))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    _summary(rows, out, log)
    log(f"graded in {time.monotonic() - started:.0f} s")
    return rows


def _summary(rows, out, log) -> None:
    students = sorted({r["student"] for r in rows})
    for student in students[:50]:
        mine = [r for r in rows if r["student"] == student]
        got = sum(float(r["points"] or 0) for r in mine)
        full = sum(float(r["max_points"] or 0) for r in mine)
        failed = sorted({r["notebook"] or "(folder)" for r in mine if r["status"] == "failed"})
        note = f"; not graded: {', '.join(failed)}" if failed else ""
        log(f"  {student}: {got:g} of {full:g} points{note}")
    if len(students) > 50:
        log(f"  ... and {len(students) - 50} more students")
    log(f"wrote {out} ({len(rows)} rows, {len(students)} students)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", help="folder with one sub-folder of notebooks per student")
    parser.add_argument("--out", default="grades.csv", help="CSV file to write (default: %(default)s)")
    parser.add_argument("--course", default="_build/grading",
                        help="the grader's working folder (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=sandbox.EXERCISE_LIMIT,
                        help="seconds per exercise in the sandbox (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="sandboxes at the same time (default: %(default)s)")
    args = parser.parse_args(argv)
    if not Path(args.submissions).is_dir():
        print(f"{args.submissions}: not a folder; pass the folder with one sub-folder per student", file=sys.stderr)
        return 2
    try:
        grade(args.submissions, args.out, root=Path.cwd(), course=args.course, exercise_limit=args.timeout,
              jobs=args.jobs)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

