r"""The exercise cells of every chapter, written from :mod:`lossbook.exercise_bank`.

``python -m coursetools.exercises write`` (``make exercises``) rewrites the
exercises at the end of each chapter from the bank, and
``python -m coursetools.exercises check`` lists every cell that ``write``
would change, exiting with status 1 if there is one. Each exercise becomes
these cells, in this order (:data:`ROLES`):

``statement``
    A markdown ``{exercise}`` directive with :attr:`~lossbook.exercises.Exercise.title`,
    the label and :attr:`~lossbook.exercises.Exercise.statement`.
``dropdown``
    A markdown ``{solution-start}`` directive, shown as a toggle on the
    website, and :attr:`~lossbook.exercises.Exercise.explanation`.
``answer``
    The learner's cell: :attr:`~lossbook.exercises.Exercise.solution` with its
    body between nbgrader's solution markers (:func:`answer_source`), marked
    as an nbgrader solution cell.
``solution-end``
    The markdown ``{solution-end}`` directive that closes the toggle.
``check``
    :attr:`~lossbook.exercises.Exercise.lead`, when there is one, then
    ``exercises.check(label, function)``.
``grade``
    The hidden test: ``exercises.grade(label, function, points=...)`` between
    nbgrader's hidden-test markers, marked as a locked nbgrader grade cell
    worth :attr:`~lossbook.exercises.Exercise.points` and tagged
    ``remove-cell`` (not on the website).
``demo``
    :attr:`~lossbook.exercises.Exercise.demo`, when there is one: the
    experiment or computation that shows the answer. It comes after the check,
    so that no edition shows the answer before the learner has committed to
    one; it is tagged :data:`coursetools.course.DEMO_TAG` and ``hide-cell``
    (behind a toggle on the website).

The exercises close the chapter: ``write`` replaces every cell from the first
``{exercise}`` after the ``## Exercises`` heading to the end of the notebook,
and keeps the cells before it (the heading, and the cell that imports
``exercises``) as they are. A cell that keeps its label and role keeps its
id, any metadata and tags that are not the generator's own, and, when its
source is unchanged, its outputs and execution count, so that writing an
unchanged bank changes nothing and needs no re-execution. A code cell whose
source changes loses its outputs: run ``make outputs`` after ``write``.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

from coursetools.course import DEMO_TAG, chapter_notebooks, copy, exercises_heading, nbgrader_meta, read
from lossbook.exercises import model

__all__ = ["ROLES", "answer_source", "layout", "generate", "write", "check", "main"]

#: The cells of one exercise, in the order they stand in the chapter.
ROLES = ("statement", "dropdown", "answer", "solution-end", "check", "grade", "demo")
#: The first line of every grade cell.
GRADE_COMMENT = "# Autograder tests (nbgrader), hidden from students: keep this cell."
#: The tag that keeps a grade cell off the website.
REMOVE_TAG = "remove-cell"
#: The tag that puts a demo cell behind a toggle on the website.
HIDE_TAG = "hide-cell"
#: Tags the generator sets; every other tag a cell carries is kept.
_OWN_TAGS = {DEMO_TAG, REMOVE_TAG, HIDE_TAG}
#: Metadata the generator sets; every other key a cell carries is kept.
_OWN_METADATA = {"nbgrader", "tags"}

_EXERCISE = re.compile(r"^(```+|:::+)\s*\{exercise\}")
_LABEL_LINE = re.compile(r"^:label:\s*(ex-\S+)\s*$", re.MULTILINE)
_SOLUTION_START = re.compile(r"^(```+|:::+)\s*\{solution-start\}\s*(ex-\S+)")
_SOLUTION_END = re.compile(r"^(```+|:::+)\s*\{solution-end\}")
_CHECK = re.compile(r'exercises\.check\(\s*"(ex-[^"]+)"')


# ---------------------------------------------------------------------------
# One exercise's cells
# ---------------------------------------------------------------------------


def answer_source(exercise) -> str:
    r"""The answer cell of an exercise: its solution, with the body between nbgrader's markers.

    The ``def`` line and the docstring stay outside the markers, so the
    student edition's stub keeps them and raises only when it is called.

    Raises
    ------
    ValueError
        If the solution is not one function definition named
        :attr:`~lossbook.exercises.Exercise.function`, with its body on lines
        of its own.

    Examples
    --------
    >>> from lossbook.exercises import Case, Exercise
    >>> square = Exercise(label="ex-99-square", kind="implement", function="square",
    ...                   solution='def square(x):\n    "x squared."\n    return x * x\n',
    ...                   cases=(Case((2.0,)),), hints=("Multiply.",))
    >>> print(answer_source(square))
    def square(x):
        "x squared."
        ### BEGIN SOLUTION
        return x * x
        ### END SOLUTION
    """
    tree = ast.parse(exercise.solution)
    function = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(function, ast.FunctionDef) or function.name != exercise.function:
        raise ValueError(
            f"{exercise.label}: the solution must be one function definition, `def {exercise.function}(...)`, "
            "and nothing else; the answer cell is written from it."
        )
    documented = ast.get_docstring(function) is not None
    body = function.body[1:] if documented else function.body
    if not body:
        raise ValueError(f"{exercise.label}: the solution's function has no body after its docstring.")
    if body[0].lineno == function.lineno:
        raise ValueError(f"{exercise.label}: write the body of `{exercise.function}` on lines of its own.")
    # The markers go after the docstring, or before the first statement of a function without one.
    split = function.body[0].end_lineno if documented else body[0].lineno - 1
    lines = exercise.solution.rstrip("\n").split("\n")
    indent = " " * body[0].col_offset
    return "\n".join([*lines[:split], f"{indent}### BEGIN SOLUTION", *lines[split:], f"{indent}### END SOLUTION"])


def _nbgrader(grade_id: str, *, grade: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": grade, "schema_version": 3, "solution": not grade, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def layout(exercise) -> list[tuple[str, str, str, dict]]:
    """The cells of one exercise, in order: (role, cell type, source, metadata) for each.

    Raises
    ------
    ValueError
        If the exercise has no title, statement or explanation, or its
        solution cannot become an answer cell (:func:`answer_source`).
    """
    missing = [name for name in ("title", "statement", "explanation") if not getattr(exercise, name).strip()]
    if missing:
        raise ValueError(f"{exercise.label}: give the exercise its {' and '.join(missing)} in lossbook/exercise_bank.")
    label, function = exercise.label, exercise.function
    cells = [
        ("statement", "markdown", f"```{{exercise}} {exercise.title}\n:label: {label}\n\n{exercise.statement}\n```", {}),
        ("dropdown", "markdown", f"```{{solution-start}} {label}\n:class: dropdown\n```\n{exercise.explanation}", {}),
        ("answer", "code", answer_source(exercise), {"nbgrader": _nbgrader(f"{label}-answer", grade=False)}),
    ]
    check = f'exercises.check("{label}", {function})'
    grade = f'exercises.grade("{label}", {function}, points={exercise.points})'
    cells += [
        ("solution-end", "markdown", "```{solution-end}\n```", {}),
        ("check", "code", f"{exercise.lead}\n{check}" if exercise.lead.strip() else check, {}),
        (
            "grade",
            "code",
            f"{GRADE_COMMENT}\n### BEGIN HIDDEN TESTS\n{grade}\n### END HIDDEN TESTS",
            {"nbgrader": _nbgrader(label, grade=True, points=exercise.points), "tags": [REMOVE_TAG]},
        ),
    ]
    if exercise.demo.strip():
        cells.append(("demo", "code", exercise.demo, {"tags": [DEMO_TAG, HIDE_TAG]}))
    return cells


# ---------------------------------------------------------------------------
# A chapter's exercises
# ---------------------------------------------------------------------------


def _start(nb) -> int | None:
    """Index of the chapter's first exercise cell (the end of the notebook if it has none yet), or None without a heading."""
    heading = exercises_heading(nb)
    if heading is None:
        return None
    return next(
        (
            i
            for i in range(heading + 1, len(nb.cells))
            if nb.cells[i].cell_type == "markdown" and _EXERCISE.match(nb.cells[i].source)
        ),
        len(nb.cells),
    )


