"""coursetools.release and coursetools.grading: the student edition and autograding, end to end with nbgrader."""

import csv
import html
import json
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from coursetools import course, grading, release
from coursetools import exercises as course_exercises
from lossbook import exercises

ROOT = Path(__file__).resolve().parents[1]
GRADED = "01_training_as_optimisation"
_MARKERS = re.compile(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", re.S)


def _quiet(*args, **kwargs):
    pass


def _chapters():
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def _solution_lines():
    """Every line of code between the solution markers of the stored chapters."""
    lines = set()
    for path in _chapters():
        for cell in nbformat.read(path, as_version=4).cells:
            for block in _MARKERS.findall(cell.source):
                lines.update(line.strip() for line in block.splitlines() if line.strip())
    return sorted(lines)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The student edition, notebooks and website, as `make student` writes it."""
    out = tmp_path_factory.mktemp("edition")
    release.student_edition(ROOT, out, log=_quiet)
    return out


# --------------------------------------------------------------------------- the student edition


def test_the_student_edition_contains_no_solution_code(edition):
    lines = [line for line in _solution_lines() if not line.startswith(("import ", "from "))]  # an import is no answer
    assert len(lines) >= 15, lines
    found = []
    for path in sorted((edition / "notebooks").glob("*.ipynb")):
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        found += [f"{path.name}: {line}" for line in lines if line in text]
    site = edition / "html"
    pages = sorted(site.rglob("*.html")) + sorted(site.rglob("*.ipynb"))
    assert any(p.suffix == ".ipynb" for p in pages), "the site offers no notebook downloads"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if page.suffix == ".html":  # code is split into highlighted spans; compare the text a reader sees
            text = html.unescape(re.sub(r"<[^>]+>", "", text))
        else:
            text = "\n".join(
                c["source"] if isinstance(c["source"], str) else "".join(c["source"]) for c in json.loads(text)["cells"]
            )
        found += [f"{page.relative_to(site)}: {line}" for line in lines if line in text]
    wheels = sorted((edition / "dist").glob("lossbook-*.whl"))
    assert len(wheels) == 1, "the student edition carries one lossbook wheel"
    hints = " ".join(h for label in exercises.labels() for h in exercises.get(label).hints)
    given = [line for line in lines if line in hints]  # a hint may give a line away, on purpose
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        assert not [n for n in names if n.startswith("lossbook/exercise_bank/ch")], names
        for name in names:
            text = {line.strip() for line in wheel.read(name).decode("utf-8", errors="replace").splitlines()}
            found += [f"{wheels[0].name}/{name}: {line}" for line in lines if line in text and line not in given]
    assert found == [], "solution code in the student edition:\n" + "\n".join(found)


def test_no_student_notebook_shows_an_answer_above_its_check(edition):
    notebooks = sorted((edition / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == len(_chapters())
    searched = [label for label in exercises.labels() if len(exercises.get(label).cases) == 1]
    assert len(searched) >= 15, searched
    leaks = [f"{path.name}: {line}" for path in notebooks for line in release.answer_leaks(course.read(path))]
    assert leaks == []


@pytest.mark.parametrize("where", ["output", "prose"])
def test_a_planted_answer_above_its_check_is_found(edition, where):
    path = edition / "notebooks" / "02_maximum_likelihood.ipynb"
    nb = course.read(path)
    exercise = exercises.get("ex-02-nll-by-hand")
    answer = f"{exercise.expected(exercise.cases[0]):.3f}"
    check = next(i for i, c in enumerate(nb.cells) if 'exercises.check("ex-02-nll-by-hand"' in c.source)
    assert release.answer_leaks(nb, ["ex-02-nll-by-hand"]) == []
    if where == "output":
        cell = nbformat.v4.new_code_cell("print(J)", outputs=[nbformat.v4.new_output("stream", text=f"J = {answer}\n")])
    else:
        cell = nbformat.v4.new_markdown_cell(f"The mean loss at the estimate is {answer} nats.")
    nb.cells.insert(check - 3, cell)
    leaks = release.answer_leaks(nb, ["ex-02-nll-by-hand"])
    assert leaks == [f"ex-02-nll-by-hand: the answer {answer} is in cell {check - 3}, above the check (cell {check + 1})"]
    nb.cells.insert(check + 2, nbformat.v4.new_markdown_cell(f"After the check, {answer} may be shown."))
    assert release.answer_leaks(nb, ["ex-02-nll-by-hand"]) == leaks


def test_the_student_notebooks_have_stubs_and_no_hidden_tests_or_solution_text(edition):
    demos = 0
    for path in sorted((edition / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        for banned in ("BEGIN SOLUTION", "HIDDEN TESTS", "exercises.grade(", "{solution"):
            assert banned not in text, f"{path.name}: {banned}"
        # A demo shows the answer: it comes after its exercise's check, without output.
        checks = {m.group(1): i for i, c in enumerate(nb.cells) if (m := re.search(r'exercises\.check\("([^"]+)"', c.source))}
        for label in exercises.labels():
            demo = exercises.get(label).demo.strip()
            if demo and label in checks:
                found = [i for i, c in enumerate(nb.cells) if c.source.strip() == demo]
                assert len(found) == 1 and found[0] > checks[label], f"{path.name}: the demo of {label}"
                assert nb.cells[found[0]].outputs == [], f"{path.name}: the demo of {label} keeps its output"
                demos += 1
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                label = meta["grade_id"].removesuffix("-answer")
                exercise = exercises.get(label)
                head = course_exercises.answer_source(exercise).split("### BEGIN SOLUTION")[0].splitlines()[:-1]
                assert cell.source.splitlines() == head + ["    # YOUR CODE HERE", "    raise NotImplementedError()"]
            if meta.get("grade"):
                assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False
    assert demos >= 15


def _before_exercises(nb):
    index = next(
        (i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith(course.EXERCISES_HEADING)),
        len(nb.cells),
    )
    return [(c.cell_type, c.source, c.get("outputs")) for c in nb.cells[:index]], nb.cells[index:]


@pytest.mark.parametrize("path", _chapters(), ids=lambda p: p.stem)
def test_only_the_exercise_outputs_are_cleared(edition, path):
    stored = nbformat.read(path, as_version=4)
    student = nbformat.read(edition / "notebooks" / path.name, as_version=4)
    stored_text, _ = _before_exercises(stored)
    student_text, exercise_part = _before_exercises(student)
    assert student_text == stored_text, "the chapter before its exercises must stay as it is"
    assert sum(bool(c.get("outputs")) for c in stored.cells) > 0
    for cell in exercise_part:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_the_student_website_shows_the_exercises_without_solutions(edition):
    site = edition / "html"
    page = (site / "chapters" / f"{GRADED}.html").read_text(encoding="utf-8")
    assert 'class="exercise admonition" id="ex-01-step"' in page
    assert len(re.findall(r'caption-number">Exercise \d+ </span>', page)) == 3
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert 'class="solution' not in text, path
        assert "colab.research.google.com" not in text and "mybinder.org" not in text, path
    assert not (site / "chapters" / "instructors.html").exists()


# --------------------------------------------------------------------------- grading


def _fill(nb, answers):
    for cell in nb.cells:
        label = cell.metadata.get("nbgrader", {}).get("grade_id", "").removesuffix("-answer")
        if cell.metadata.get("nbgrader", {}).get("solution") and label in answers:
            cell.source = answers[label]
    return nb


@pytest.fixture(scope="module")
def graded(edition, grading_sandbox, tmp_path_factory):
    """Grade six students' submissions of chapter 1, and two folders that hold no usable notebook."""
    released = edition / "notebooks" / f"{GRADED}.ipynb"
    folder = tmp_path_factory.mktemp("submissions")
    right = {label: exercises.get(label).solution for label in exercises.labels() if label.startswith("ex-01")}

    def submit(student, nb=None, text=None, name=f"{GRADED}.ipynb"):
        (folder / student).mkdir()
        if text is not None:
            (folder / student / name).write_text(text, encoding="utf-8")
        else:
            nbformat.write(nb, folder / student / name)

    def fresh():
        return nbformat.read(released, as_version=4)

    submit("correct", _fill(fresh(), right))
    submit(
        "partial",
        _fill(
            fresh(),
            {
                "ex-01-step": right["ex-01-step"],
                "ex-01-line-grad": "def line_gradient(a, b, x, y):\n    r = a * x + b - y\n    return np.array([np.mean(r * x), np.mean(r)])",
                "ex-01-eta": 'def predicted_path():\n    return "creep"',
            },
        ),
    )
    submit("untouched", fresh())
    submit("invalid_json", text=released.read_text(encoding="utf-8")[:4000])
    deleted = _fill(fresh(), right)
    deleted.cells = [
        c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in ("ex-01-line-grad-answer", "ex-01-eta")
    ]
    submit("deleted_cells", deleted)
    submit("endless_loop", _fill(fresh(), {**right, "ex-01-step": "while True:\n    pass"}))
    submit("wrong_name", fresh(), name="my_homework.ipynb")
    (folder / "nothing").mkdir()

    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    course = out.parent / "course"
    rows = grading.grade(folder, out, root=ROOT, course=course, exercise_limit=5, jobs=1, log=_quiet)
    return rows, out, course


def _student(rows, name):
    mine = [r for r in rows if r["student"] == name]
    assert mine, name
    return mine


def test_the_grades_file_has_a_row_per_student_and_exercise(graded):
    rows, out, _ = graded
    with open(out, newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert written == rows
    assert list(written[0]) == list(grading.COLUMNS)
    labels = [label for label in exercises.labels() if label.startswith("ex-01")]
    for student in ("correct", "partial", "untouched", "invalid_json", "deleted_cells", "endless_loop"):
        assert sorted(r["exercise"] for r in _student(rows, student)) == sorted(labels)


def test_a_correct_submission_scores_full_marks(graded):
    for row in _student(graded[0], "correct"):
        assert row["status"] == "graded" and row["message"] == ""
        assert row["points"] == row["max_points"]


def test_a_partly_wrong_submission_scores_partial_marks(graded):
    rows = {r["exercise"]: r for r in _student(graded[0], "partial")}
    assert rows["ex-01-step"]["points"] == "1"
    # Right only where the gradient is 0: a visible case passes, no held-out case does, and the score takes the lower share.
    assert rows["ex-01-line-grad"]["points"] == "0"
    assert " shown, 0 of " in rows["ex-01-line-grad"]["message"]
    assert "The factor 2 from differentiating the square is missing" in rows["ex-01-line-grad"]["message"]
    assert rows["ex-01-eta"]["points"] == "0"
    assert "Creeping needs a factor" in rows["ex-01-eta"]["message"]


def test_an_untouched_submission_scores_zero(graded):
    for row in _student(graded[0], "untouched"):
        assert row["status"] == "graded" and row["points"] == "0"
        assert "not answered yet" in row["message"]


def test_an_untouched_student_notebook_runs_top_to_bottom_without_an_error(edition):
    from nbclient import NotebookClient

    course.environment()
    nb = nbformat.read(edition / "notebooks" / f"{GRADED}.ipynb", as_version=4)
    NotebookClient(
        nb, km=course.kernel_manager(), timeout=300, allow_errors=True, resources={"metadata": {"path": str(ROOT / "chapters")}}
    ).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "error"]
    assert errors == [], "a student running the untouched notebook top to bottom must see no error"


def test_malformed_notebooks_get_their_own_error_and_the_others_are_graded(graded):
    rows = graded[0]
    for row in _student(rows, "invalid_json"):
        assert row["status"] == "failed" and row["points"] == ""
        assert row["message"].startswith("not a notebook: invalid JSON at line")
    deleted = {r["exercise"]: r for r in _student(rows, "deleted_cells")}
    assert deleted["ex-01-step"]["points"] == "1" and deleted["ex-01-eta"]["points"] == "1"
    assert deleted["ex-01-line-grad"]["points"] == "0"
    assert "answer cell deleted from the submission" in deleted["ex-01-line-grad"]["message"]
    looping = {r["exercise"]: r for r in _student(rows, "endless_loop")}
    assert looping["ex-01-step"]["points"] == "0"
    assert "did not finish within" in looping["ex-01-step"]["message"]
    assert looping["ex-01-line-grad"]["points"] == "2" and looping["ex-01-eta"]["points"] == "1"
    assert _student(rows, "wrong_name")[0]["message"].startswith("unknown notebook name 'my_homework.ipynb'")
    assert _student(rows, "nothing")[0]["message"] == "no .ipynb file in the student's folder"


def test_the_grade_command_rejects_a_missing_folder(tmp_path, capsys):
    assert grading.main([str(tmp_path / "absent")]) == 2
    assert "not a folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- the pieces


def _md(source):
    return nbformat.v4.new_markdown_cell(source)


def test_solution_dropdowns_are_recognised_and_removed():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("```{exercise} Title\n:label: ex-10-x\n\nText\n```"),
        _md("```{solution-start} ex-10-x\n:class: dropdown\n```\nWhy."),
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        _md("```{solution-end}\n```"),
        _md(":::{solution} ex-10-x\nA colon fence.\n:::"),
        _md("A paragraph about solutions in general."),
    ]
    kept = release.prepare_source(nb)
    assert [c.source[:13] for c in kept.cells] == ["```{exercise}", "def f():\n    ", "A paragraph a"]
    assert len(nb.cells) == 6  # the input is not changed


