"""Feedback on the learner's answer: comparing values, diagnosing mistakes, and what the notebook calls.

:func:`evaluate` runs the learner's function on an exercise's cases (in
:mod:`lossbook.exercises.sandbox`) and writes a :class:`Report`; :func:`check`
prints it for the learner, :func:`grade` scores it for the autograder, and
:func:`hint` and :func:`solution` help along the way.

When nbgrader's autograder runs the notebook (it sets the environment variable
``NBGRADER_EXECUTION``), :func:`grade` also prints one line for the grading
tools: :data:`RESULT_PREFIX` and a JSON object, which :func:`results` reads
back. The feedback's wording can change without breaking what they read.
"""

from __future__ import annotations

import dataclasses
import json
import os
import textwrap
import warnings


from lossbook.exercises.model import Case, Exercise, get, student_edition
from lossbook.exercises.sandbox import TIME_LIMIT, call
from lossbook.exercises.scoring import call_text, diagnose, matches, show, tolerance_note

__all__ = ["Report", "evaluate", "check", "grade", "hint", "solution", "show", "results", "RESULT_PREFIX"]

#: Environment variable that switches :func:`solution` off.
SOLUTIONS_SWITCH = "LOSSBOOK_SOLUTIONS"
#: Environment variable that nbgrader sets while it autogrades or validates a notebook.
AUTOGRADER = "NBGRADER_EXECUTION"
#: The first word of the line :func:`grade` prints for the grading tools.
RESULT_PREFIX = "LOSSBOOK-RESULT"


# ---------------------------------------------------------------------------
# Evaluating an answer
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Report:
    """What :func:`evaluate` found.

    Attributes
    ----------
    label : str
        The exercise.
    passed, total : int
        Cases that pass, and all cases.
    answered : bool
        False while the learner's function still raises NotImplementedError.
    text : str
        The feedback :func:`check` prints.
    hint : str
        The hint aimed at the mistake the first failing case points to, or an
        empty string.
    """

    label: str
    passed: int
    total: int
    answered: bool
    text: str
    hint: str = ""

    @property
    def correct(self) -> bool:
        """True when every case passes."""
        return self.answered and self.passed == self.total

    @property
    def status(self) -> str:
        """``"correct"``, ``"partial"``, ``"incorrect"`` or ``"unanswered"``."""
        if not self.answered:
            return "unanswered"
        if self.correct:
            return "correct"
        return "partial" if self.passed else "incorrect"

    @property
    def message(self) -> str:
        """The first line of the feedback, without the label: the verdict, and the case that fails."""
        first = self.text.splitlines()[0] if self.text else ""
        return first.removeprefix(f"{self.label}: ")


def _unanswered(exercise: Exercise) -> str:
    return (
        f"{exercise.label}: not answered yet (`{exercise.function}` still raises NotImplementedError).\n"
        "  Replace the line `raise NotImplementedError()` with your answer, run that cell, then run "
        "this check again."
    )


def _help_line(label: str) -> str:
    if student_edition():
        return f'More help: exercises.hint("{label}").'
    return f'More help: exercises.hint("{label}"); a worked solution: exercises.solution("{label}").'


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _cases_pass(passed, total):
    return f"{passed} of {_plural(total, 'case')} " + ("passes" if total == 1 else "pass")


@dataclasses.dataclass(frozen=True)
class _Failure:
    """The first case that fails: its 1-based position, the case, the expected value and what the call gave."""

    index: int
    case: Case
    expected: object
    outcome: object  # lossbook.exercises.sandbox's record of one call


@dataclasses.dataclass(frozen=True)
class _Run:
    """What running the learner's function on an exercise's cases found."""

    passed: int
    answered: bool
    failure: _Failure | None = None
    notes: tuple = ()  # the warnings the function raised, each once
    printed: str = ""  # the first line the function wrote to stderr


