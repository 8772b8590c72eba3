"""The student edition: the chapters without solutions, for an instructor to hand out.

``python -m coursetools.release --out _build/student`` (``make student``)
writes ``notebooks/``, each chapter with its solutions and hidden tests removed
by nbgrader's ``generate_assignment`` (https://nbgrader.readthedocs.io) and the
outputs of its exercise cells cleared (every other output is kept), and
``html/``, the website built from those notebooks, without solutions, and
``dist/``, a wheel of lossbook whose exercise bank holds cases and expected
values but no solution (:mod:`coursetools.student_package`), for students to
install.

The chapters mark exercises the nbgrader way: the learner's cell is a
solution cell whose answer sits between ``### BEGIN SOLUTION`` and
``### END SOLUTION``; the test cell is a locked grade cell whose body sits
between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. Markdown cells
holding a ``{solution}`` (``{solution-start}``, ``{solution-end}``) directive
are the website's solution dropdowns; the student edition drops them. Each
exercise's demo, the experiment that shows its answer (a code cell tagged
:data:`coursetools.course.DEMO_TAG`), comes after its check and keeps its place,
without output like every cell of the exercises. ``python -m
coursetools.exercises write`` lays all these cells out from
:mod:`lossbook.exercise_bank`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from coursetools import student_package
from coursetools.prose import output_text
from coursetools.course import (
    chapter_notebooks,
    chapters_with_exercises,
    copy,
    exercise_cells,
    is_solution_markdown,
    nbgrader_errors,
    read,
    run_nbgrader,
)

__all__ = ["prepare_source", "clear_exercise_outputs", "answer_leaks", "build_course", "student_edition", "main"]


# ---------------------------------------------------------------------------
# The course folder nbgrader releases from
# ---------------------------------------------------------------------------


def prepare_source(nb):
    """The chapter as nbgrader's source: the website's solution dropdowns removed."""
    nb = copy(nb)
    nb.cells = [cell for cell in nb.cells if not is_solution_markdown(cell)]
    return nb


def clear_exercise_outputs(nb):
    """Clear the outputs of every code cell in the exercises section; keep all others."""
    nb = copy(nb)
    for index in exercise_cells(nb):
        nb.cells[index].outputs = []
        nb.cells[index].execution_count = None
    return nb


def build_course(root: Path, course: Path, chapters: list[Path], *, cell_timeout: int = 120) -> None:
    """Set up an nbgrader course in ``course`` and release the given chapters into it.

    ``course/source/<chapter>/<chapter>.ipynb`` is each chapter without its
    solution dropdowns; ``course/release/<chapter>/<chapter>.ipynb``
    is what nbgrader's ``generate_assignment`` makes of it (stubs for
    solutions, no hidden tests), with every output except the exercises' kept; and
    ``course/gradebook.db`` records the cells that ``grade`` checks against.
    """
    import nbformat

    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "# nbgrader settings of this course folder, written by coursetools.\n"
        "c = get_config()\n"
        f"c.Execute.timeout = {int(cell_timeout)}  # seconds per cell before it is interrupted\n"
        "c.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and run\n",
        encoding="utf-8",
    )
    for chapter in chapters:
        folder = course / "source" / chapter.stem
        folder.mkdir(parents=True)
        nbformat.write(prepare_source(read(chapter)), folder / chapter.name)
    if not chapters:
        return
    # One run releases every chapter. Outputs stay: the student edition keeps the
    # chapter's figures and printed results; only the exercises' are cleared below.
    result = run_nbgrader(
        course,
        "generate_assignment",
        "*",
        "--force",
        "--ClearOutput.enabled=False",
        timeout=600,
    )
    for chapter in chapters:
        released = course / "release" / chapter.stem / chapter.name
        if result.returncode != 0 or not released.exists():
            raise RuntimeError(f"nbgrader could not release {chapter.name}:\n" + "\n".join(nbgrader_errors(result)))
        nbformat.write(clear_exercise_outputs(read(released)), released)


def _student_book(root: Path, notebooks: Path, book: Path) -> None:
    """Lay out the book's sources with the student notebooks in place of the chapters."""
    import yaml

    if book.exists():
        shutil.rmtree(book)
    book.mkdir(parents=True)
    # _ext holds the book's own Sphinx extensions, which _config.yml loads.
    for name in ("references.bib", "_static", "_ext"):
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


