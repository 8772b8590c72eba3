"""coursetools.grading under hostile and honest submissions: every attempt of the grading review, as a test.

Each attempt is a fake submission of chapter 5 (or 1) built from the released
notebook. It must earn at most what its honest content deserves (0 for a
stub), and must not touch the environment, another submission or anything
outside the sandbox. The honest edge cases must score as they deserve.
"""

import csv
import os
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursetools import grading, release, student_package
from lossbook import exercises
from lossbook.exercises import feedback

ROOT = Path(__file__).resolve().parents[1]
CH05 = "05_losses_from_scratch"
CH01 = "01_training_as_optimisation"
LIMIT = 4.0  # seconds per exercise in the sandbox, to keep the endless loops short


RIGHT = {label: exercises.get(label).solution for label in exercises.labels()}
STUB05 = {"ex-05-sparse-cce": "def sparse_cce(labels, p, eps=1e-7):\n    raise NotImplementedError()",
          "ex-05-logit-grad": "def bce_logit_grad(z, y):\n    raise NotImplementedError()",
          "ex-05-cap": "def keras_cap_by_hand():\n    raise NotImplementedError()",
          "ex-05-missing-term": "def predicted_q():\n    raise NotImplementedError()"}
#: Answers of the right shape that are wrong: what an honest grader gives them.
WRONG05 = {
    "ex-05-sparse-cce": "def sparse_cce(labels, p, eps=1e-7):\n    return 0.0",
    "ex-05-logit-grad": "def bce_logit_grad(z, y):\n    return np.zeros(len(z))",
    "ex-05-cap": "def keras_cap_by_hand():\n    return 0.0",
    "ex-05-missing-term": "def predicted_q():\n    return 0.5",
}


def _quiet(*args, **kwargs):
    pass


def _code(*lines):
    return "\n".join(lines)


def _with(answers, prefix):
    """Every answer with ``prefix`` (an attack) at the top of its cell."""
    return {label: prefix + "\n" + code for label, code in answers.items()}


# --------------------------------------------------------------------------- the class


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    chapters = [ROOT / "chapters" / f"{CH01}.ipynb", ROOT / "chapters" / f"{CH05}.ipynb"]
    release.build_course(ROOT, course, chapters)
    return {stem: course / "release" / stem / f"{stem}.ipynb" for stem in (CH01, CH05)}


def _notebook(released, stem, answers=(), extra=(), edit=None):
    nb = nbformat.read(released[stem], as_version=4)
    answers = dict(answers)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        label = meta.get("grade_id", "").removesuffix("-answer")
        if meta.get("solution") and label in answers:
            cell.source = answers[label]
    for index, source in extra:  # attack cells, inserted before the cell at `index` (negative: from the end)
        nb.cells.insert(index if index >= 0 else len(nb.cells) + index + 1, nbformat.v4.new_code_cell(source))
    if edit:
        edit(nb)
    return nb


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _answer_cell(nb, label):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{label}-answer")


def _edit_test_cells_source(nb):
    for cell in _grade_cells(nb):
        cell.source = "3.0"


def _edit_points(nb):
    for cell in _grade_cells(nb):
        cell.metadata["nbgrader"].update(points=100, locked=False)
        cell.metadata["editable"] = True
        cell.source = "exercises.grade = lambda *a, **k: 100.0"


def _edit_tests_into_answers(nb):
    for cell in _grade_cells(nb):
        cell.metadata["nbgrader"].update(grade=False, solution=True)


def _edit_strip_metadata(nb):
    for cell in _grade_cells(nb):
        del cell.metadata["nbgrader"]
        cell.source = "3.0"


def _edit_copy_test_cell(nb):
    cell = _grade_cells(nb)[0]
    nb.cells.insert(5, nbformat.from_dict(dict(cell, id="copied-test-cell")))


def _edit_fake_outputs(nb):
    for cell in _grade_cells(nb):
        cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "3.0"}, execution_count=1)]
        cell.execution_count = 1


