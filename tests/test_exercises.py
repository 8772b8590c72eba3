"""lossbook.exercises: the checks learners run; coursetools.exercises: each exercise's cells, written from the bank."""

import ast
import dataclasses
import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.special

from coursetools import course
from coursetools import exercises as cells
from lossbook import exercises
from lossbook.exercises import Case, Exercise, Mistake, feedback, model
from lossbook.exercises.model import COMMON_MISTAKES, common_mistakes

ROOT = Path(__file__).resolve().parents[1]
LABELS = exercises.labels()


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
    # Numbered chapters hold exercises; a page that only collects answers (choosing_a_loss) has none.
    notebooks = {path.name[:2] for path in (ROOT / "chapters").glob("[0-9][0-9]*.ipynb")}
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
    for mistake in exercise.mistakes + common_mistakes(exercise):

        def wrong(*args, mistake=mistake):
            return mistake.answer(exercise.expected(Case(args)), *args)

        report = exercises.evaluate(label, wrong)
        assert not report.correct, f"{label}: the mistake {mistake.hint[:40]!r} passes every case"
        assert "  hint:     " in report.text, report.text
        assert report.hint and report.status in ("partial", "incorrect")


# Each generic mistake, as a learner writes it, in one exercise that names it.
GENERIC_MISTAKES = [
    (
        "log2 for nats",
        "ex-05-sparse-cce",
        "def sparse_cce(labels, p, eps=1e-7):\n"
        "    return -np.mean(np.log2(np.clip(p[np.arange(len(labels)), labels], eps, 1 - eps)))",
        "Wrong log base: that is the value in bits",
    ),
    (
        "log10 for nats",
        "ex-09-cce-logits",
        "def sparse_cce_from_logits(labels, logits):\n"
        "    z = logits - logits.max(axis=1, keepdims=True)\n"
        "    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n"
        "    return -np.mean(np.log10(p[np.arange(len(labels)), labels]))",
        "Wrong log base: that is the value with log base 10. This exercise asks for nats",
    ),
    (
        "nats for bits",
        "ex-03-kl-bits",
        "def kl_bits(p, q):\n    p, q = p / p.sum(), q / q.sum()\n    return np.sum(scipy.special.rel_entr(p, q))",
        "Wrong log base: that is the value in nats",
    ),
    (
        "sign of a gradient",
        "ex-06-huber-grad",
        "def huber_gradient(y_true, y_pred, delta=1.0):\n    return np.clip(y_true - y_pred, -delta, delta) / len(y_pred)",
        "The sign is flipped",
    ),
    (
        "sign of a log-likelihood",
        "ex-02-mean-nll",
        "def mean_nll(p, x):\n    return np.mean(x * np.log(p) + (1 - x) * np.log(1 - p))",
        "The sign is flipped",
    ),
    (
        "sum for a mean",
        "ex-08-sign-accuracy",
        "def accuracy_by_sign(y, scores):\n    return np.sum((np.ravel(scores) > 0) == (y > 0))",
        "Wrong reduction: your value is n times the right one",
    ),
    (
        "sum for a mean, by hand",
        "ex-02-nll-by-hand",
        "def mean_nll_by_hand():\n    return -(3 * np.log(0.3) + 7 * np.log(0.7))",
        "Wrong reduction: your value is n times the right one",
    ),
]


@pytest.mark.parametrize("name, label, source, hint", GENERIC_MISTAKES, ids=[m[0] for m in GENERIC_MISTAKES])
def test_generic_mistakes_are_diagnosed_from_the_one_definition(name, label, source, hint):
    exercise = exercises.get(label)
    report = exercises.evaluate(label, _answer(source, exercise.function))
    assert not report.correct
    assert hint in " ".join(report.text.split()), report.text


