"""Autograding: one CSV row per student and exercise, from a folder of submitted notebooks.

``python -m coursetools.grading SUBMISSIONS --out grades.csv`` (``make grade``)
grades a folder with one sub-folder per student, each holding the student's
chapter notebooks under their released names, with nbgrader's ``autograde``
(https://nbgrader.readthedocs.io) in a course folder that
:func:`coursetools.release.build_course` sets up. Each student whose notebooks
nbgrader could not grade in the shared run is graded again alone, so a notebook
that is not valid JSON, has lost cells or loops forever gets its own error
message and never stops the others. An exercise's message comes from the
result line that :func:`lossbook.exercises.grade` prints under the autograder
(:func:`lossbook.exercises.feedback.results` reads it), not from the feedback
meant for the student.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from coursetools.course import chapters_with_exercises, grade_cells, nbgrader_errors, nbgrader_meta, read, run_nbgrader, write_kernel
from coursetools.release import build_course
from lossbook.exercises.feedback import results

__all__ = ["COLUMNS", "Submission", "find_submissions", "grade", "main"]

#: Columns of the grades file.
COLUMNS = ("student", "notebook", "exercise", "points", "max_points", "status", "message")


@dataclasses.dataclass
class Submission:
    """One student's notebook, as found in the submissions folder."""

    student: str
    notebook: str
    path: Path


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


def _readable(path: Path) -> str:
    """An empty string for a valid notebook, else why it is not one."""
    import nbformat

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except UnicodeDecodeError as exc:
        return f"not a notebook: the file is not UTF-8 text ({exc.reason})"
    except json.JSONDecodeError as exc:
        return f"not a notebook: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
    try:
        nb = nbformat.from_dict(data)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - any schema problem is the finding
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"not a valid notebook: {first}"
    return ""


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _notebook_findings(autograded: Path, source_nb, timeout: int) -> tuple[list[str], dict[str, str]]:
    """Problems of a graded notebook, and a message for each grade cell."""
    notes, messages = [], {}
    nb = read(autograded)
    present = {nbgrader_meta(c).get("grade_id") for c in nb.cells}
    restored = [c for c in nb.cells if "was missing from the submission" in c.get("source", "")]
    expected = [(nbgrader_meta(c).get("grade_id"), c) for c in source_nb.cells if nbgrader_meta(c).get("grade_id")]
    missing_answers = [gid for gid, c in expected if gid not in present and nbgrader_meta(c).get("solution")]
    if restored:
        ids = ", ".join(nbgrader_meta(c).get("grade_id", "?") for c in restored)
        notes.append(f"test cells deleted from the submission were restored: {ids}")
    if missing_answers:
        names = ", ".join(re.sub(r"-answer$", "", gid) for gid in missing_answers)
        notes.append(f"answer cells deleted from the submission: {names}")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            name = output.get("ename", "")
            if name in ("KeyboardInterrupt", "CellTimeoutError"):
                exercise = re.sub(r"-answer$", "", meta.get("grade_id", ""))
                where = f"the answer cell of {exercise}" if meta.get("solution") else f"cell {index + 1}"
                notes.append(f"{where} was stopped after {timeout} s (an endless loop?)")
            if meta.get("grade"):
                value = _strip_ansi(str(output.get("evalue", ""))).strip()
                messages[meta["grade_id"]] = f"{name}: {value}" if value else name
        if meta.get("grade") and meta["grade_id"] not in messages:
            text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
            mine = [r for r in results(text) if r.get("label") == meta["grade_id"]]
            if mine:  # the last one: lossbook prints it after the learner's code has run
                messages[meta["grade_id"]] = _message(mine[-1])
    return list(dict.fromkeys(notes)), messages


def _message(result: dict) -> str:
    """The CSV message of one exercise's result, as :func:`lossbook.exercises.grade` printed it: why points were lost."""
    if result.get("status") == "correct":
        return ""
    message = str(result.get("message", "")).strip()
    hint = str(result.get("hint", "")).strip()
    return f"{message} Hint: {hint}" if hint else message