# ---------------------------------------------------------------------------
# Answers shown before the learner commits to one
# ---------------------------------------------------------------------------


def _answer_forms(value) -> list[str]:
    """How a printed cell or a sentence would write ``value``: 2, 3 and 4 decimals, two significant digits or more.

    A value with fewer (1.0, 0.4) is everywhere in a chapter and is not searched.
    """
    if isinstance(value, tuple):
        return sorted({form for part in value for form in _answer_forms(part)})
    if isinstance(value, (str, bytes)) or value is None:
        return []
    import numpy as np

    try:
        number = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return []
    if number.size != 1:
        return []
    x = float(number.ravel()[0])
    forms = {f"{x:.{decimals}f}" for decimals in (2, 3, 4)}
    return sorted(form for form in forms if len(form.lstrip("-").replace(".", "").strip("0")) >= 2)


def _cell_text(cell) -> str:
    return cell.get("source", "") + "\n" + output_text(cell)


def answer_leaks(nb, labels=None) -> list[str]:
    """Where a notebook shows a single-answer exercise's answer above the exercise's check.

    A by-hand, predict or read-a-plot exercise has one case, whose expected
    value is the answer. Every cell above the exercise's check (markdown,
    code and outputs alike) is searched for that value as a sentence or a
    printed number would write it, to 2, 3 or 4 decimals with at least two
    significant digits (a rounder value, such as 1.0, is everywhere in a
    chapter); one-word answers are not searched, since the statement lists
    the choices. Returns one line per find: the label, the
    value found and the cell's index.
    """
    from lossbook import exercises

    found = []
    for label in labels if labels is not None else exercises.labels():
        exercise = exercises.get(label)
        if len(exercise.cases) != 1:
            continue
        check = next(
            (i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and f'exercises.check("{label}"' in cell.source),
            None,
        )
        if check is None:
            continue
        for form in _answer_forms(exercise.expected(exercise.cases[0])):
            pattern = re.compile(r"(?<![\d.])" + re.escape(form) + r"(?!\d)")
            found += [
                f"{label}: the answer {form} is in cell {index}, above the check (cell {check})"
                for index in range(check)
                if pattern.search(_cell_text(nb.cells[index]))
            ]
    return found


def student_edition(root=".", out="_build/student", *, site: bool = True, log=print) -> Path:
    """Write the student edition: notebooks without solutions and, unless ``site=False``, its website.

    Returns the output folder: ``notebooks/``, ``dist/`` (the student build of
    lossbook as a wheel, :mod:`coursetools.student_package`) and ``html/``
    inside it.
    """
    root, out = Path(root).resolve(), Path(out).resolve()
    import nbformat

    chapters = chapter_notebooks(root)
    with_exercises = set(chapters_with_exercises(root))
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
                leaks = answer_leaks(read(notebooks / chapter.name))
                if leaks:
                    raise RuntimeError(f"{chapter.name} shows answers before their checks:\n" + "\n".join(leaks))
            else:  # no exercises yet: nothing to remove
                nb = prepare_source(read(chapter))
                nbformat.write(nb, notebooks / chapter.name)
    log(f"student notebooks: {notebooks} ({len(chapters)} chapters, {len(with_exercises)} with exercises)")
    dist = out / "dist"
    if dist.exists():
        shutil.rmtree(dist)
    log(f"student lossbook (no solutions): {student_package.wheel(dist, root=root)}")
    if site:
        book = out / "book"
        _student_book(root, notebooks, book)
        html = out / "html"
        if html.exists():
            shutil.rmtree(html)
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        command = [
            str(jupyter_book if jupyter_book.exists() else shutil.which("jupyter-book")),
            "build",
            str(book),
            "--builder",
            "html",
            "--warningiserror",
            "--keep-going",
        ]
        result = subprocess.run(command, cwd=book, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            problems = [line for line in (result.stdout + result.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
            raise RuntimeError("the student website does not build:\n" + "\n".join(problems[:20]))
        shutil.move(str(book / "_build" / "html"), html)
        shutil.rmtree(book / "_build", ignore_errors=True)
        log(f"student website: {html / 'index.html'}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursetools.release", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="_build/student", help="output folder (default: %(default)s)")
    parser.add_argument("--no-site", action="store_true", help="write the notebooks only")
    args = parser.parse_args(argv)
    student_edition(Path.cwd(), args.out, site=not args.no_site)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