@pytest.mark.parametrize("label", LABELS)
def test_no_bank_writes_out_a_generic_mistake_again(label):
    # A hand-written mistake whose values are a generic one's on every case belongs in `common` instead.
    exercise = exercises.get(label)
    probe = dataclasses.replace(exercise, common=COMMON_MISTAKES, examples=exercise.examples or 7)
    for mistake in exercise.mistakes:
        for generic in common_mistakes(probe):
            same = []
            for index, case in enumerate(exercise.cases):
                expected = exercise.expected(case)
                try:
                    mine, theirs = mistake.value(index, expected, case.args), generic.value(index, expected, case.args)
                except Exception:  # noqa: BLE001 - not comparable on this case
                    same.append(False)
                    continue
                same.append(np.shape(mine) == np.shape(theirs) and bool(np.allclose(mine, theirs)))
            assert not all(same), f"{label}: {mistake.hint[:50]!r} repeats the generic {generic.hint[:30]!r}"


def test_generic_mistakes_reject_unknown_names_and_units():
    fields = dict(
        label="ex-10-demo", kind="by hand", function="f", solution="def f():\n    return 1\n", cases=(Case(),), hints=("think",)
    )
    with pytest.raises(ValueError, match="common mistakes must come from"):
        Exercise(**fields, common=("off by one",))
    with pytest.raises(ValueError, match="unit must be one of"):
        Exercise(**fields, unit="decibels")
    with pytest.raises(LookupError, match="needs `examples`"):
        common_mistakes(Exercise(**fields, common=("sum",)))[0].answer(1.0)


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
    fields = dict(
        label="ex-10-demo", kind="by hand", function="f", solution="def f():\n    return 1\n", cases=(Case(),), hints=("think",)
    )
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
    (
        "missing (1 - y) term",
        "ex-02-mean-nll",
        "def mean_nll(p, x):\n    return -np.mean(x * np.log(p))",
        "The (1 - x) log(1 - p) term is missing",
    ),
    (
        "missing (1 - y) term in a gradient",
        "ex-05-logit-grad",
        "def bce_logit_grad(y, z):\n    return -y * (1 - scipy.special.expit(z)) / len(z)",
        "The (1 - y) term is missing",
    ),
    (
        "log base 2 for nats",
        "ex-02-mean-nll",
        "def mean_nll(p, x):\n    return -np.mean(x * np.log2(p) + (1 - x) * np.log2(1 - p))",
        "Wrong log base",
    ),
    (
        "natural log for bits",
        "ex-03-kl-bits",
        "def kl_bits(p, q):\n    p, q = p / p.sum(), q / q.sum()\n    return np.sum(scipy.special.rel_entr(p, q))",
        "Wrong log base",
    ),
    (
        "no clipping",
        "ex-05-sparse-cce",
        "def sparse_cce(labels, p, eps=1e-7):\n    return -np.mean(np.log(p[np.arange(len(labels)), labels]))",
        "No clipping",
    ),
    (
        "per-example losses",
        "ex-05-sparse-cce",
        "def sparse_cce(labels, p, eps=1e-7):\n    return -np.log(np.clip(p[np.arange(len(labels)), labels], eps, 1 - eps))",
        "Wrong axis or reduction: the answer is a single number",
    ),
    (
        "mean over classes too",
        "ex-05-sparse-cce",
        "def sparse_cce(labels, p, eps=1e-7):\n    y = np.eye(p.shape[1])[labels]\n"
        "    return -np.mean(y * np.log(np.clip(p, eps, 1 - eps)))",
        "np.mean over the whole n x K array",
    ),
    (
        "labels shifted",
        "ex-05-sparse-cce",
        "def sparse_cce(labels, p, eps=1e-7):\n"
        "    return -np.mean(np.log(np.clip(p[np.arange(len(labels)), labels - 1], eps, 1 - eps)))",
        "Labels in the wrong set",
    ),
    (
        "0/1 labels in a hinge loss",
        "ex-04-hinge",
        "def hinge_01(y, y_pred):\n    return np.mean(np.maximum(0, 1 - y * y_pred))",
        "Labels in the wrong set",
    ),
    (
        "Huber gradient not clipped",
        "ex-06-huber-grad",
        "def huber_gradient(y_true, y_pred, delta=1.0):\n    return (y_pred - y_true) / len(y_pred)",
        "The error is not clipped",
    ),
    (
        "Huber gradient of the sum",
        "ex-06-huber-grad",
        "def huber_gradient(y_true, y_pred, delta=1.0):\n    return np.clip(y_pred - y_true, -delta, delta)",
        "Wrong reduction",
    ),
    (
        "(n,) labels against (n, 1) scores",
        "ex-08-sign-accuracy",
        "def accuracy_by_sign(y, scores):\n    return np.mean((scores > 0) == (y > 0))",
        "Reshape the scores to the labels' shape",
    ),
    (
        "Keras' accuracy on a tanh output",
        "ex-08-sign-accuracy",
        "def accuracy_by_sign(y, scores):\n    return np.mean((np.ravel(scores) > 0.5) == y)",
        "That is Keras' 'accuracy'",
    ),
    (
        "0/1 labels compared by sign",
        "ex-08-sign-accuracy",
        "def accuracy_by_sign(y, scores):\n    return np.mean(np.sign(np.ravel(scores)) == np.sign(y))",
        "Labels in the wrong set",
    ),
    (
        "softmax overflow from logits",
        "ex-09-cce-logits",
        "def sparse_cce_from_logits(labels, logits):\n    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"
        "    return -np.mean(np.log(p[np.arange(len(labels)), labels]))",
        "np.exp overflows",
    ),
    (
        "probabilities clipped from logits",
        "ex-09-cce-logits",
        "def sparse_cce_from_logits(labels, logits):\n    p = scipy.special.softmax(logits, axis=1)\n"
        "    return -np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-7, 1)))",
        "you clipped the probabilities",
    ),
    (
        "labels shifted, from logits",
        "ex-09-cce-logits",
        "def sparse_cce_from_logits(labels, logits):\n    t = labels - 1\n"
        "    return np.mean(scipy.special.logsumexp(logits, axis=1) - logits[np.arange(len(t)), t])",
        "Labels in the wrong set",
    ),
    ("bits for bytes", "ex-09-label-memory", "def label_memory_by_hand():\n    return (160.0, 3.2)", "Those are bits"),
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
    assert lines[0] == ("ex-02-mean-nll: not yet. 1 of 5 cases pass; case 1 fails: the ten flips of the previous exercise.")
    assert lines[1] == "  call:     mean_nll(p=0.3, x=[1, 0, 0, 1, 0, 0, 0, 1, 0, 0])"
    assert lines[2] == "  expected: 0.61086"
    assert lines[3] == "  received: 6.1086"
    assert lines[4].startswith("  hint:     Wrong reduction: your value is n times")
    assert lines[-1] == ('More help: exercises.hint("ex-02-mean-nll"); a worked solution: exercises.solution("ex-02-mean-nll").')


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


