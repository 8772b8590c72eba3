"""Exercises tested by mutation: their cases reject changed copies of the reference and plausible wrong answers.

Each "implement" exercise's score is recorded for the run's summary ("mutation
scores of the exercises", printed by conftest.py) and checked against the
floor; a failure names every surviving mutant with a case that kills it.
"""

from pathlib import Path

import numpy as np
import pytest

from coursetools import course, mutation
from lossbook import exercises
from lossbook.exercises import Case, Exercise, model

ROOT = Path(__file__).resolve().parents[1]
LABELS = exercises.labels()
IMPLEMENT = [label for label in LABELS if exercises.get(label).kind == "implement"]
SINGLE = [label for label in LABELS if exercises.get(label).kind != "implement"]


# --------------------------------------------------------------------------- the mutants


HINGE = '''\
def f(y, s, eps=1e-7):
    """A docstring the mutants leave alone."""
    t = 2 * y - 1
    p = np.clip(s, eps, 1 - eps)
    return np.mean(np.maximum(0, 1 - t * np.log(p)), axis=0) + np.sum(s[s < 0] ** 2)
'''


def test_the_mutants_make_the_changes_the_course_names():
    found = {m.description for m in mutation.mutants(HINGE, "f")}
    expected = [
        "line 5: < -> <= in s < 0",  # a comparison flipped
        "line 5: np.mean -> np.sum in np.mean(np.maximum(0, 1 - t * np.log(p)), axis=0)",  # mean for sum
        "line 5: np.sum -> np.mean in np.sum(s[s < 0] ** 2)",  # and back
        "line 5: np.log -> np.log2 in np.log(p)",  # another base
        "line 5: np.log -> np.log10 in np.log(p)",
        "line 4: np.clip(s, eps, 1 - eps): upper bound dropped",  # a clip bound
        "line 1: 1e-07 -> 0.0",  # an epsilon
        "line 1: 1e-07 -> 0.0001",
        "line 5: np.maximum(0, 1 - t * np.log(p)) -> 1 - t * np.log(p) (maximum dropped)",  # max(0, .) dropped
        "line 5: np.mean(np.maximum(0, 1 - t * np.log(p)), axis=0): axis=1",  # an axis
        "line 5: np.mean(np.maximum(0, 1 - t * np.log(p)), axis=0): axis= dropped",
        "line 3: 2 * y - 1 -> 2 * y (term dropped)",  # a term dropped
        "line 5: - -> + in 1 - t * np.log(p)",  # a sign flipped
        "line 3: y -> s (another variable)",
        "line 4: statement left out: p = np.clip(s, eps, 1 - eps)",
    ]
    assert [e for e in expected if e not in found] == []
    assert all("A docstring the mutants leave alone." in m.source for m in mutation.mutants(HINGE, "f"))
    sources = [m.source for m in mutation.mutants(HINGE, "f")]
    assert len(sources) == len(set(sources)) and all(compile(s, "<mutant>", "exec") for s in sources)


def test_draws_keep_the_cases_shapes_label_sets_and_probability_rows():
    exercise = exercises.get("ex-05-sparse-cce")
    drawn = list(mutation.draws(exercise, count=5))
    assert len(drawn) == 5 * len(exercise.cases)
    for case, args in zip(np.repeat(exercise.cases, 5), drawn):
        labels, p = args
        assert labels.shape == case.args[0].shape and labels.dtype == case.args[0].dtype
        assert set(labels.tolist()) <= set(np.concatenate([c.args[0] for c in exercise.cases]).tolist())
        assert p.shape == case.args[1].shape and np.allclose(p.sum(axis=1), 1.0) and np.all(p >= 0)
    assert any(np.any(p == 1.0) for _, p in drawn), "no one-hot row, where clipping acts"
    first, second = list(mutation.draws(exercise, count=2)), list(mutation.draws(exercise, count=2))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, second))


@pytest.fixture
def weak_hinge():
    """The hinge exercise with only scores inside the margin: max(0, .) and a clip to [-1, 1] pass it."""
    hinge = exercises.get("ex-04-hinge")
    exercise = Exercise(
        label="ex-99-weak-hinge",
        kind="implement",
        function="hinge_01",
        solution=hinge.solution,
        cases=(
            Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.3, -0.2, 0.8, -0.9]))),
            Case((np.array([1.0, 0.0]), np.array([0.5, 0.1]))),
        ),
        hints=("think",),
    )
    model._REGISTRY[exercise.label] = exercise
    yield exercise
    del model._REGISTRY[exercise.label]