def test_demo_cells_stay_in_the_student_source_after_their_check():
    out = [nbformat.v4.new_output("stream", name="stdout", text="w1 = 1.3\n")]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("```{solution-start} ex-10-x\n:class: dropdown\n```\nWhy."),
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        _md("```{solution-end}\n```"),
        nbformat.v4.new_code_cell('exercises.check("ex-10-x", f)', metadata={"tags": ["other"]}),
        nbformat.v4.new_code_cell("print('w1 =', 1.3)", outputs=out, metadata={"tags": [course.DEMO_TAG]}),
    ]
    kept = release.prepare_source(nb)
    assert [c.source[:8] for c in kept.cells] == ["def f():", "exercise", "print('w"]
    assert len(nb.cells) == 5


def test_only_cells_after_the_exercises_heading_lose_their_outputs():
    out = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("print(1)", outputs=out, execution_count=1),
        _md("## Exercises\n\nText."),
        nbformat.v4.new_code_cell("print(1)", outputs=out, execution_count=2),
    ]
    cleared = release.clear_exercise_outputs(nb)
    assert cleared.cells[0].outputs == out and cleared.cells[0].execution_count == 1
    assert cleared.cells[2].outputs == [] and cleared.cells[2].execution_count is None


def test_submissions_are_found_per_student_folder(tmp_path):
    (tmp_path / "ann" / "ps1").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "ann" / "ps1" / "a.ipynb")
    (tmp_path / "ann" / ".ipynb_checkpoints").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "ann" / ".ipynb_checkpoints" / "a-checkpoint.ipynb")
    (tmp_path / "ben").mkdir()
    found, empty = grading.find_submissions(tmp_path)
    assert [(s.student, s.notebook) for s in found] == [("ann", "a")]
    assert empty == ["ben"]
    shutil.rmtree(tmp_path / "ann")