@pytest.mark.timing
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
    assert text == (
        "ex-01-step: expected the function `one_step`; received 1.3. Pass the function itself, "
        'without calling it: exercises.check("ex-01-step", one_step).'
    )


def test_a_missing_return_is_explained():
    def line_gradient(a, b, x, y):
        np.array([0.0, 0.0])

    assert "did it forget to `return`" in exercises.evaluate("ex-01-line-grad", line_gradient).text


def test_a_word_outside_the_choices_is_explained():
    text = exercises.evaluate("ex-01-eta", lambda: "converge").text
    assert 'Return one of the words "creep", "land", "oscillate", "diverge", as a string.' in text


def test_readings_from_plots_accept_the_stated_tolerance():
    assert exercises.evaluate("ex-02-read-consistency", lambda: 450.0).correct
    report = exercises.evaluate("ex-02-read-consistency", lambda: 5250.0)
    assert "  expected: 525 (within 20%)" in report.text
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
    assert exercises.grade("ex-04-hinge", wrong, points=2) == 0.29
    out = capsys.readouterr().out
    assert out.startswith("ex-04-hinge: 0.29 of 2 points (1 of 7 cases pass).\nex-04-hinge: not yet.")
    assert exercises.grade("ex-04-hinge", exercises.get("ex-04-hinge").reference(), points=2) == 2.0
    assert capsys.readouterr().out == "ex-04-hinge: 2 of 2 points (7 of 7 cases pass).\n"


