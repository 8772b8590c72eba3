"""lossbook.exercises: the checks learners run, and how each exercise sits in its chapter."""

import re
import time
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.special

from coursetools import course
from lossbook import exercises
from lossbook.exercises import Case, Exercise, Mistake

ROOT = Path(__file__).resolve().parents[1]
LABELS = exercises.labels()
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def _chapters():
    """Chapter notebooks that have exercises, keyed by chapter number."""
    found = {}
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if course.grade_cells(nb):
            found[path.name[:2]] = (path, nb)
    return found


CHAPTERS = _chapters()


# --------------------------------------------------------------------------- the registry


def test_every_chapter_notebook_has_exercises():
    numbers = {label[3:5] for label in LABELS}
    notebooks = {path.name[:2] for path in (ROOT / "chapters").glob("*.ipynb")}
    assert notebooks, "no chapter notebooks found"
    assert notebooks <= numbers, f"chapters without exercises: {sorted(notebooks - numbers)}"
    assert notebooks <= set(CHAPTERS), f"chapters without graded cells: {sorted(notebooks - set(CHAPTERS))}"


@pytest.mark.parametrize("label", LABELS)
def test_the_reference_solution_passes_every_case(label):
    report = exercises.evaluate(label, exercises.get(label).reference())
    assert report.correct, report.text
    assert report.text.startswith(f"{label}: correct.")


@pytest.mark.parametrize("label", LABELS)
def test_every_common_mistake_fails_with_a_hint(label):
    exercise = exercises.get(label)
    for mistake in exercise.mistakes:
        def wrong(*args, mistake=mistake):
            return mistake.answer(exercise.expected(Case(args)), *args)

        report = exercises.evaluate(label, wrong)
        assert not report.correct, f"{label}: the mistake {mistake.hint[:40]!r} passes every case"
        assert "  hint:     " in report.text, report.text


@pytest.mark.parametrize("number", sorted(set(CHAPTERS) | {label[3:5] for label in LABELS}))
def test_each_chapter_has_three_exercises_of_three_kinds(number):
    kinds = [exercises.get(label).kind for label in LABELS if label[3:5] == number]
    assert len(kinds) >= 3
    assert len(set(kinds)) >= 3, kinds


def test_all_four_kinds_occur():
    assert {exercises.get(label).kind for label in LABELS} == set(exercises.KINDS)


def test_an_unknown_label_lists_the_chapters_labels():
    with pytest.raises(ValueError, match="no exercise is labelled 'ex-01-stpe'.*'ex-01-step'"):
        exercises.get("ex-01-stpe")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"label": "Exercise 1"}, "must look like 'ex-05-sparse-cce'"),
        ({"kind": "essay"}, "kind must be one of"),
        ({"function": "not a name"}, "function must be a Python name"),
        ({"cases": ()}, "at least one Case"),
        ({"hints": ()}, "at least one hint"),
        ({"points": 0}, "points must be a positive integer"),
        ({"choices": ("a", "b"), "cases": (Case(expected="c"),)}, "not one of the choices"),
    ],
)
def test_a_malformed_exercise_is_rejected(changes, message):
    fields = dict(label="ex-09-demo", kind="by hand", function="f", solution="def f():\n    return 1\n",
                  cases=(Case(),), hints=("think",))
    fields.update(changes)
    with pytest.raises(ValueError, match=message):
        Exercise(**fields)


# --------------------------------------------------------------------------- feedback


def _answer(source, name):
    namespace = {"np": np, "scipy": scipy}
    exec(source, namespace)  # noqa: S102 - a learner's cell, as the notebook would run it
    return namespace[name]