def _edit_duplicate_answer(nb):
    """frank: a JupyterLab copy of the cap answer cell, keeping its metadata (and a new cell id)."""
    cell = _answer_cell(nb, "ex-05-cap")
    index = nb.cells.index(cell)
    nb.cells.insert(index + 1, nbformat.from_dict(dict(cell, id="a-copy-of-the-cap-answer")))


def _edit_duplicate_stub_after(nb):
    """A stub copy after the edited answer: the edited one still counts."""
    cell = _answer_cell(nb, "ex-05-cap")
    stub = nbformat.from_dict(dict(cell, id="stub-copy", source=STUB05["ex-05-cap"]))
    nb.cells.insert(nb.cells.index(cell) + 1, stub)


def _edit_lost_metadata(nb):
    del _answer_cell(nb, "ex-05-cap").metadata["nbgrader"]


VICTIM = "victim"


def _fs_attacks(folder, site_packages):
    victim = folder / VICTIM / f"{CH05}.ipynb"
    return {
        # fs1: read the solutions, the other submissions and the repository's bank
        "fs1-recon": {**STUB05, "ex-05-cap": _code(
            "def keras_cap_by_hand():",
            "    import os",
            f"    for path in [{str(ROOT / 'lossbook' / 'exercise_bank' / 'ch05.py')!r}, {str(folder)!r},",
            f"                 {str(ROOT / '_build')!r}, {str(ROOT / 'chapters')!r}, {str(victim)!r}]:",
            "        try:",
            "            return open(path).read() if os.path.isfile(path) else os.listdir(path)",
            "        except Exception as e:",
            "            pass",
            "    return 11.513 if os.getuid() == 0 else -1.0",
        )},
        # fs2: a detached daemon that outlives the grading and rewrites another student's notebook
        "fs2-daemon": {**STUB05, "ex-05-cap": _code(
            "import subprocess, sys",
            "subprocess.Popen([sys.executable, '-c', 'import time\\ntime.sleep(3)\\n'",
            f"                  'open({str(victim)!r}, \"w\").write(\"{{}}\")\\n'",
            "                  'open(\"/tmp/lossbook-daemon-was-here\", \"w\").write(\"x\")'],",
            "                 start_new_session=True)",
            "def keras_cap_by_hand():",
            "    raise NotImplementedError()",
        )},
        # fs3: a .pth file in the environment, to patch every later grade
        "fs3-persist": {**STUB05, "ex-05-cap": _code(
            f"open({str(site_packages / 'zz_lossbook_probe.pth')!r}, 'w').write('import os')",
            "def keras_cap_by_hand():",
            "    raise NotImplementedError()",
        )},
        # fs4: delete another student's submission and write into the course's package
        "fs4-vandal": {**STUB05, "ex-05-cap": _code(
            "import os",
            "for path in [" + repr(str(victim)) + "]:",
            "    try:",
            "        os.remove(path)",
            "    except OSError:",
            "        pass",
            "try:",
            f"    open({str(ROOT / 'lossbook' / 'planted.py')!r}, 'w').write('x = 1')",
            "except OSError:",
            "    pass",
            "def keras_cap_by_hand():",
            "    raise NotImplementedError()",
        )},
        # no network
        "net": {**STUB05, "ex-05-cap": _code(
            "def keras_cap_by_hand():",
            "    import socket",
            "    s = socket.create_connection(('1.1.1.1', 53), timeout=2)",
            "    return 11.513",
        )},
    }