def test_grade_of_an_unanswered_exercise_is_zero(capsys):
    def one_step():
        raise NotImplementedError()

    assert exercises.grade("ex-01-step", one_step, points=1) == 0.0
    assert capsys.readouterr().out.startswith("ex-01-step: 0 of 1 point (not answered).")


def test_grade_refuses_points_that_disagree_with_the_exercise():
    with pytest.raises(ValueError, match="worth 2 points in lossbook.exercise_bank, but the grade cell gives 3"):
        exercises.grade("ex-04-hinge", lambda y, p: 0.0, points=3)


def _result_lines(out):
    return [line for line in out.splitlines() if line.startswith(feedback.RESULT_PREFIX + " ")]


def test_grade_prints_a_structured_result_under_the_autograder(capsys, monkeypatch):
    monkeypatch.setenv(feedback.AUTOGRADER, "autograde")
    wrong = _answer("def hinge_01(y, y_pred):\n    return np.mean(np.maximum(0, 1 - y * y_pred))", "hinge_01")
    assert exercises.grade("ex-04-hinge", wrong, points=2) == 0.29
    out = capsys.readouterr().out
    lines = _result_lines(out)
    assert len(lines) == 1 and out.rstrip("\n").endswith(lines[0])
    result = json.loads(lines[0].split(" ", 1)[1])
    assert list(result) == ["label", "passed", "total", "points", "max_points", "status", "message", "hint"]
    assert result["label"] == "ex-04-hinge" and (result["passed"], result["total"]) == (1, 7)
    assert (result["points"], result["max_points"], result["status"]) == (0.29, 2, "partial")
    assert result["message"].startswith("not yet. 1 of 7 cases pass; case ")
    assert result["hint"].startswith("Labels in the wrong set")
    assert feedback.results(out) == [result]


@pytest.mark.parametrize(
    "answer, status, message",
    [
        ("def one_step():\n    return 1.3", "correct", "correct. 1 of 1 case passes."),
        (
            "def one_step():\n    raise NotImplementedError()",
            "unanswered",
            "not answered yet (`one_step` still raises NotImplementedError).",
        ),
        ("def one_step():\n    return 0.7", "incorrect", "not yet. 0 of 1 case passes; case 1 fails."),
    ],
)
def test_the_structured_result_gives_the_status_and_message(capsys, monkeypatch, answer, status, message):
    monkeypatch.setenv(feedback.AUTOGRADER, "autograde")
    exercises.grade("ex-01-step", _answer(answer, "one_step"), points=1)
    [result] = feedback.results(capsys.readouterr().out)
    assert (result["status"], result["message"]) == (status, message)
    assert bool(result["hint"]) == (status == "incorrect")


def test_grade_prints_no_structured_result_outside_the_autograder(capsys, monkeypatch):
    monkeypatch.delenv(feedback.AUTOGRADER, raising=False)
    exercises.grade("ex-01-step", lambda: 0.7, points=1)
    assert _result_lines(capsys.readouterr().out) == []


def test_results_skip_lines_that_are_not_results():
    text = 'LOSSBOOK-RESULT not json\nLOSSBOOK-RESULT [1, 2]\n  LOSSBOOK-RESULT {"label": "x"}\nhint: LOSSBOOK-RESULT {}\n'
    assert feedback.results(text) == [{"label": "x"}]


