r"""Check, hint, solution and grade for the exercises at the end of each chapter.

In a notebook, the learner writes a function in the exercise's stub cell and
asks lossbook about it::

    from lossbook import exercises

    exercises.check("ex-05-sparse-cce", sparse_cce)  # feedback; never raises
    exercises.hint("ex-05-sparse-cce")               # the next hint
    exercises.solution("ex-05-sparse-cce")           # a worked solution

:func:`check` calls the learner's function on the exercise's cases and prints
one of three things: that every case passes; that the learner has not answered
yet; or the first failing case, with the call, the expected and the received
value, and a hint aimed at the mistake the received value points to (a missing
``(1 - y)`` term, the wrong logarithm, no clipping, the wrong axis or
reduction, labels from the wrong set). An exception, a warning or an endless
loop in the learner's code comes back as feedback: the check itself never
fails, so a notebook run top to bottom never stops at it.

Each exercise's hidden grade cell calls :func:`grade`, for instructors who
autograde with nbgrader. It runs the same cases and returns the points earned,
in proportion to the cases that pass, as a ``float`` that nbgrader reads as
partial credit.

The exercises themselves live in :mod:`lossbook.exercise_bank`, one module
per chapter, each with a list ``EXERCISES`` of :class:`Exercise` objects.
Each exercise holds its reference solution as code; the expected value of a
case is what that solution returns, unless the case pins it. It also holds the
text of its cells in the chapter, which ``python -m coursetools.exercises
write`` lays out from it.

The package has four modules: :mod:`~lossbook.exercises.model` (what an
exercise is, and the registry), :mod:`~lossbook.exercises.sandbox` (running
the learner's function with a time limit, in this process: it isolates
nothing), :mod:`~lossbook.exercises.scoring` (comparing values and naming
the mistake, which the course's grader uses too) and
:mod:`~lossbook.exercises.feedback` (what the notebook calls); this module
re-exports the public names that chapters and learners call.

Setting the environment variable ``LOSSBOOK_SOLUTIONS=off`` (for example on a
course's JupyterHub) makes :func:`solution` decline to print solutions; one
line of code undoes it. The student build of lossbook (``make student`` writes
it as a wheel) is the real switch: its bank is data, cases and expected values
without solutions, :func:`solution` declines, and :func:`check` does not show
the expected value of a single-case exercise, which is the answer. The course's
grader does not call :func:`grade`: it runs the answer cells in a sandbox and
scores the returned values itself (``coursetools.grading``).

Examples
--------
>>> from lossbook import exercises
>>> def one_step():
...     raise NotImplementedError()
>>> exercises.check("ex-01-step", one_step)
ex-01-step: not answered yet (`one_step` still raises NotImplementedError).
  Replace the line `raise NotImplementedError()` with your answer, run that cell, then run this check again.
>>> exercises.grade("ex-01-step", one_step, points=1)
ex-01-step: 0 of 1 point (not answered).
ex-01-step: not answered yet (`one_step` still raises NotImplementedError).
  Replace the line `raise NotImplementedError()` with your answer, run that cell, then run this check again.
0.0
"""

from lossbook.exercises.feedback import SOLUTIONS_SWITCH as SOLUTIONS_SWITCH
from lossbook.exercises.feedback import Report, check, evaluate, grade, hint, show, solution
from lossbook.exercises.model import KINDS, Case, Exercise, Mistake, get, labels
from lossbook.exercises.sandbox import TIME_LIMIT as TIME_LIMIT

__all__ = [
    "KINDS",
    "Case",
    "Mistake",
    "Exercise",
    "Report",
    "get",
    "labels",
    "evaluate",
    "check",
    "grade",
    "hint",
    "solution",
    "show",
]
