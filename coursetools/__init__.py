"""The tools that build, check, release and grade the course; learners never import them.

:mod:`coursetools.course`
    The chapters, their exercise cells, the course's environment and kernel.
:mod:`coursetools.book`
    ``python -m coursetools.book execute | check | portability | lab``: stored
    outputs, their rules, and their portability across CPUs.
:mod:`coursetools.exercises`
    ``python -m coursetools.exercises write | check``: the exercise cells of
    every chapter, written from :mod:`lossbook.exercise_bank`.
:mod:`coursetools.release`
    ``python -m coursetools.release``: the student edition.
:mod:`coursetools.student_package`
    The student build of lossbook: the exercise bank as data, no solutions.
:mod:`coursetools.grading`
    ``python -m coursetools.grading SUBMISSIONS``: grading into a CSV file.
:mod:`coursetools.sandbox`, :mod:`coursetools.harness`
    The bubblewrap sandbox the students' answers run in, and the program
    that runs them there.
:mod:`coursetools.grading_policy`
    Held-out cases and forbidden modules, per exercise.
:mod:`coursetools.gradebook`
    ``python -m coursetools.gradebook grades.csv``: a feedback page per
    student and a gradebook CSV for Canvas and Moodle.
:mod:`coursetools.gradescope`
    ``python -m coursetools.gradescope build``: an autograder zip for Gradescope.
:mod:`coursetools.prose`
    The check that every number in a chapter's prose is one a cell printed.
:mod:`coursetools.mutation`
    Mutants of the reference solutions, which every exercise's checks must reject.
:mod:`coursetools.progress`
    The progress bar of long runs.
:mod:`coursetools.pins`
    The lock's versions for a subset of the environment (Binder, the autograder).

The package is not installed with lossbook: the Makefile runs it from the
repository's root.
"""