@pytest.fixture(scope="module")
def graded(released, grading_sandbox, tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    site_packages = Path(next(p for p in sys.path if p.endswith("site-packages")))

    def submit(student, stem=CH05, **kwargs):
        (folder / student).mkdir()
        nbformat.write(_notebook(released, stem, **kwargs), folder / student / f"{stem}.ipynb")

    right05 = {k: v for k, v in RIGHT.items() if k.startswith("ex-05")}
    right01 = {k: v for k, v in RIGHT.items() if k.startswith("ex-01")}
    submit(VICTIM, answers=right05)
    submit("stub")
    submit("honest-wrong", answers=WRONG05)
    # a: replacing the grader's functions, in an extra cell or in the answer cells
    submit("a1-grade-patched", extra=[(-1, "exercises.grade = lambda label, answer, *, points: float(points)\n"
                                           "exercises.check = lambda *a: None")])
    submit("a1-in-answers", answers=_with(STUB05, "from lossbook import exercises\n"
                                                  "exercises.grade = lambda label, answer, *, points: float(points)"))
    submit("a2-evaluate", answers=_with(STUB05, "from lossbook import exercises\n"
                                                "exercises.evaluate = lambda *a, **k: exercises.Report('x', 1, 1, True, '')"))
    submit("a3-poisoned-reference", answers={
        label: code + f"\nfrom lossbook.exercises import model\nmodel._REFERENCES[{label!r}] = "
                      f"{exercises.get(label).function}" for label, code in WRONG05.items()})
    submit("a4-shadow", extra=[(-1, "class exercises:\n    grade = staticmethod(lambda *a, points: float(points))")])
    # b: patching the comparison
    submit("b1-allclose", answers=_with(WRONG05, "np.allclose = lambda *a, **k: True"))
    submit("b2-isclose", answers=_with(WRONG05, "import math\nnp.isclose = lambda *a, **k: True\n"
                                                "math.isclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True"))
    # c: editing the notebook's JSON
    submit("c1-test-source", edit=_edit_test_cells_source)
    submit("c2-points", answers={**STUB05, "ex-05-logit-grad": WRONG05["ex-05-logit-grad"]}, edit=_edit_points)
    submit("c3-tests-as-answers", edit=_edit_tests_into_answers)
    submit("c4-stripped", edit=_edit_strip_metadata)
    submit("c5-copied-test", edit=_edit_copy_test_cell)
    # d: the reference solutions
    submit("d1-reference", answers={label: _code(
        f"def {exercises.get(label).function}(*args):",
        "    from lossbook import exercises",
        f"    return exercises.get({label!r}).reference()(*args)") for label in STUB05})
    submit("d2-exec-bank", answers=_with(STUB05, "import lossbook.exercise_bank.ch05 as bank\n"
                                                 "for e in bank.EXERCISES:\n    exec(e.solution, globals())"))
    submit("d3-student-data", answers={**STUB05, "ex-05-cap": _code(
        "def keras_cap_by_hand():",
        "    import json, pathlib, lossbook.exercise_bank as bank",
        "    data = json.loads((pathlib.Path(bank.__file__).parent / 'exercises.json').read_text())",
        "    return [c for c in data if c['label'] == 'ex-05-cap'][0]['cases'][0]['expected']")})
    # e: patching round, and a fake module
    for name, value in (("e1b-round-negative", "-1.0"), ("e2b-round-nan", "float('nan')"), ("e4b-round-huge", "1e9")):
        submit(name, answers=_with(WRONG05, f"import builtins\nbuiltins.round = lambda x, n=None: {value}"))
    submit("e3-fake-module", answers=_with(STUB05, _code(
        "import sys, types",
        "fake = types.ModuleType('lossbook.exercises')",
        "fake.grade = lambda *a, points: float(points)",
        "sys.modules['lossbook.exercises'] = fake")))
    # f: outputs planted in the notebook
    submit("f1-outputs", extra=[(-1, "print(3.0)")], edit=_edit_fake_outputs)
    # g: the kernel, the display, the call stack, a lying string, a dying process, a lookup table
    submit("g1-interactivity", answers=_with(STUB05, "get_ipython().ast_node_interactivity = 'none'"),
           extra=[(-1, "get_ipython().ast_node_interactivity = 'none'")])
    submit("g2-formatter", extra=[(-1, "get_ipython().display_formatter.formatters['text/plain']"
                                       ".for_type(float, lambda x, p, c: p.text('full marks'))")])
    submit("g3-frames", answers={label: _code(
        f"def {exercises.get(label).function}(*args, **kwargs):",
        "    import sys",
        "    frame = sys._getframe()",
        "    while frame is not None:",
        "        if 'expected' in frame.f_locals:",
        "            return frame.f_locals['expected']",
        "        frame = frame.f_back",
        "    return None") for label in STUB05})
    submit("g4-lying-string", stem=CH01, answers={"ex-01-eta": _code(
        "class Yes(str):",
        "    def __eq__(self, other):",
        "        return True",
        "    def __hash__(self):",
        "        return 0",
        "    def strip(self, *a):",
        "        return self",
        "    def lower(self):",
        "        return self",
        "def predicted_path():",
        "    return Yes('no idea')")})
    submit("g5-exit", answers={**right05, "ex-05-cap": "import os\nos._exit(0)"})
    cce = exercises.get("ex-05-sparse-cce")  # the values check's feedback shows, as a lookup table
    table = {tuple(int(x) for x in c.args[0]): float(cce.expected(c)) for c in cce.cases}
    submit("g6-lookup-table", answers={**STUB05, "ex-05-sparse-cce": _code(
        "def sparse_cce(labels, p, eps=1e-7):",
        f"    table = {table!r}",
        "    return table.get(tuple(int(x) for x in labels), 0.0)")})
    submit("g7-library", answers={**STUB05,
        "ex-05-sparse-cce": "def sparse_cce(labels, p, eps=1e-7):\n    return losses.sparse_categorical_crossentropy(labels, p)",
        "ex-05-logit-grad": "def bce_logit_grad(z, y):\n    from lossbook import losses as L\n"
                            "    return L.binary_crossentropy_grad(y, z, from_logits=True)"})
    submit("g7-importlib", answers={**STUB05,
        "ex-05-sparse-cce": "def sparse_cce(labels, p, eps=1e-7):\n    import importlib\n"
                            "    m = importlib.import_module('lossbook.' + 'losses')\n"
                            "    return m.sparse_categorical_crossentropy(labels, p)",
        "ex-05-cap": "def keras_cap_by_hand():\n    import lossbook\n    return 11.513"})
    for name, answers in _fs_attacks(folder, site_packages).items():
        submit(name, answers=answers)
    # Honest edge cases
    submit("frank-duplicate", answers=right05, edit=_edit_duplicate_answer)
    submit("duplicate-stub-after", answers=right05, edit=_edit_duplicate_stub_after)
    submit("lost-metadata", answers=right05, edit=_edit_lost_metadata)
    submit("gina-logging", answers={**right05, "ex-05-sparse-cce": "import logging\nlogging.basicConfig()\n"
                                    + right05["ex-05-sparse-cce"].replace(
                                        "    p_true", "    logging.warning('computing %d examples', len(labels))\n    p_true", 1)})
    submit("stderr-and-print", answers={**right05, "ex-05-sparse-cce": right05["ex-05-sparse-cce"].replace(
        "    p_true", "    import sys\n    print('debug: here', file=sys.stderr)\n    print('debug: p_true = 1')\n    p_true", 1)})
    submit("carol2-swallowed", answers={**right05, "ex-05-cap": _code(
        "def keras_cap_by_hand():",
        "    import time",
        "    while True:",
        "        try:",
        "            time.sleep(1)",
        "        except BaseException:",
        "            pass")})
    submit("top-level-loop", answers={**right05, "ex-05-missing-term": "while True:\n    pass"})
    submit("string-number", answers={**right05, "ex-05-cap": "def keras_cap_by_hand():\n    return '11.513'"})
    submit("uses-chapter-variable", answers={**right05, "ex-05-cap": "def keras_cap_by_hand():\n    return broken"})
    submit("misspelt", answers={**right05, "ex-05-missing-term": "def predicted_Q():\n    return 1.0"})
    submit("syntax-error", answers={**right05, "ex-05-cap": "def keras_cap_by_hand(:\n    return 1"})
    submit("honest-ch01", stem=CH01, answers=right01)
    submit("sleeper-ch01", stem=CH01, answers={**right01, "ex-01-step": "import time\ntime.sleep(600)"})

    before = sorted(p.name for p in site_packages.iterdir())
    victim_text = (folder / VICTIM / f"{CH05}.ipynb").read_text(encoding="utf-8")
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    started = time.monotonic()
    rows = grading.grade(folder, out, root=ROOT, course=out.parent / "work", exercise_limit=LIMIT, jobs=1,
                         log=_quiet)
    elapsed = time.monotonic() - started
    time.sleep(4)  # long enough for fs2's daemon to strike, had it survived
    return {"rows": rows, "out": out, "folder": folder, "before": before, "site_packages": site_packages,
            "victim_text": victim_text, "elapsed": elapsed}


def _scores(graded, student):
    rows = [r for r in graded["rows"] if r["student"] == student]
    assert rows, student
    return {r["exercise"]: r for r in rows}


def _total(graded, student):
    return sum(float(r["points"] or 0) for r in _scores(graded, student).values())


ZERO = [
    "stub", "a1-grade-patched", "a1-in-answers", "a2-evaluate", "a4-shadow", "c1-test-source", "c3-tests-as-answers",
    "c4-stripped", "c5-copied-test", "d1-reference", "d2-exec-bank", "e3-fake-module", "f1-outputs",
    "g1-interactivity", "g2-formatter", "g3-frames", "fs2-daemon", "fs3-persist", "fs4-vandal", "net", "fs1-recon",
]


@pytest.mark.parametrize("student", ZERO)
def test_an_attack_on_a_stub_scores_zero(graded, student):
    assert _total(graded, student) == 0, _scores(graded, student)


@pytest.mark.parametrize("student", ["honest-wrong", "a3-poisoned-reference", "b1-allclose", "b2-isclose",
                                     "e1b-round-negative", "e2b-round-nan", "e4b-round-huge"])
def test_an_attack_on_wrong_answers_scores_what_the_answers_deserve(graded, student):
    assert _total(graded, student) <= _total(graded, "honest-wrong")
    assert _total(graded, "honest-wrong") < 1  # zeros pass a case or two of the gradient, nothing else


def test_every_score_is_a_number_between_0_and_the_maximum(graded):
    for row in graded["rows"]:
        if row["status"] == "graded":
            points, top = float(row["points"]), float(row["max_points"])
            assert 0 <= points <= top, row
    assert {r["max_points"] for r in graded["rows"] if r["exercise"] == "ex-05-sparse-cce"} == {"3"}


def test_json_edits_of_points_and_tests_change_nothing(graded):
    rows = _scores(graded, "c2-points")
    assert {r["max_points"] for r in rows.values()} == {"3", "2", "1"}
    assert _total(graded, "c2-points") == float(_scores(graded, "honest-wrong")["ex-05-logit-grad"]["points"])


def test_the_student_build_holds_no_solution_for_d3_to_find_but_the_single_case_value(graded):
    # The student build carries expected values (check needs them); the single-case ones are formative.
    row = _scores(graded, "d3-student-data")["ex-05-cap"]
    assert row["points"] in ("0", "1")


def test_a_lying_string_gets_nothing(graded):
    row = _scores(graded, "g4-lying-string")["ex-01-eta"]
    assert row["points"] == "0" and "no idea" in row["message"]


def test_a_dying_answer_costs_only_its_exercise(graded):
    rows = _scores(graded, "g5-exit")
    assert rows["ex-05-cap"]["points"] == "0"
    assert "sandbox ended" in rows["ex-05-cap"]["message"]
    assert _total(graded, "g5-exit") == 6


def test_a_lookup_table_of_the_visible_cases_fails_the_held_out_ones(graded):
    row = _scores(graded, "g6-lookup-table")["ex-05-sparse-cce"]
    assert 0 < float(row["points"]) < 3
    assert "held-out case" in row["message"]


def test_the_library_may_not_implement_an_implement_exercise(graded):
    rows = _scores(graded, "g7-library")
    for label in ("ex-05-sparse-cce", "ex-05-logit-grad"):
        assert rows[label]["points"] == "0"
        assert "implement it yourself" in rows[label]["message"], rows[label]["message"]
    rows = _scores(graded, "g7-importlib")  # a dynamic import is refused in the sandbox
    assert rows["ex-05-sparse-cce"]["points"] == "0"
    assert "implement it yourself" in rows["ex-05-sparse-cce"]["message"], rows["ex-05-sparse-cce"]["message"]
    assert rows["ex-05-cap"]["points"] == "1"  # lossbook is allowed where nothing is to be implemented


def test_the_sandbox_hides_the_course_the_solutions_and_the_other_students(graded):
    row = _scores(graded, "fs1-recon")["ex-05-cap"]
    # Nothing it looked for exists in the sandbox, and it is not root there.
    assert row["points"] == "0" and "-1" in row["message"], row["message"]


def test_no_attack_touched_the_environment_the_course_or_another_student(graded):
    assert sorted(p.name for p in graded["site_packages"].iterdir()) == graded["before"]
    assert not (ROOT / "lossbook" / "planted.py").exists()
    assert not Path("/tmp/lossbook-daemon-was-here").exists()
    victim = graded["folder"] / VICTIM / f"{CH05}.ipynb"
    assert victim.read_text(encoding="utf-8") == graded["victim_text"]
    assert _total(graded, VICTIM) == 7


def _ancestors(pid: str) -> list[int]:
    chain = []
    while pid not in ("0", "1"):
        try:
            stat = (Path("/proc") / pid / "stat").read_text()
        except OSError:
            break
        pid = stat.rsplit(")", 1)[1].split()[1]
        chain.append(int(pid))
    return chain


def test_no_process_of_a_sandbox_survives_grading(graded):
    mine, runner = os.getpid(), os.getppid()
    survivors = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "lossbook-daemon-was-here" in cmdline or "/harness.py" in cmdline:
                chain = _ancestors(proc.name)
                if runner in chain and mine not in chain:
                    continue  # a sandbox of another test worker, still grading
                survivors.append((proc.name, cmdline))
    assert survivors == [], (mine, survivors)


# --------------------------------------------------------------------------- honest edge cases


def test_honest_submissions_score_full_marks(graded):
    assert _total(graded, VICTIM) == 7
    assert _total(graded, "honest-ch01") == 4
    for row in _scores(graded, VICTIM).values():
        assert row["message"] == "" and row["status"] == "graded"


def test_a_duplicated_answer_cell_is_resolved_and_reported(graded):
    for student in ("frank-duplicate", "duplicate-stub-after"):
        rows = _scores(graded, student)
        assert _total(graded, student) == 7, rows
        assert "appears 2 times" in rows["ex-05-cap"]["message"]


def test_an_answer_cell_that_lost_its_metadata_is_found_by_its_function(graded):
    rows = _scores(graded, "lost-metadata")
    assert _total(graded, "lost-metadata") == 7
    assert "lost its nbgrader metadata" in rows["ex-05-cap"]["message"]


def test_logging_stderr_and_prints_are_shown_not_scored(graded):
    for student in ("gina-logging", "stderr-and-print"):
        rows = _scores(graded, student)
        assert _total(graded, student) == 7
        message = rows["ex-05-sparse-cce"]["message"]
        assert message.startswith("[student output, not scored:"), message
    assert "debug: p_true = 1" in _scores(graded, "stderr-and-print")["ex-05-sparse-cce"]["message"]


def test_a_loop_that_swallows_the_time_limit_costs_only_its_exercise(graded):
    rows = _scores(graded, "carol2-swallowed")
    assert rows["ex-05-cap"]["points"] == "0"
    assert "endless loop" in rows["ex-05-cap"]["message"]
    assert _total(graded, "carol2-swallowed") == 6
    looping = _scores(graded, "top-level-loop")
    assert looping["ex-05-missing-term"]["points"] == "0"
    assert "did not finish" in looping["ex-05-missing-term"]["message"]
    assert _total(graded, "top-level-loop") == 6
    sleeper = _scores(graded, "sleeper-ch01")
    assert sleeper["ex-01-step"]["points"] == "0" and _total(graded, "sleeper-ch01") == 3


def test_wrong_types_get_a_hint(graded):
    row = _scores(graded, "string-number")["ex-05-cap"]
    assert row["points"] == "0" and "not a string" in row["message"]
    exercise = exercises.Exercise(label="ex-10-pair", kind="implement", function="f", solution="",
                                  cases=(exercises.Case((), expected=(1.0, 2.0)),), hints=("h",))
    advice = feedback._diagnose(exercise, exercise.cases[0], (1.0, 2.0), np.array([1.0, 2.0]))
    assert "Return a tuple of 2 values" in advice


def test_an_answer_needing_the_chapter_beyond_its_imports_is_told_so(graded):
    row = _scores(graded, "uses-chapter-variable")["ex-05-cap"]
    assert "NameError: name 'broken' is not defined" in row["message"]
    assert "nothing else the chapter defines" in row["message"]
    row = _scores(graded, "misspelt")["ex-05-missing-term"]
    assert row["points"] == "0" and "does not define `predicted_q`" in row["message"]
    row = _scores(graded, "syntax-error")["ex-05-cap"]
    assert row["message"].startswith("the answer cell fails: SyntaxError")


def test_the_csv_is_the_record(graded):
    with open(graded["out"], newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert written == graded["rows"]
    assert list(written[0]) == list(grading.COLUMNS)


def test_grading_time_is_bounded_by_the_exercise_limit(graded):
    # Four exercises run into their limit (carol2, top-level loop, sleeper, and one per sandbox restart).
    assert graded["elapsed"] < 120, graded["elapsed"]


# --------------------------------------------------------------------------- no answers where students are


@pytest.fixture(scope="module")
def student_build(tmp_path_factory):
    return student_package.build(tmp_path_factory.mktemp("student-lossbook"), root=ROOT)


def _solution_lines():
    """Every line of every reference solution's body, except those a hint gives away on purpose."""
    lines = set()
    for label in exercises.labels():
        exercise = exercises.get(label)
        body = exercise.solution.splitlines()[2:]  # after the def line and the docstring
        hints = " ".join(exercise.hints)
        lines.update(line.strip() for line in body if len(line.strip()) > 8 and line.strip() not in hints)
    return sorted(lines)


def test_the_student_build_of_lossbook_holds_no_solution_code(student_build):
    lines = _solution_lines()
    assert len(lines) >= 15
    found = []
    for path in student_build.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{path.name}: {line}" for line in lines if line in text]
    assert found == []
    assert sorted(p.name for p in (student_build / "exercise_bank").iterdir()) == ["__init__.py", "exercises.json"]


def _run_in_student_build(student_build, code):
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(student_build.parent))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            cwd=student_build.parent, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_check_in_the_student_build_reveals_no_single_case_answer(student_build):
    out = _run_in_student_build(student_build, "\n".join([
        "import lossbook",
        f"assert lossbook.__file__.startswith({str(student_build)!r}), lossbook.__file__",
        "from lossbook import exercises",
        "exercises.check('ex-05-cap', lambda: 0.0)",
        "exercises.check('ex-01-step', lambda: 0.0)",
        "exercises.check('ex-05-sparse-cce', lambda labels, p, eps=1e-7: 0.0)",
        "exercises.check('ex-05-sparse-cce', lambda labels, p, eps=1e-7: -float(__import__('numpy').mean("
        "__import__('numpy').log(__import__('numpy').clip(p[__import__('numpy').arange(len(labels)), labels], eps, 1 - eps)))))",
        "exercises.solution('ex-05-cap')",
        "try:",
        "    exercises.get('ex-05-cap').reference()",
        "except LookupError as e:",
        "    print('no reference:', e)",
    ]))
    assert "11.513" not in out and "1.3" not in out
    assert out.count("expected:") == 1  # the multi-case exercise shows its first failing case
    assert "ex-05-sparse-cce: correct. 5 of 5 cases pass." in out
    assert "carries no solutions" in out and "no reference:" in out
    assert "exercises.solution" not in out


def test_check_shows_what_the_function_wrote_to_stderr(capsys):
    def noisy():
        print("debug: step", file=sys.stderr)
        return 1.3

    exercises.check("ex-01-step", noisy)
    out = capsys.readouterr().out
    assert "correct" in out and "wrote to stderr (not checked): debug: step" in out


def test_the_open_course_keeps_its_solutions(capsys):
    exercises.solution("ex-05-cap")
    assert "def keras_cap_by_hand" in capsys.readouterr().out
    exercises.check("ex-05-cap", lambda: 0.0)
    assert "expected: 11.513" in capsys.readouterr().out
