"""Time the grader on a class: 100 students x every chapter with exercises, fake submissions (``make bench-grading``).

The submissions are the released notebooks with their answer cells filled in:
a third of the students answer everything with the reference solutions, a
third answer half the exercises and leave the rest as stubs, a sixth leave
everything untouched, and the others submit wrong answers, an answer that
raises, and (two students) an endless loop, which costs its exercise's full
time limit. The last line is

    grading: <notebooks> notebooks of <students> students in <seconds> s (target <= 600 s)

and the exit status is 1 if the target is missed.

Options: ``--students N`` (default 100), ``--jobs J`` (sandboxes at once,
default 2), ``--keep DIR`` (keep the submissions and grades there).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from coursetools import grading, release  # noqa: E402
from coursetools.course import chapters_with_exercises, nbgrader_meta  # noqa: E402
from lossbook import exercises  # noqa: E402

TARGET = 600.0


def _answers(kind: int, labels: list[str]) -> dict[str, str]:
    right = {label: exercises.get(label).solution for label in labels}
    if kind < 3:  # everything right
        return right
    if kind < 6:  # half answered
        return {label: code for i, (label, code) in enumerate(right.items()) if i % 2 == 0}
    if kind < 8:  # untouched
        return {}
    wrong = {}
    for i, label in enumerate(labels):
        function = exercises.get(label).function
        body = "    return 0.0" if i % 2 == 0 else "    raise ValueError('not sure')"
        wrong[label] = f"def {function}(*args):\n{body}"
    return wrong


def make_class(released: dict[str, Path], folder: Path, students: int) -> int:
    count = 0
    for s in range(students):
        student = folder / f"student{s:03d}"
        student.mkdir(parents=True)
        for stem, path in released.items():
            nb = nbformat.read(path, as_version=4)
            labels = [nbgrader_meta(c)["grade_id"].removesuffix("-answer") for c in nb.cells if nbgrader_meta(c).get("solution")]
            answers = _answers(s % 10, labels)
            if s in (7, 57) and stem == next(iter(released)):  # two endless loops in the class
                answers[labels[0]] = "while True:\n    pass"
            for cell in nb.cells:
                label = nbgrader_meta(cell).get("grade_id", "").removesuffix("-answer")
                if nbgrader_meta(cell).get("solution") and label in answers:
                    cell.source = answers[label]
            nbformat.write(nb, student / path.name)
            count += 1
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory(prefix="lossbook-bench-grading-") as tmp:
        work = args.keep or Path(tmp)
        chapters = chapters_with_exercises(ROOT)
        start = time.perf_counter()
        release.build_course(ROOT, work / "course", chapters)
        released = {c.stem: work / "course" / "release" / c.stem / c.name for c in chapters}
        count = make_class(released, work / "submissions", args.students)
        print(f"released {len(chapters)} chapters and wrote {count} submissions in {time.perf_counter() - start:.0f} s")
        print(f"load average at the start: {os.getloadavg()[0]:.2f}")
        start = time.perf_counter()
        rows = grading.grade(
            work / "submissions", work / "grades.csv", root=ROOT, course=work / "grader", jobs=args.jobs, log=lambda *a: None
        )
        seconds = time.perf_counter() - start
        print(f"load average at the end: {os.getloadavg()[0]:.2f}; {len(rows)} rows")
    print(f"grading: {count} notebooks of {args.students} students in {seconds:.0f} s (target <= {TARGET:.0f} s)")
    return 0 if seconds <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