def test_hints_come_one_at_a_time(capsys, monkeypatch):
    monkeypatch.setattr(feedback, "_HINTS_GIVEN", {})
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


@pytest.mark.parametrize("number", sorted(CHAPTERS))
def test_exercises_close_the_chapter_and_only_the_checks_call_the_learners_code(number):
    path, nb = CHAPTERS[number]
    start = min(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    assert not any(c.cell_type == "markdown" and c.source.startswith("## ") for c in nb.cells[start + 1 :]), path.name
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
        label="ex-99-square",
        kind="implement",
        function="square",
        solution="def square(x):\n    return x * x\n",
        cases=(Case((3.0,)), Case((np.array([1.0, -2.0]),), note="an array")),
        hints=("multiply",),
        mistakes=(Mistake("You doubled instead of squaring.", lambda e, x: 2 * x),),
    )
    model._REGISTRY[exercise.label] = exercise
    try:
        report = exercises.evaluate("ex-99-square", lambda x: 2 * x)
    finally:
        del model._REGISTRY[exercise.label]
    assert report.passed == 0
    assert "  call:     square(x=3)\n  expected: 9\n  received: 6\n  hint:     You doubled instead of squaring." in report.text


# --------------------------------------------------------------------------- the cells written from the bank


def _chapter_exercises(number):
    return [exercises.get(label) for label in LABELS if label[3:5] == number]


def test_the_bank_and_the_model_do_not_import_each_other():
    """The bank imports the model only; the model finds the bank by name, at first use."""
    bank = sorted((ROOT / "lossbook" / "exercise_bank").glob("*.py"))
    for path in bank + [ROOT / "lossbook" / "exercises" / "model.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            ours = [n for n in names if n.startswith("lossbook")]
            if path.name == "model.py":
                assert ours == [], f"{path.name} imports {ours}"
            else:
                assert all(n.startswith("lossbook.exercises.model") for n in ours), f"{path.name} imports {ours}"


@pytest.mark.parametrize("label", LABELS)
def test_every_exercise_has_its_text(label):
    exercise = exercises.get(label)
    assert exercise.title.strip() and exercise.statement.strip() and exercise.explanation.strip()
    assert not exercise.statement.startswith("\n") and not exercise.statement.endswith("\n")
    assert [role for role, *_ in cells.layout(exercise)] == [role for role in cells.ROLES if role != "demo" or exercise.demo]


@pytest.mark.parametrize("number", sorted(CHAPTERS))
def test_writing_the_exercise_cells_from_the_bank_changes_nothing(number):
    path, nb = CHAPTERS[number]
    new, changes = cells.generate(nb, _chapter_exercises(number), name=path.name)
    assert changes == [], "the chapter's exercise cells differ from the bank; run `make exercises`:\n" + "\n".join(changes)
    assert nbformat.writes(new) == nbformat.writes(nb)


def test_the_check_command_finds_no_difference():
    assert cells.check(ROOT) == []


@pytest.mark.parametrize("label", LABELS)
def test_the_stored_chapter_ran_with_full_marks(label):
    exercise = exercises.get(label)
    _, nb = CHAPTERS[label[3:5]]
    check = [c for c in nb.cells if c.cell_type == "code" and f'exercises.check("{label}",' in c.source]
    grade = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == label]
    assert check[0].outputs[-1]["text"].splitlines()[-1].startswith(f"{label}: correct.")
    result = [o for o in grade[0].outputs if o["output_type"] == "execute_result"]
    assert result[0]["data"]["text/plain"] == f"{float(exercise.points)}"


@pytest.fixture
def chapter_one(tmp_path):
    """A copy of chapter 1 in a course folder of its own, and its exercises."""
    (tmp_path / "chapters").mkdir()
    path = tmp_path / "chapters" / CHAPTERS["01"][0].name
    shutil.copy(CHAPTERS["01"][0], path)
    return path, _chapter_exercises("01")