def grade(submissions, out="grades.csv", *, root=".", course="_build/grading", cell_timeout: int = 120, log=print) -> list[dict]:
    """Autograde every student's notebooks and write one CSV row per student and exercise.

    Parameters
    ----------
    submissions : path
        A folder with one sub-folder per student, named by the student's id.
    out : path
        The CSV file to write (columns :data:`COLUMNS`).
    root : path
        The course repository, whose chapters define the exercises.
    course : path
        Where to keep nbgrader's course folder: the gradebook and the
        autograded notebooks (``autograded/<student>/<chapter>/``), from
        which ``nbgrader generate_feedback`` can make feedback.
    cell_timeout : int
        Seconds a cell may run before nbgrader interrupts it.

    Returns
    -------
    list of dict
        The rows written.
    """

    root, course = Path(root).resolve(), Path(course).resolve()
    chapters = {p.stem: p for p in chapters_with_exercises(root)}
    sources = {stem: read(path) for stem, path in chapters.items()}
    found, empty = find_submissions(submissions)
    rows: list[dict] = []

    def add_rows(student, stem, status, message, scores=None):
        for exercise, max_points in grade_cells(sources[stem]).items():
            points = (scores or {}).get(exercise)
            rows.append({
                "student": student, "notebook": stem, "exercise": exercise,
                "points": "" if points is None else f"{points:g}", "max_points": f"{max_points:g}",
                "status": status, "message": message if isinstance(message, str) else message.get(exercise, ""),
            })

    for student in empty:
        rows.append({"student": student, "notebook": "", "exercise": "", "points": "", "max_points": "",
                     "status": "failed", "message": "no .ipynb file in the student's folder"})
    to_grade: dict[str, list[Submission]] = {}
    for sub in found:
        if sub.notebook not in chapters:
            rows.append({"student": sub.student, "notebook": sub.notebook, "exercise": "", "points": "",
                         "max_points": "", "status": "failed",
                         "message": f"unknown notebook name {sub.path.name!r}; expected one of "
                                    + ", ".join(f"{s}.ipynb" for s in chapters)})
            continue
        problem = _readable(sub.path)
        if problem:
            add_rows(sub.student, sub.notebook, "failed", problem, {})
            continue
        to_grade.setdefault(sub.student, []).append(sub)

    needed = sorted({s.notebook for subs in to_grade.values() for s in subs})
    build_course(root, course, [chapters[stem] for stem in needed], cell_timeout=cell_timeout)
    env = write_kernel(course / "jupyter")
    for student, subs in sorted(to_grade.items()):
        for sub in subs:
            target = course / "submitted" / student / sub.notebook / f"{sub.notebook}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(sub.path, target)
    # One nbgrader run grades everyone (nbgrader goes on after a notebook that
    # fails); a student whose notebook it could not grade is run again alone,
    # so that the error in the log is theirs.
    count = sum(len(subs) for subs in to_grade.values())
    if count:
        log(f"grading {count} notebooks of {len(to_grade)} students ...")
        _autograde(course, "*", budget=600 + 40 * cell_timeout * count, env=env)
    for student, subs in sorted(to_grade.items()):
        scores = _gradebook_scores(course, student, [s.notebook for s in subs])
        pending = [s for s in subs if not _autograded(course, s).exists() or s.notebook not in scores]
        failure = ""
        if pending:
            failure = _autograde(course, student, budget=600 + 40 * cell_timeout * len(pending), env=env)
            scores = _gradebook_scores(course, student, [s.notebook for s in subs])
        for sub in subs:
            autograded = _autograded(course, sub)
            if not autograded.exists() or sub.notebook not in scores:
                add_rows(student, sub.notebook, "failed", f"nbgrader could not grade it: {failure or 'no output'}", {})
                continue
            notes, messages = _notebook_findings(autograded, sources[sub.notebook], cell_timeout)
            for exercise in grade_cells(sources[sub.notebook]):
                parts = [messages.get(exercise, "")] + notes
                messages[exercise] = "; ".join(p for p in parts if p)
            add_rows(student, sub.notebook, "graded", messages, scores[sub.notebook])

    rows.sort(key=lambda r: (r["student"], r["notebook"]))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    _summary(rows, out, log)
    return rows


def _autograded(course: Path, sub: Submission) -> Path:
    return course / "autograded" / sub.student / sub.notebook / f"{sub.notebook}.ipynb"


def _autograde(course: Path, student: str, *, budget: float, env) -> str:
    """Run ``nbgrader autograde`` for one student (or ``"*"``); return its errors, if any."""
    try:
        result = run_nbgrader(course, "autograde", "*", f"--student={student}", "--force",
                                   timeout=budget, env=env)
    except subprocess.TimeoutExpired:
        return f"grading took longer than {budget:g} s and was stopped"
    return "" if result.returncode == 0 else "; ".join(nbgrader_errors(result))


def _gradebook_scores(course: Path, student: str, notebooks: list[str]) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for notebook in notebooks:
            try:
                submission = gb.find_submission_notebook(notebook, notebook, student)
            except MissingEntry:
                continue
            scores[notebook] = {g.name: g.score for g in submission.grades}
    return scores


def _summary(rows, out, log) -> None:
    students = sorted({r["student"] for r in rows})
    for student in students:
        mine = [r for r in rows if r["student"] == student]
        got = sum(float(r["points"] or 0) for r in mine)
        full = sum(float(r["max_points"] or 0) for r in mine)
        failed = sorted({r["notebook"] or "(folder)" for r in mine if r["status"] == "failed"})
        note = f"; not graded: {', '.join(failed)}" if failed else ""
        log(f"  {student}: {got:g} of {full:g} points{note}")
    log(f"wrote {out} ({len(rows)} rows, {len(students)} students)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", help="folder with one sub-folder of notebooks per student")
    parser.add_argument("--out", default="grades.csv", help="CSV file to write (default: %(default)s)")
    parser.add_argument("--course", default="_build/grading",
                        help="nbgrader course folder to keep, with the autograded notebooks (default: %(default)s)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell before it is stopped (default: %(default)s)")
    args = parser.parse_args(argv)
    if not Path(args.submissions).is_dir():
        print(f"{args.submissions}: not a folder; pass the folder with one sub-folder per student", file=sys.stderr)
        return 2
    grade(args.submissions, args.out, root=Path.cwd(), course=args.course, cell_timeout=args.timeout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