def _markdown_role(source: str, label: str | None) -> tuple[str, str] | None:
    """The (label, role) of a markdown cell of an exercises section, under the exercise ``label`` it follows."""
    named = _LABEL_LINE.search(source)
    start = _SOLUTION_START.match(source)
    if _EXERCISE.match(source) and named:
        return (named.group(1), "statement")
    if start:
        return (start.group(2), "dropdown")
    if _SOLUTION_END.match(source) and label:
        return (label, "solution-end")
    return None


def _code_role(cell, label: str | None, previous: str | None) -> tuple[str, str] | None:
    """The (label, role) of a code cell, under the exercise ``label`` and after a cell of role ``previous``."""
    meta = nbgrader_meta(cell)
    if cell.cell_type == "code" and DEMO_TAG in cell.get("metadata", {}).get("tags", []) and label:
        return (label, "demo")
    if meta.get("solution") and "grade_id" in meta:
        return (meta["grade_id"].removesuffix("-answer"), "answer")
    if meta.get("grade") and "grade_id" in meta:
        return (meta["grade_id"], "grade")
    if checked := _CHECK.search(cell.source):
        return (checked.group(1), "check")
    if label and previous == "answer":  # an untagged code cell right after the answer: a demo of the old layout
        return (label, "demo")
    return None