# The common mistakes the course names, each written as a learner would write it.
NAMED_MISTAKES = [
    ("missing (1 - y) term", "ex-02-mean-nll", "def mean_nll(p, x):\n    return -np.mean(x * np.log(p))",
     "The (1 - x) log(1 - p) term is missing"),
    ("missing (1 - y) term in a gradient", "ex-05-logit-grad",
     "def bce_logit_grad(y, z):\n    return -y * (1 - scipy.special.expit(z)) / len(z)", "The (1 - y) term is missing"),
    ("log base 2 for nats", "ex-02-mean-nll",
     "def mean_nll(p, x):\n    return -np.mean(x * np.log2(p) + (1 - x) * np.log2(1 - p))", "Wrong log base"),
    ("natural log for bits", "ex-03-kl-bits",
     "def kl_bits(p, q):\n    p, q = p / p.sum(), q / q.sum()\n    return np.sum(scipy.special.rel_entr(p, q))",
     "Wrong log base"),
    ("no clipping", "ex-05-sparse-cce",
     "def sparse_cce(labels, p, eps=1e-7):\n    return -np.mean(np.log(p[np.arange(len(labels)), labels]))",
     "No clipping"),
    ("per-example losses", "ex-05-sparse-cce",
     "def sparse_cce(labels, p, eps=1e-7):\n"
     "    return -np.log(np.clip(p[np.arange(len(labels)), labels], eps, 1 - eps))",
     "Wrong axis or reduction: the answer is a single number"),
    ("mean over classes too", "ex-05-sparse-cce",
     "def sparse_cce(labels, p, eps=1e-7):\n    y = np.eye(p.shape[1])[labels]\n"
     "    return -np.mean(y * np.log(np.clip(p, eps, 1 - eps)))", "np.mean over the whole n x K array"),
    ("labels shifted", "ex-05-sparse-cce",
     "def sparse_cce(labels, p, eps=1e-7):\n"
     "    return -np.mean(np.log(np.clip(p[np.arange(len(labels)), labels - 1], eps, 1 - eps)))",
     "Labels in the wrong set"),
    ("0/1 labels in a hinge loss", "ex-04-hinge",
     "def hinge_01(y, y_pred):\n    return np.mean(np.maximum(0, 1 - y * y_pred))", "Labels in the wrong set"),
    ("Huber gradient not clipped", "ex-06-huber-grad",
     "def huber_gradient(y_true, y_pred, delta=1.0):\n    return (y_pred - y_true) / len(y_pred)",
     "The error is not clipped"),
    ("Huber gradient of the sum", "ex-06-huber-grad",
     "def huber_gradient(y_true, y_pred, delta=1.0):\n    return np.clip(y_pred - y_true, -delta, delta)",
     "Wrong reduction"),
    ("(n,) labels against (n, 1) scores", "ex-07-sign-accuracy",
     "def accuracy_by_sign(y, scores):\n    return np.mean((scores > 0) == (y > 0))",
     "Reshape the scores to the labels' shape"),
    ("Keras' accuracy on a tanh output", "ex-07-sign-accuracy",
     "def accuracy_by_sign(y, scores):\n    return np.mean((np.ravel(scores) > 0.5) == y)",
     "That is Keras' 'accuracy'"),
    ("0/1 labels compared by sign", "ex-07-sign-accuracy",
     "def accuracy_by_sign(y, scores):\n    return np.mean(np.sign(np.ravel(scores)) == np.sign(y))",
     "Labels in the wrong set"),
    ("softmax overflow from logits", "ex-08-cce-logits",
     "def sparse_cce_from_logits(labels, logits):\n    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"
     "    return -np.mean(np.log(p[np.arange(len(labels)), labels]))", "np.exp overflows"),
    ("probabilities clipped from logits", "ex-08-cce-logits",
     "def sparse_cce_from_logits(labels, logits):\n    p = scipy.special.softmax(logits, axis=1)\n"
     "    return -np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-7, 1)))",
     "you clipped the probabilities"),
    ("labels shifted, from logits", "ex-08-cce-logits",
     "def sparse_cce_from_logits(labels, logits):\n    t = labels - 1\n"
     "    return np.mean(scipy.special.logsumexp(logits, axis=1) - logits[np.arange(len(t)), t])",
     "Labels in the wrong set"),
    ("bits for bytes", "ex-08-label-memory", "def label_memory_by_hand():\n    return (160.0, 3.2)", "Those are bits"),
]


