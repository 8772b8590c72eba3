"""The instructor's tools: a student edition without solutions, and autograding.

Both commands drive nbgrader (https://nbgrader.readthedocs.io), the Jupyter
project's assignment tool, on a course folder built from ``chapters/``:

``python -m lossbook.instructor student``
    Writes the student edition to ``_build/student``: ``notebooks/`` holds each
    chapter with its solutions and hidden tests removed by nbgrader's
    ``generate_assignment`` and the outputs of its exercise cells cleared
    (every other output is kept), and ``html/`` holds the website built from
    those notebooks, without solutions.

``python -m lossbook.instructor grade SUBMISSIONS``
    Autogrades a folder with one sub-folder per student, each holding the
    student's chapter notebooks under their released names, and writes
    ``grades.csv`` with one row per student and exercise. Each student is
    graded by a separate ``nbgrader autograde`` process, so a notebook that is
    not valid JSON, has lost cells or loops forever gets its own error message
    and never stops the others.

The chapters mark exercises the nbgrader way: the learner's cell is a
solution cell whose answer sits between ``### BEGIN SOLUTION`` and
``### END SOLUTION``; the test cell is a locked grade cell whose body sits
between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` and calls
:func:`lossbook.exercises.grade`. Markdown cells holding a ``{solution}``
(``{solution-start}``, ``{solution-end}``) directive are the website's
solution dropdowns; the student edition drops them.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lossbook._setup import apply_environment

__all__ = [
    "EXERCISES_HEADING",
    "is_solution_markdown",
    "exercise_cells",
    "grade_cells",
    "prepare_source",
    "clear_exercise_outputs",
    "build_course",
    "student_edition",
    "find_submissions",
    "grade",
    "main",
]

#: The heading of the last section of a chapter; every code cell after it is exercise material.
EXERCISES_HEADING = "## Exercises"
#: Columns of the grades file.
COLUMNS = ("student", "notebook", "exercise", "points", "max_points", "status", "message")

_SOLUTION_DIRECTIVE = re.compile(r"^\s*(```+|:::+)\s*\{solution(-start|-end)?\}", re.MULTILINE)
_HEADING = re.compile(rf"^{re.escape(EXERCISES_HEADING)}\s*$", re.MULTILINE)


# ---------------------------------------------------------------------------
# Reading a chapter
# ---------------------------------------------------------------------------


def is_solution_markdown(cell) -> bool:
    """True for a markdown cell that holds a ``{solution}`` directive (a website dropdown)."""
    return cell.get("cell_type") == "markdown" and bool(_SOLUTION_DIRECTIVE.search(cell.get("source", "")))


def _exercises_start(nb) -> int | None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and _HEADING.search(cell.source):
            return index
    return None


def exercise_cells(nb) -> list[int]:
    """Indices of the code cells in the chapter's exercises section."""
    start = _exercises_start(nb)
    if start is None:
        return []
    return [i for i in range(start + 1, len(nb.cells)) if nb.cells[i].cell_type == "code"]


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_cells(nb) -> dict[str, float]:
    """The grade cells of a notebook: grade id to points."""
    return {
        _nbgrader(c)["grade_id"]: float(_nbgrader(c).get("points", 0))
        for c in nb.cells
        if _nbgrader(c).get("grade") and "grade_id" in _nbgrader(c)
    }