def _run_cases(exercise: Exercise, answer, time_limit) -> _Run:
    """Call ``answer`` on every case until one times out; count the passes and keep the first failure."""
    passed, failure, notes, printed = 0, None, [], ""
    for index, case in enumerate(exercise.cases, start=1):
        expected = exercise.expected(case)
        outcome = call(answer, case.args, time_limit)
        if isinstance(outcome.error, NotImplementedError):
            return _Run(0, answered=False)
        ok = outcome.error is None and not outcome.timed_out and matches(outcome.value, expected, exercise.rtol, exercise.atol)
        for warning in outcome.warnings:
            if warning not in notes:
                notes.append(warning)
        if outcome.stderr.strip() and not printed:
            printed = outcome.stderr.strip().splitlines()[0][:200]
        if ok:
            passed += 1
        elif failure is None:
            failure = _Failure(index, case, expected, outcome)
        if outcome.timed_out:  # the other cases would most likely loop too: one time limit is enough
            break
    return _Run(passed, True, failure, tuple(notes), printed)


def _notes(run: _Run) -> list[str]:
    lines = []
    if run.notes:
        lines.append("  Note: your function warned: " + "; ".join(run.notes))
    if run.printed:
        lines.append(f"  Note: your function wrote to stderr (not checked): {run.printed}")
    return lines


def _received(exercise: Exercise, failure: _Failure, time_limit) -> tuple[list[str], str]:
    """The lines that say what the failing call gave, and the hint its value points to."""
    outcome = failure.outcome
    if outcome.timed_out:
        return [f"  received: nothing; the call did not finish within {time_limit:g} s (an endless loop?)"], ""
    if outcome.error is not None:
        message = str(outcome.error).strip().splitlines()
        first = f": {message[0]}" if message else ""
        lines = [f"  received: {type(outcome.error).__name__}{first}"]
        if outcome.line:
            lines.append(f"  raised at this line of your code: {outcome.line}")
        return lines, ""
    lines = [f"  received: {show(outcome.value)}"]
    advice = diagnose(exercise, failure.case, failure.expected, outcome.value)
    if advice:
        lines.append(
            textwrap.fill(
                advice,
                100,
                initial_indent="  hint:     ",
                subsequent_indent="            ",
                break_on_hyphens=False,
                break_long_words=False,
            )
        )
    return lines, advice


def _write(label: str, exercise: Exercise, run: _Run, time_limit) -> Report:
    """The feedback on a run: the verdict, and for a failure the call, the expected and received values and a hint."""
    total = len(exercise.cases)
    if run.failure is None:
        lines = [f"{label}: correct. {_cases_pass(run.passed, total)}.", *_notes(run)]
        return Report(label, run.passed, total, True, "\n".join(lines))
    failure = run.failure
    what = f": {failure.case.note}" if failure.case.note else ""
    lines = [f"{label}: not yet. {_cases_pass(run.passed, total)}; case {failure.index} fails{what}."]
    if failure.case.args:
        lines.append(f"  call:     {call_text(exercise, failure.case)}")
    if total > 1 or not student_edition():
        # In the student edition a single case's expected value is the answer itself: not shown.
        lines.append(f"  expected: {show(failure.expected)}{tolerance_note(exercise, failure.expected)}")
    received, advice = _received(exercise, failure, time_limit)
    lines += received + _notes(run) + [_help_line(label)]
    return Report(label, run.passed, total, True, "\n".join(lines), hint=advice)


def evaluate(label: str, answer, *, time_limit: float | None = TIME_LIMIT) -> Report:
    """Run the learner's function on every case of an exercise, and write the feedback.

    Parameters
    ----------
    label : str
        The exercise.
    answer : callable
        The learner's function.
    time_limit : float or None
        Seconds each call may take (where the platform allows a limit).

    Returns
    -------
    Report
    """
    exercise = get(label)
    total = len(exercise.cases)
    if not callable(answer):
        text = (
            f"{label}: expected the function `{exercise.function}`; received {show(answer)}. "
            f"Pass the function itself, without calling it: "
            f'exercises.check("{label}", {exercise.function}).'
        )
        return Report(label, 0, total, True, text)
    run = _run_cases(exercise, answer, time_limit)
    if not run.answered:
        return Report(label, 0, total, False, _unanswered(exercise))
    return _write(label, exercise, run, time_limit)


# ---------------------------------------------------------------------------
# What the notebook calls
# ---------------------------------------------------------------------------


def check(label: str, answer) -> None:
    """Check the learner's function and print feedback; never raises for the learner's errors.

    Parameters
    ----------
    label : str
        The exercise, as in its heading, e.g. ``"ex-05-sparse-cce"``.
    answer : callable
        The function written in the exercise's stub cell.
    """
    print(evaluate(label, answer).text)