def _roles(cells) -> list[tuple[str, str] | None]:
    """The (label, role) of each cell of an exercises section as laid out today; None for a stray cell."""
    found, seen = [], set()
    label, role = None, None
    for cell in cells:
        if cell.cell_type == "markdown":
            key = _markdown_role(cell.source, label)
            if key and key[1] == "statement":
                label = key[0]
        else:
            key = _code_role(cell, label, role)
        role = key[1] if key else None
        if key in seen:  # a second cell in the same place is a stray one
            key = None
        if key:
            seen.add(key)
        found.append(key)
    return found


def _new_cell(kind: str, source: str, metadata: dict):
    import nbformat

    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(source, metadata=metadata)
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def _merged(metadata: dict, old: dict) -> dict:
    """The generator's metadata, plus every key and tag of the old cell's that is not the generator's own."""
    merged = {k: v for k, v in old.items() if k not in _OWN_METADATA}
    merged.update({k: v for k, v in metadata.items() if k != "tags"})
    tags = list(metadata.get("tags", [])) + [t for t in old.get("tags", []) if t not in _OWN_TAGS]
    if tags:
        merged["tags"] = tags
    return merged


def generate(nb, exercises, *, name: str = "notebook"):
    """A chapter with its exercises section written from ``exercises``, and a list of what changed.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The chapter; it is not changed.
    exercises : list of lossbook.exercises.Exercise
        The chapter's exercises, in order.
    name : str
        How the changes name the chapter.

    Returns
    -------
    (nbformat.NotebookNode, list of str)
        The new notebook, and one line for each cell that differs from ``nb``:
        a new cell, a changed cell (what changed), a moved or removed one.

    Raises
    ------
    ValueError
        If the chapter has exercises in the bank but no ``## Exercises``
        heading, or an exercise cannot be laid out (:func:`layout`).
    """
    start = _start(nb)
    if start is None:
        if not exercises:
            return copy(nb), []
        raise ValueError(
            f"{name}: lossbook/exercise_bank has exercises for this chapter ({exercises[0].label}, ...), but it "
            "has no '## Exercises' heading. End the chapter with that heading and a code cell "
            "`from lossbook import exercises`, then write again."
        )
    new = copy(nb)
    old_index = {key: start + i for i, key in enumerate(_roles(nb.cells[start:])) if key is not None}
    used_ids = {c.get("id") for c in nb.cells[:start]}
    cells, changes, matched = [], [], set()
    for exercise in exercises:
        for role, kind, source, metadata in layout(exercise):
            index = start + len(cells)
            found = old_index.get((exercise.label, role))
            old = new.cells[found] if found is not None else None
            cell = _new_cell(kind, source, _merged(metadata, old.metadata if old is not None else {}))
            reuse = old is not None and old.get("id") and old["id"] not in used_ids
            cell["id"] = old["id"] if reuse else _fresh_id(f"{exercise.label}-{role}", used_ids)
            used_ids.add(cell["id"])
            where = f"{name} cell {index} ({exercise.label}, {role})"
            if old is None:
                changes.append(f"{where}: new cell")
            else:
                matched.add(found)
                same = old.cell_type == kind and old.source == source
                if kind == "code" and same:
                    cell.outputs = old.outputs
                    cell.execution_count = old.execution_count
                what = [
                    part
                    for part, differs in [
                        ("cell type", old.cell_type != kind),
                        ("source", old.source != source),
                        ("metadata", dict(old.metadata) != dict(cell.metadata)),
                        ("id", old.get("id") != cell["id"]),
                        (f"moves from cell {found}", found != index),
                        ("outputs cleared", kind == "code" and not same and bool(old.get("outputs"))),
                    ]
                    if differs
                ]
                if what:
                    changes.append(f"{where}: {', '.join(what)}")
            cells.append(cell)
    for index in range(start, len(nb.cells)):
        if index not in matched:
            cell = nb.cells[index]
            first = (cell.source.strip().splitlines() or ["(empty)"])[0]
            changes.append(f"{name} cell {index}: removed ({cell.cell_type}: {first[:60]})")
    new.cells = new.cells[:start] + cells
    return new, changes