def test_survivors_of_weak_cases_are_named_with_a_case_that_kills_them(weak_hinge):
    found = mutation.score(weak_hinge, held_out=False)
    survivors = {r.mutant.description: r for r in found.survivors}
    dropped = "line 4: np.maximum(0, 1 - t * y_pred) -> 1 - t * y_pred (maximum dropped)"
    assert dropped in survivors
    witness = survivors[dropped].witness
    reference = weak_hinge.reference()
    mutant = mutation._compile(survivors[dropped].mutant.source, "hinge_01")
    assert not np.isclose(reference(*witness), mutant(*witness))  # the draw named does kill it
    assert found.value < mutation.FLOOR
    text = mutation.summary([found])
    assert text.startswith("ex-99-weak-hinge: ") and f"survived: {dropped} (a case that kills it: args=" in text


def test_a_mutant_equal_on_every_valid_input_is_equivalent_and_not_counted():
    found = mutation.score(exercises.get("ex-03-kl-bits"))
    equivalent = {r.mutant.description for r in found.results if r.status == "equivalent"}
    assert "line 3: np.asarray(p, dtype=float) -> p (asarray dropped)" in equivalent
    assert found.counted == len(found.results) - len(equivalent)


# --------------------------------------------------------------------------- every exercise


@pytest.mark.parametrize("label", IMPLEMENT)
def test_the_cases_kill_the_mutants_of_the_reference(label, record_property):
    found = mutation.score(exercises.get(label))
    record_property("mutation", mutation.summary([found]))
    print(mutation.summary([found]))
    assert found.counted >= 10, f"{label}: only {found.counted} mutants"
    assert found.value >= mutation.FLOOR, (
        f"{label}: {found.value:.0%} of the non-equivalent mutants killed, below the floor of "
        f"{mutation.FLOOR:.0%}. Add cases that kill the survivors:\n{mutation.summary([found])}"
    )


@pytest.mark.parametrize("label", SINGLE)
def test_plausible_wrong_answers_to_a_single_answer_fail(label, record_property):
    exercise = exercises.get(label)
    wrong = mutation.wrong_answers(exercise)
    accepted = [what for what, value in wrong if exercises.evaluate(label, lambda value=value: value).correct]
    record_property("mutation", f"{label}: {len(wrong) - len(accepted)} of {len(wrong)} wrong answers rejected")
    assert len(wrong) >= 2, f"{label}: declare its common mistakes"
    assert accepted == [], f"{label}: the check accepts " + "; ".join(accepted)
    if exercise.choices:
        assert {value for _, value in wrong} >= set(exercise.choices) - {exercise.expected(exercise.cases[0])}


def test_rounding_to_one_decimal_is_a_wrong_answer_only_where_it_changes_a_worked_answer():
    assert ("the answer rounded to one decimal", 0.6) in mutation.wrong_answers(exercises.get("ex-02-nll-by-hand"))
    assert all(
        what != "the answer rounded to one decimal" for what, _ in mutation.wrong_answers(exercises.get("ex-01-step"))
    )  # 1.3 is its own rounding


CHAPTERS = {path.name[:2]: path for path in course.chapters_with_exercises(ROOT)}


@pytest.mark.parametrize("number", sorted(CHAPTERS))
def test_no_read_a_plot_answer_is_printed_above_its_check(number):
    nb = course.read(CHAPTERS[number])
    assert mutation.plot_answer_leaks(nb, [label for label in LABELS if label[3:5] == number]) == []


def test_a_plot_reading_printed_by_an_earlier_demo_is_found():
    import nbformat

    nb = course.read(CHAPTERS["02"])
    exercise = exercises.get("ex-02-read-consistency")
    check = next(i for i, c in enumerate(nb.cells) if 'exercises.check("ex-02-read-consistency"' in c.source)
    assert mutation.plot_answer_leaks(nb, [exercise.label]) == []
    answer = exercise.expected(exercise.cases[0])
    nb.cells.insert(
        check - 1,
        nbformat.v4.new_code_cell("print(n_002)", outputs=[nbformat.v4.new_output("stream", text=f"n at 0.02: {answer:.2f}\n")]),
    )
    assert mutation.plot_answer_leaks(nb, [exercise.label]) != []