def grade(label: str, answer, *, points: int) -> float:
    """Score the learner's function for the autograder; print a one-line summary.

    Under nbgrader's autograder (:data:`AUTOGRADER` set), one more line
    follows for the grading tools: :data:`RESULT_PREFIX`, a space, and a JSON
    object with the keys ``label``, ``passed`` and ``total`` (cases),
    ``points`` and ``max_points``, ``status`` (:attr:`Report.status`),
    ``message`` (:attr:`Report.message`) and ``hint`` (:attr:`Report.hint`).
    :func:`results` reads it back.

    Parameters
    ----------
    label : str
        The exercise.
    answer : callable
        The learner's function.
    points : int
        The grade cell's points in nbgrader; must equal the exercise's points.

    Returns
    -------
    float
        ``points`` times the fraction of cases that pass, rounded to 2
        decimals: nbgrader's partial credit.
    """
    exercise = get(label)
    if points != exercise.points:
        raise ValueError(
            f"{label} is worth {exercise.points} points in lossbook.exercise_bank, but the grade "
            f"cell gives {points!r}; make the two agree."
        )
    report = evaluate(label, answer)
    score = round(points * report.passed / report.total, 2) if report.answered else 0.0
    cases = _cases_pass(report.passed, report.total)
    print(f"{label}: {score:g} of {_plural(points, 'point')} ({cases if report.answered else 'not answered'}).")
    if not report.correct:
        print(report.text)
    if os.environ.get(AUTOGRADER):
        print(_result_line(report, score, points))
    return float(score)


def _result_line(report: Report, score: float, points: int) -> str:
    fields = {
        "label": report.label,
        "passed": report.passed,
        "total": report.total,
        "points": float(score),
        "max_points": points,
        "status": report.status,
        "message": report.message,
        "hint": report.hint,
    }
    return f"{RESULT_PREFIX} {json.dumps(fields, ensure_ascii=False)}"


def results(text: str) -> list[dict]:
    r"""The results that :func:`grade` printed for the grading tools, in the order printed.

    Lines that do not start with :data:`RESULT_PREFIX` and a JSON object are
    skipped. The learner's own prints share the cell's output, so a tool that
    wants one exercise's result takes the last one with its label.

    Examples
    --------
    >>> results('ex-01-step: 1 of 1 point (1 of 1 case passes).\n'
    ...         'LOSSBOOK-RESULT {"label": "ex-01-step", "status": "correct"}\n')
    [{'label': 'ex-01-step', 'status': 'correct'}]
    """
    found = []
    for line in text.splitlines():
        head, _, rest = line.strip().partition(" ")
        if head != RESULT_PREFIX:
            continue
        try:
            value = json.loads(rest)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


_HINTS_GIVEN: dict[str, int] = {}


def hint(label: str) -> None:
    """Print the next hint for an exercise (the last one again once all are shown)."""
    exercise = get(label)
    given = _HINTS_GIVEN.get(label, 0)
    number = min(given + 1, len(exercise.hints))
    _HINTS_GIVEN[label] = number
    text = textwrap.fill(exercise.hints[number - 1], 100, break_on_hyphens=False, break_long_words=False)
    print(f"Hint {number} of {len(exercise.hints)} for {label}:\n{text}")
    if number == len(exercise.hints) and not student_edition():
        print(f'That was the last hint; exercises.solution("{label}") shows a worked solution.')


def solution(label: str) -> None:
    """Print the reference solution of an exercise, unless solutions are switched off."""
    exercise = get(label)
    if student_edition():
        print("This edition of lossbook carries no solutions; ask your instructor.")
        return
    if os.environ.get(SOLUTIONS_SWITCH, "").strip().lower() in {"off", "0", "no", "false", "hidden"}:
        print(f"Solutions are switched off for this course ({SOLUTIONS_SWITCH}={os.environ[SOLUTIONS_SWITCH]}).")
        return
    print(f"A solution to {label}:\n")
    print(exercise.solution.rstrip())


#: Names that moved to lossbook.exercises.scoring, under their new names there.
_MOVED = {"_matches": "matches", "_diagnose": "diagnose", "_call_text": "call_text"}


def __getattr__(name):
    if name in _MOVED:
        warnings.warn(
            f"lossbook.exercises.feedback.{name} is now lossbook.exercises.scoring.{_MOVED[name]}; import it from there.",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[_MOVED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