def _chapters_with_exercises(root: Path) -> list[Path]:
    import nbformat

    found = []
    for path in sorted((root / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if grade_cells(nb):
            found.append(path)
    return found


# ---------------------------------------------------------------------------
# The student edition
# ---------------------------------------------------------------------------


def prepare_source(nb):
    """The chapter as nbgrader's source: the website's solution dropdown cells removed."""
    nb = _copy(nb)
    nb.cells = [cell for cell in nb.cells if not is_solution_markdown(cell)]
    return nb


def clear_exercise_outputs(nb):
    """Clear the outputs of every code cell in the exercises section; keep all others."""
    nb = _copy(nb)
    for index in exercise_cells(nb):
        nb.cells[index].outputs = []
        nb.cells[index].execution_count = None
    return nb


def _copy(nb):
    import nbformat

    return nbformat.from_dict(json.loads(json.dumps(nb)))


def _environment(course: Path) -> dict[str, str]:
    """The environment of the nbgrader processes: the course's settings and this Python's kernel."""
    env = apply_environment(os.environ.copy())
    # A kernel spec named python3 that runs this interpreter, found before any
    # user-wide spec of the same name: notebooks run with lossbook installed.
    kernels = course / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    env["JUPYTER_PATH"] = os.pathsep.join([str(course / "jupyter"), env.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _nbgrader_command(course: Path, *args, timeout: float, env=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"]
    return subprocess.run(
        command, cwd=course, env=env or _environment(course), capture_output=True, text=True, timeout=timeout
    )


def _log_errors(result: subprocess.CompletedProcess) -> list[str]:
    lines = (result.stdout + result.stderr).splitlines()
    errors = [re.sub(r"^\[\w+App \| (ERROR|CRITICAL)\]\s*", "", line) for line in lines if re.search(r"\| (ERROR|CRITICAL)\]", line)]
    return errors or lines[-5:]


def build_course(root: Path, course: Path, chapters: list[Path], *, cell_timeout: int = 120) -> None:
    """Set up an nbgrader course in ``course`` and release the given chapters into it.

    ``course/source/<chapter>/<chapter>.ipynb`` is each chapter without its
    solution dropdowns; ``course/release/<chapter>/<chapter>.ipynb`` is what
    nbgrader's ``generate_assignment`` makes of it (stubs for solutions, no
    hidden tests), with every output except the exercises' kept; and
    ``course/gradebook.db`` records the cells that ``grade`` checks against.
    """
    import nbformat

    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "# nbgrader settings of this course folder, written by `python -m lossbook.instructor`.\n"
        "c = get_config()\n"
        f"c.Execute.timeout = {int(cell_timeout)}  # seconds per cell before it is interrupted\n"
        "c.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and run\n",
        encoding="utf-8",
    )
    for chapter in chapters:
        folder = course / "source" / chapter.stem
        folder.mkdir(parents=True)
        nbformat.write(prepare_source(nbformat.read(chapter, as_version=4)), folder / chapter.name)
    if not chapters:
        return
    # One run releases every chapter. Outputs stay: the student edition keeps the
    # chapter's figures and printed results; only the exercises' are cleared below.
    result = _nbgrader_command(
        course, "generate_assignment", "*", "--force", "--ClearOutput.enabled=False", timeout=600,
    )
    for chapter in chapters:
        released = course / "release" / chapter.stem / chapter.name
        if result.returncode != 0 or not released.exists():
            raise RuntimeError(f"nbgrader could not release {chapter.name}:\n" + "\n".join(_log_errors(result)))
        nbformat.write(clear_exercise_outputs(nbformat.read(released, as_version=4)), released)


def _student_book(root: Path, notebooks: Path, book: Path) -> None:
    """Lay out the book's sources with the student notebooks in place of the chapters."""
    import yaml

    if book.exists():
        shutil.rmtree(book)
    book.mkdir(parents=True)
    for name in ("references.bib", "_static"):
        source = root / name
        if source.is_dir():
            shutil.copytree(source, book / name)
        elif source.exists():
            shutil.copy(source, book / name)
    (book / "chapters").mkdir()
    for page in sorted((root / "chapters").iterdir()):
        if page.suffix == ".md":
            shutil.copy(page, book / "chapters" / page.name)
        elif page.suffix == ".ipynb":
            shutil.copy(notebooks / page.name, book / "chapters" / page.name)

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))

    def without_instructors(node):
        if isinstance(node, list):
            return [without_instructors(n) for n in node if not (isinstance(n, dict) and n.get("file") == "chapters/instructors")]
        if isinstance(node, dict):
            return {k: without_instructors(v) for k, v in node.items()}
        return node

    toc = without_instructors(toc)
    # A part left with no chapters (the instructors' part) is not a valid table of contents.
    toc["parts"] = [part for part in toc.get("parts", []) if part.get("chapters")]
    (book / "chapters" / "instructors.md").unlink(missing_ok=True)
    (book / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = f"{config.get('title', 'lossbook')} (student edition)"
    # The launch and repository buttons would open the full chapters, solutions included.
    config.pop("launch_buttons", None)
    html = config.setdefault("html", {})
    html["use_repository_button"] = False
    html["use_issues_button"] = False
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["hide_solutions"] = True
    (book / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def student_edition(root=".", out="_build/student", *, site: bool = True, log=print) -> Path:
    """Write the student edition: notebooks without solutions and, unless ``site=False``, its website.

    Returns the output folder: ``notebooks/`` and ``html/`` inside it.
    """
    root, out = Path(root).resolve(), Path(out).resolve()
    import nbformat

    chapters = sorted((root / "chapters").glob("*.ipynb"))
    with_exercises = set(_chapters_with_exercises(root))
    notebooks = out / "notebooks"
    if notebooks.exists():
        shutil.rmtree(notebooks)
    notebooks.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="lossbook-course-") as tmp:
        course = Path(tmp) / "course"
        build_course(root, course, [c for c in chapters if c in with_exercises])
        for chapter in chapters:
            if chapter in with_exercises:
                shutil.copy(course / "release" / chapter.stem / chapter.name, notebooks / chapter.name)
            else:  # no exercises yet: nothing to remove
                nb = prepare_source(nbformat.read(chapter, as_version=4))
                nbformat.write(nb, notebooks / chapter.name)
    log(f"student notebooks: {notebooks} ({len(chapters)} chapters, {len(with_exercises)} with exercises)")
    if site:
        book = out / "book"
        _student_book(root, notebooks, book)
        html = out / "html"
        if html.exists():
            shutil.rmtree(html)
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        command = [
            str(jupyter_book if jupyter_book.exists() else shutil.which("jupyter-book")),
            "build", str(book), "--builder", "html", "--warningiserror", "--keep-going",
        ]
        result = subprocess.run(command, cwd=book, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            problems = [line for line in (result.stdout + result.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
            raise RuntimeError("the student website does not build:\n" + "\n".join(problems[:20]))
        shutil.move(str(book / "_build" / "html"), html)
        shutil.rmtree(book / "_build", ignore_errors=True)
        log(f"student website: {html / 'index.html'}")
    return out


# ---------------------------------------------------------------------------
# Grading
# ---------------------------------------------------------------------------


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
    import nbformat

    notes, messages = [], {}
    nb = nbformat.read(autograded, as_version=4)
    present = {_nbgrader(c).get("grade_id") for c in nb.cells}
    restored = [c for c in nb.cells if "was missing from the submission" in c.get("source", "")]
    expected = [(_nbgrader(c).get("grade_id"), c) for c in source_nb.cells if _nbgrader(c).get("grade_id")]
    missing_answers = [gid for gid, c in expected if gid not in present and _nbgrader(c).get("solution")]
    if restored:
        ids = ", ".join(_nbgrader(c).get("grade_id", "?") for c in restored)
        notes.append(f"test cells deleted from the submission were restored: {ids}")
    if missing_answers:
        names = ", ".join(re.sub(r"-answer$", "", gid) for gid in missing_answers)
        notes.append(f"answer cells deleted from the submission: {names}")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = _nbgrader(cell)
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
            lines = [line for line in text.splitlines() if line.strip()]
            if len(lines) > 1:  # the summary line, then the feedback: its first line and its hint
                message = lines[1].strip()
                starts = [i for i, line in enumerate(lines) if line.strip().startswith("hint:")]
                if starts:
                    hint = [lines[starts[0]].strip()]
                    hint += [line.strip() for line in lines[starts[0] + 1:] if line.startswith("            ")]
                    message += " " + " ".join(hint)
                messages[meta["grade_id"]] = message
    return list(dict.fromkeys(notes)), messages


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
    import nbformat

    root, course = Path(root).resolve(), Path(course).resolve()
    chapters = {p.stem: p for p in _chapters_with_exercises(root)}
    sources = {stem: nbformat.read(path, as_version=4) for stem, path in chapters.items()}
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
    env = _environment(course)
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
        result = _nbgrader_command(course, "autograde", "*", f"--student={student}", "--force",
                                   timeout=budget, env=env)
    except subprocess.TimeoutExpired:
        return f"grading took longer than {budget:g} s and was stopped"
    return "" if result.returncode == 0 else "; ".join(_log_errors(result))


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


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lossbook.instructor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="write the student edition: notebooks and website without solutions")
    student.add_argument("--out", default="_build/student", help="output folder (default: %(default)s)")
    student.add_argument("--no-site", action="store_true", help="write the notebooks only")
    graded = sub.add_parser("grade", help="autograde a folder of submissions into a CSV file")
    graded.add_argument("submissions", help="folder with one sub-folder of notebooks per student")
    graded.add_argument("--out", default="grades.csv", help="CSV file to write (default: %(default)s)")
    graded.add_argument("--course", default="_build/grading",
                        help="nbgrader course folder to keep, with the autograded notebooks (default: %(default)s)")
    graded.add_argument("--timeout", type=int, default=120, help="seconds per cell before it is stopped (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "student":
        student_edition(Path.cwd(), args.out, site=not args.no_site)
    else:
        if not Path(args.submissions).is_dir():
            print(f"{args.submissions}: not a folder; pass the folder with one sub-folder per student", file=sys.stderr)
            return 2
        grade(args.submissions, args.out, root=Path.cwd(), course=args.course, cell_timeout=args.timeout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