def _replaced(bank, label, **changes):
    return [dataclasses.replace(e, **changes) if e.label == label else e for e in bank]


def test_a_changed_statement_is_found_and_written(chapter_one):
    path, bank = chapter_one
    before = nbformat.read(path, as_version=4)
    step = exercises.get("ex-01-step")
    bank = _replaced(bank, "ex-01-step", statement=step.statement + " One more sentence.")
    changes = cells.check(path.parents[1], exercises=bank)
    assert len(changes) == 1 and re.search(r"cell \d+ \(ex-01-step, statement\): source$", changes[0]), changes
    assert cells.write(path.parents[1], exercises=bank, log=lambda *a: None) == [path]
    assert cells.check(path.parents[1], exercises=bank) == []
    after = nbformat.read(path, as_version=4)
    [statement] = [c for c in after.cells if ":label: ex-01-step\n" in c.source]
    assert statement.source.endswith("One more sentence.\n```")
    assert [c.source for c in after.cells if c is not statement] == [
        c.source for c in before.cells if ":label: ex-01-step\n" not in c.source
    ]
    assert [c.get("outputs") for c in after.cells] == [c.get("outputs") for c in before.cells]


def test_a_changed_lead_clears_the_outputs_of_its_check_cell_only(chapter_one):
    path, bank = chapter_one
    before = nbformat.read(path, as_version=4)
    bank = _replaced(bank, "ex-01-line-grad", lead='print("compare first")', points=3)
    changes = cells.check(path.parents[1], exercises=bank)
    assert [c.split(": ", 1)[1] for c in changes] == ["source, outputs cleared", "source, metadata, outputs cleared"]
    cells.write(path.parents[1], exercises=bank, log=lambda *a: None)
    after = nbformat.read(path, as_version=4)
    changed = [i for i, (a, b) in enumerate(zip(before.cells, after.cells)) if a != b]
    assert len(changed) == 2 and len(after.cells) == len(before.cells)
    check, grade = (after.cells[i] for i in changed)
    assert check.source == 'print("compare first")\nexercises.check("ex-01-line-grad", line_gradient)'
    assert check.outputs == [] and check.execution_count is None
    assert grade.metadata["nbgrader"]["points"] == 3 and "points=3)" in grade.source
    assert grade.metadata["tags"] == ["remove-cell"] and grade.id == before.cells[changed[1]].id


def test_a_new_exercise_gets_its_cells_and_a_removed_one_loses_them(chapter_one):
    path, bank = chapter_one
    before = nbformat.read(path, as_version=4)
    square = Exercise(
        label="ex-01-square",
        kind="implement",
        function="square",
        title="A square",
        statement="Square `x`.",
        explanation="Multiply.",
        solution="def square(x):\n    return x * x\n",
        demo="print(3 * 3)",
        cases=(Case((3.0,)),),
        hints=("Multiply.",),
        points=2,
    )
    cells.write(path.parents[1], exercises=[*bank, square], log=lambda *a: None)
    after = nbformat.read(path, as_version=4)
    nbformat.validate(after)
    assert after.cells[: len(before.cells)] == before.cells
    new = after.cells[len(before.cells) :]
    assert [c.cell_type for c in new] == ["markdown", "markdown", "code", "markdown", "code", "code", "code"]
    assert new[0].source == "```{exercise} A square\n:label: ex-01-square\n\nSquare `x`.\n```"
    assert new[1].source == "```{solution-start} ex-01-square\n:class: dropdown\n```\nMultiply."
    assert new[2].source == "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
    assert new[2].metadata["nbgrader"]["grade_id"] == "ex-01-square-answer" and new[2].metadata["nbgrader"]["solution"]
    assert new[4].source == 'exercises.check("ex-01-square", square)'
    assert new[6].metadata["tags"] == [course.DEMO_TAG, cells.HIDE_TAG] and course.is_demo(new[6])
    assert course.grade_cells(after)["ex-01-square"] == 2.0
    assert len({c.id for c in after.cells}) == len(after.cells)
    assert all(c.outputs == [] and c.execution_count is None for c in new if c.cell_type == "code")

    changes = cells.check(path.parents[1], exercises=bank)
    assert len(changes) == 7 and all(re.search(r"cell \d+: removed", c) for c in changes), changes
    cells.write(path.parents[1], exercises=bank, log=lambda *a: None)
    assert nbformat.read(path, as_version=4) == before