@pytest.mark.parametrize("name, label, source, hint", NAMED_MISTAKES, ids=[m[0] for m in NAMED_MISTAKES])
def test_common_mistakes_get_their_own_hint(name, label, source, hint):
    exercise = exercises.get(label)
    report = exercises.evaluate(label, _answer(source, exercise.function))
    assert not report.correct
    assert "  expected: " in report.text and "  received: " in report.text
    assert hint in " ".join(report.text.split()), report.text


def test_a_failing_case_shows_the_call_expected_and_received_values():
    source = "def mean_nll(p, x):\n    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p))"
    text = exercises.evaluate("ex-02-mean-nll", _answer(source, "mean_nll")).text
    lines = text.splitlines()
    assert lines[0] == ("ex-02-mean-nll: not yet. 1 of 5 cases pass; case 1 fails: "
                        "the ten flips of the previous exercise.")
    assert lines[1] == "  call:     mean_nll(p=0.3, x=[1, 0, 0, 1, 0, 0, 0, 1, 0, 0])"
    assert lines[2] == "  expected: 0.61086"
    assert lines[3] == "  received: 6.1086"
    assert lines[4].startswith("  hint:     Wrong reduction: you summed")
    assert lines[-1] == ('More help: exercises.hint("ex-02-mean-nll"); '
                         'a worked solution: exercises.solution("ex-02-mean-nll").')


def test_an_unanswered_exercise_says_so():
    def one_step():
        raise NotImplementedError()

    report = exercises.evaluate("ex-01-step", one_step)
    assert not report.answered and not report.correct
    assert report.text.startswith("ex-01-step: not answered yet (`one_step` still raises NotImplementedError)")


def test_an_exception_in_the_learners_code_is_feedback_with_its_line():
    def kl_bits(p, q):
        total = p.sum() / q.sum()
        return total[0]

    text = exercises.evaluate("ex-03-kl-bits", kl_bits).text
    assert "  received: IndexError: invalid index to scalar variable." in text
    assert "  raised at this line of your code: return total[0]" in text


def test_sys_exit_in_the_learners_code_does_not_stop_the_check():
    def one_step():
        raise SystemExit(3)

    assert "received: SystemExit: 3" in exercises.evaluate("ex-01-step", one_step).text


def test_an_endless_loop_is_stopped_and_reported():
    def predicted_path():
        while True:
            pass

    start = time.perf_counter()
    text = exercises.evaluate("ex-01-eta", predicted_path, time_limit=0.2).text
    assert time.perf_counter() - start < 5
    assert "received: nothing; the call did not finish within 0.2 s (an endless loop?)" in text


def test_warnings_and_stderr_of_the_learners_code_stay_inside_the_feedback(capsys):
    import sys
    import warnings

    def bce_logit_grad(y, z):
        print("debugging", file=sys.stderr)
        warnings.warn("careful", UserWarning, stacklevel=2)
        return (1 / (1 + np.exp(-z)) - y) / len(z)

    report = exercises.evaluate("ex-05-logit-grad", bce_logit_grad)
    assert report.correct
    assert "Note: your function warned: UserWarning: careful; RuntimeWarning: overflow encountered in exp" in report.text
    assert capsys.readouterr().err == ""


def test_a_value_instead_of_a_function_is_explained():
    text = exercises.evaluate("ex-01-step", 1.3).text
    assert text == ('ex-01-step: expected the function `one_step`; received 1.3. Pass the function itself, '
                    'without calling it: exercises.check("ex-01-step", one_step).')


def test_a_missing_return_is_explained():
    def line_gradient(a, b, x, y):
        np.array([0.0, 0.0])

    assert "did it forget to `return`" in exercises.evaluate("ex-01-line-grad", line_gradient).text


def test_a_word_outside_the_choices_is_explained():
    text = exercises.evaluate("ex-01-eta", lambda: "converge").text
    assert 'Return one of the words "creep", "land", "oscillate", "diverge", as a string.' in text


def test_readings_from_plots_accept_the_stated_tolerance():
    assert exercises.evaluate("ex-02-read-consistency", lambda: 0.013).correct
    report = exercises.evaluate("ex-02-read-consistency", lambda: 0.145)
    assert "  expected: 0.0145 (within 20%)" in report.text
    assert "ten times too large" in report.text