def _fresh_id(stem: str, used: set) -> str:
    """A cell id made from ``stem`` that no other cell of the notebook has."""
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", stem)[:56]
    candidate, number = stem, 1
    while candidate in used:
        number += 1
        candidate = f"{stem}-{number}"
    return candidate


# ---------------------------------------------------------------------------
# The book
# ---------------------------------------------------------------------------


def _bank(exercises=None) -> list:
    return list(exercises) if exercises is not None else [model.get(label) for label in model.labels()]


def _chapters(root, exercises=None) -> list[tuple[Path, list]]:
    """Each chapter notebook with its exercises from the bank, in order.

    Raises
    ------
    ValueError
        If an exercise's label names a chapter number no notebook has.
    """
    bank = _bank(exercises)
    # A chapter's number is its name up to the first "_": "11" for 11_fair_comparison, "11b" for a
    # companion 11b_*, which holds no exercise of chapter 11.
    chapters = [(path, [e for e in bank if e.label[3:5] == path.name.split("_")[0]]) for path in chapter_notebooks(root)]
    numbers = {path.name.split("_")[0] for path, _ in chapters}
    orphans = [e.label for e in bank if e.label[3:5] not in numbers]
    if orphans:
        raise ValueError(f"no chapter notebook chapters/NN_*.ipynb for the exercises {', '.join(orphans)}")
    return chapters


def check(root=".", *, exercises=None) -> list[str]:
    """Every cell that :func:`write` would change, one line each; empty when the chapters agree with the bank.

    ``exercises`` replaces the bank (all of :mod:`lossbook.exercise_bank`) when given.
    """
    changes = []
    for path, mine in _chapters(root, exercises):
        changes += generate(read(path), mine, name=str(path.relative_to(Path(root))))[1]
    return changes


def write(root=".", *, exercises=None, log=print) -> list[Path]:
    """Rewrite the exercises section of every chapter whose cells differ from the bank; return the chapters written.

    ``exercises`` replaces the bank (all of :mod:`lossbook.exercise_bank`) when given.
    """
    import nbformat

    written, cleared = [], False
    for path, mine in _chapters(root, exercises):
        new, changes = generate(read(path), mine, name=str(path.relative_to(Path(root))))
        if not changes:
            continue
        nbformat.validate(new)
        nbformat.write(new, path)
        written.append(path)
        cleared = cleared or any(c.cell_type == "code" and c.source.strip() and c.execution_count is None for c in new.cells)
        for line in changes:
            log(f"  {line}")
        log(f"wrote {path} ({len(changes)} cells changed)")
    if cleared:
        log("Some code cells have no outputs now: run `make outputs` to execute the chapters again.")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursetools.exercises", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command",
        choices=("write", "check"),
        help="write: rewrite the chapters' exercise cells from the bank; check: list the cells that differ",
    )
    args = parser.parse_args(argv)
    if args.command == "write":
        write(Path.cwd())
        return 0
    changes = check(Path.cwd())
    for line in changes:
        print(line)
    if changes:
        cells = "1 cell differs" if len(changes) == 1 else f"{len(changes)} cells differ"
        print(f"{cells} from lossbook/exercise_bank; run `python -m coursetools.exercises write` (`make exercises`).")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