def test_a_chapter_with_exercises_needs_the_exercises_heading():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter")]
    with pytest.raises(ValueError, match="no '## Exercises' heading"):
        cells.generate(nb, [exercises.get("ex-01-step")])
    assert cells.generate(nb, [])[1] == []


@pytest.mark.parametrize(
    "solution, message",
    [
        ("def other():\n    return 1\n", "must be one function definition, `def f"),
        ("import math\ndef f():\n    return 1\n", "must be one function definition"),
        ('def f():\n    """Only a docstring."""\n', "no body after its docstring"),
        ("def f(): return 1\n", "on lines of its own"),
    ],
)
def test_a_solution_that_cannot_become_an_answer_cell_is_refused(solution, message):
    exercise = Exercise(label="ex-10-demo", kind="by hand", function="f", solution=solution, cases=(Case(),), hints=("think",))
    with pytest.raises(ValueError, match=re.escape(message)):
        cells.answer_source(exercise)


def test_the_answer_cell_keeps_a_multi_line_signature_and_docstring():
    solution = 'def f(a,\n      b):\n    """Two\n    lines."""\n    # a comment\n    return a + b\n'
    exercise = Exercise(label="ex-10-demo", kind="by hand", function="f", solution=solution, cases=(Case(),), hints=("think",))
    assert cells.answer_source(exercise) == (
        'def f(a,\n      b):\n    """Two\n    lines."""\n    ### BEGIN SOLUTION\n    # a comment\n'
        "    return a + b\n    ### END SOLUTION"
    )


# Wrong answers that an earlier set of cases accepted; each must now fail, with the hint written for it.
ONCE_ACCEPTED = [
    (
        "zero score as neither class",
        "ex-08-sign-accuracy",
        "def accuracy_by_sign(y, scores):\n"
        "    return np.mean(np.sign(np.reshape(scores, np.shape(y))) == np.where(y > 0, 1, -1))",
        "A score of exactly 0 is not a class of its own",
    ),
    (
        "hinge on scores clipped to +-1",
        "ex-04-hinge",
        "def hinge_01(y, y_pred):\n    return np.mean(np.maximum(0, 1 - (2 * y - 1) * np.clip(y_pred, -1, 1)))",
        "The scores are not bounded by 1",
    ),
    (
        "clipping from below only",
        "ex-05-sparse-cce",
        "def sparse_cce(labels, p, eps=1e-7):\n"
        "    return -np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], eps, None)))",
        "Clip from above too",
    ),
]


@pytest.mark.parametrize("name, label, source, hint", ONCE_ACCEPTED, ids=[m[0] for m in ONCE_ACCEPTED])
def test_answers_the_earlier_cases_accepted_now_fail(name, label, source, hint):
    report = exercises.evaluate(label, _answer(source, exercises.get(label).function))
    assert not report.correct, f"{label}: {name} passes every case"
    assert hint in " ".join(report.text.split()), report.text


def test_every_share_has_a_choice_in_the_zero_hinge_prediction():
    # The choices cover every share from 0 to 1, so a platform whose share differs a little has a right answer.
    exercise = exercises.get("ex-08-zero-hinge")
    assert exercise.choices == ("none", "under a tenth", "a tenth to a third", "over a third")
    for wrong in ("none", "under a tenth", "a tenth to a third"):
        assert not exercises.evaluate("ex-08-zero-hinge", lambda wrong=wrong: wrong).correct