def test_check_prints_the_feedback_and_returns_nothing(capsys):
    assert exercises.check("ex-01-step", lambda: 1.3) is None
    assert capsys.readouterr().out == "ex-01-step: correct. 1 of 1 case passes.\n"


def test_feedback_is_the_same_text_on_every_run():
    wrong = _answer("def kl_bits(p, q):\n    return np.sum(p * np.log(p / q))", "kl_bits")
    assert exercises.evaluate("ex-03-kl-bits", wrong).text == exercises.evaluate("ex-03-kl-bits", wrong).text


@pytest.mark.parametrize(
    "value, text",
    [
        (np.float64(0.25), "0.25"),
        (np.array([1e-17, 2.0]), "[0, 2]"),
        (np.arange(20.0), "an array of shape (20,) starting [0, 1, 2, 3, 4, 5, ...]"),
        (float("nan"), "nan"),
        ((1.0,), "(1,)"),
        (object(), "a value of type object"),
    ],
)
def test_values_are_shown_without_reprs(value, text):
    assert exercises.show(value) == text


# --------------------------------------------------------------------------- grade, hint, solution


def test_grade_gives_partial_credit_in_proportion_to_the_cases(capsys):
    wrong = _answer("def hinge_01(y, y_pred):\n    return np.mean(np.maximum(0, 1 - y * y_pred))", "hinge_01")
    assert exercises.grade("ex-04-hinge", wrong, points=2) == 0.4
    out = capsys.readouterr().out
    assert out.startswith("ex-04-hinge: 0.4 of 2 points (1 of 5 cases pass).\nex-04-hinge: not yet.")
    assert exercises.grade("ex-04-hinge", exercises.get("ex-04-hinge").reference(), points=2) == 2.0
    assert capsys.readouterr().out == "ex-04-hinge: 2 of 2 points (5 of 5 cases pass).\n"


def test_grade_of_an_unanswered_exercise_is_zero(capsys):
    def one_step():
        raise NotImplementedError()

    assert exercises.grade("ex-01-step", one_step, points=1) == 0.0
    assert capsys.readouterr().out.startswith("ex-01-step: 0 of 1 point (not answered).")


def test_grade_refuses_points_that_disagree_with_the_exercise():
    with pytest.raises(ValueError, match="worth 2 points in lossbook.exercise_bank, but the grade cell gives 3"):
        exercises.grade("ex-04-hinge", lambda y, p: 0.0, points=3)


def test_hints_come_one_at_a_time(capsys, monkeypatch):
    monkeypatch.setattr(exercises, "_HINTS_GIVEN", {})
    for _ in range(3):
        exercises.hint("ex-04-hinge")
    out = capsys.readouterr().out
    assert out.count("Hint 1 of 2 for ex-04-hinge:") == 1
    assert out.count("Hint 2 of 2 for ex-04-hinge:") == 2
    assert 'exercises.solution("ex-04-hinge") shows a worked solution' in out


def test_solution_prints_the_reference_unless_switched_off(capsys, monkeypatch):
    monkeypatch.delenv(exercises.SOLUTIONS_SWITCH, raising=False)
    exercises.solution("ex-04-hinge")
    assert "    t = 2 * y - 1\n" in capsys.readouterr().out
    monkeypatch.setenv(exercises.SOLUTIONS_SWITCH, "off")
    exercises.solution("ex-04-hinge")
    out = capsys.readouterr().out
    assert "t = 2 * y - 1" not in out and "Solutions are switched off" in out


# --------------------------------------------------------------------------- the exercises in the chapters


def _strip_markers(source):
    return "\n".join(line for line in source.splitlines() if not _MARKER.match(line)).strip()


