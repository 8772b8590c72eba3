"""The exercises of the course, one module per chapter.

Each module ``chNN.py`` defines ``EXERCISES``, a list of
:class:`lossbook.exercises.Exercise`. :mod:`lossbook.exercises` collects every
module of this package, so a chapter's exercises need a new module and
nothing else here; chapters/instructors.md ("Adding an exercise of your own")
describes the cells that go with them in the chapter.
"""
