"""The exercises of the course, one module per chapter: the single source of each exercise.

Each module ``chNN.py`` defines ``EXERCISES``, a list of
:class:`lossbook.exercises.Exercise` in the order they appear in chapter
``NN``, and imports only :mod:`lossbook.exercises.model`.
:mod:`lossbook.exercises` collects every module of this package, so a
chapter's exercises need a new module and nothing else here. An exercise
holds its cases, hints, mistakes and reference solution, and the text of its
cells in the chapter (title, statement, explanation, demo, lead);
``python -m coursetools.exercises write`` (``make exercises``) writes those
cells, and chapters/instructors.md ("Adding an exercise of your own")
describes the workflow.
"""