def _exercise_cells(nb, label):
    """The answer, check and grade cells of one exercise, and its markdown."""
    cells = nb.cells
    answer = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{label}-answer"]
    grade = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == label]
    check = [c for c in cells if c.cell_type == "code" and f'exercises.check("{label}",' in c.source]
    statement = [c for c in cells if c.cell_type == "markdown" and re.search(rf"^:label: {label}$", c.source, re.M)]
    start = [c for c in cells if c.cell_type == "markdown" and f"{{solution-start}} {label}\n" in c.source]
    return answer, check, grade, statement, start


@pytest.mark.parametrize("label", LABELS)
def test_each_exercise_is_laid_out_in_its_chapter(label):
    exercise = exercises.get(label)
    _, nb = CHAPTERS[label[3:5]]
    answer, check, grade, statement, start = _exercise_cells(nb, label)
    assert len(answer) == len(check) == len(grade) == len(statement) == len(start) == 1, label

    # The statement on the website: a numbered exercise, its solution behind a toggle.
    assert re.match(r"^```\{exercise\} \S", statement[0].source)
    assert ":class: dropdown" in start[0].source

    # The learner's cell: the reference solution between nbgrader's markers, inside a function,
    # so that the student edition's stub raises only when the function is called.
    meta = answer[0].metadata["nbgrader"]
    assert meta["solution"] and not meta["grade"] and not meta["locked"]
    assert _strip_markers(answer[0].source) == exercise.solution.strip()
    assert answer[0].source.startswith(f"def {exercise.function}(")
    begin = next(line for line in answer[0].source.splitlines() if "BEGIN SOLUTION" in line)
    assert begin.startswith("    ")

    # The check, and the hidden test cell that nbgrader scores.
    assert check[0].source.strip().endswith(f'exercises.check("{label}", {exercise.function})')
    meta = grade[0].metadata["nbgrader"]
    assert meta["grade"] and meta["locked"] and not meta["solution"]
    assert meta["points"] == exercise.points
    assert "remove-cell" in grade[0].metadata.get("tags", [])
    hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*)\n### END HIDDEN TESTS", grade[0].source, re.S)
    assert hidden and hidden.group(1).strip() == (
        f'exercises.grade("{label}", {exercise.function}, points={exercise.points})'
    )
    # The stored chapter ran with the solutions in place: full marks, nothing else.
    assert check[0].outputs[-1]["text"].splitlines()[-1].startswith(f"{label}: correct.")
    result = [o for o in grade[0].outputs if o["output_type"] == "execute_result"]
    assert result[0]["data"]["text/plain"] == f"{float(exercise.points)}"


@pytest.mark.parametrize("number", sorted(CHAPTERS))
def test_exercises_close_the_chapter_and_only_the_checks_call_the_learners_code(number):
    path, nb = CHAPTERS[number]
    start = min(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    assert not any(c.cell_type == "markdown" and c.source.startswith("## ") for c in nb.cells[start + 1:]), path.name
    graded = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader")]
    assert min(graded) > start
    in_notebook = set(course.grade_cells(nb))
    in_registry = {label for label in LABELS if label[3:5] == number}
    assert in_notebook == in_registry
    functions = [exercises.get(label).function for label in in_registry]
    for cell in nb.cells[start:]:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        for name in functions:
            assert not re.search(rf"\b{name}\s*\(", cell.source), f"{path.name}: a cell calls {name}()"


def test_labels_and_function_names_are_unique():
    assert not [k for k, n in Counter(exercises.get(label).function for label in LABELS).items() if n > 1]


def test_a_custom_exercise_is_checked_like_the_course_ones():
    exercise = Exercise(
        label="ex-99-square", kind="implement", function="square",
        solution="def square(x):\n    return x * x\n",
        cases=(Case((3.0,)), Case((np.array([1.0, -2.0]),), note="an array")),
        hints=("multiply",), mistakes=(Mistake("You doubled instead of squaring.", lambda e, x: 2 * x),),
    )
    exercises._REGISTRY[exercise.label] = exercise
    try:
        report = exercises.evaluate("ex-99-square", lambda x: 2 * x)
    finally:
        del exercises._REGISTRY[exercise.label]
    assert report.passed == 0
    assert "  call:     square(x=3)\n  expected: 9\n  received: 6\n  hint:     You doubled instead of squaring." in report.text
