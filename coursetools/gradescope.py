"""Gradescope: an autograder zip that grades one submission with the course's grader and reports in Gradescope's format.

``python -m coursetools.gradescope build`` (``make gradescope``) writes
``_build/gradescope/autograder.zip``, which Gradescope's "Programming
Assignment" autograder takes as it is:

- ``setup.sh``, which Gradescope runs once, as root, when it builds the
  autograder's image: bubblewrap, setpriv and libseccomp for the sandbox, the course's
  Python (the lock's version, installed by uv), the grader's packages at
  ``requirements.lock``'s versions (lossbook's dependencies, nbformat and pyseccomp,
  :mod:`coursetools.pins`), and the course's lossbook;
- ``run_autograder``, which Gradescope runs for every submission: it grades
  the notebooks in ``/autograder/submission`` exactly as ``make grade`` grades
  one student's folder (:mod:`coursetools.grading`: sandbox, held-out cases,
  scoring outside) and writes ``/autograder/results/results.json``;
- ``course/`` (lossbook with its solutions, the assigned chapters without
  their outputs, pyproject.toml), ``grader/coursetools``, ``gradescope.json``
  (the assigned chapters) and ``secret``, the grader's secret that seeds the
  held-out cases, so that Gradescope scores them as ``make grade`` does. The
  zip is the instructor's: it holds the solutions and the secret, and only
  the instructor uploads it. Neither is mounted in the sandbox.

``results.json`` has one test per exercise of the assigned chapters (name,
score, max_score, status and the grader's message as plain text), and the
total score; a chapter whose notebook is missing scores 0 with a test that
says so. ``run_autograder`` reads ``LOSSBOOK_AUTOGRADER`` (default
``/autograder``) and ``LOSSBOOK_AUTOGRADER_PYTHON`` so that the tests can run
it elsewhere. When the sandbox cannot start, it writes no results and exits
with an error: Gradescope then shows the submission as not graded, never as 0.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from coursetools import gradebook, pins

__all__ = ["CONFIG", "build", "collect", "results", "run", "main"]

ROOT = Path(__file__).resolve().parents[1]
#: The zip's configuration file: the assigned chapters.
CONFIG = "gradescope.json"
#: The uv release setup.sh installs to get the lock's Python.
UV = "0.13.8"
#: Most bytes of one notebook read from a submission, most notebooks, deepest folder.
NOTEBOOK_BYTES = 20 << 20
NOTEBOOKS = 40
DEPTH = 6
#: The name the one student of a Gradescope submission has in the grader's rows.
STUDENT = "submission"

_SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
set -euxo pipefail
SOURCE=/autograder/source
apt-get update
apt-get install -y --no-install-recommends bubblewrap util-linux libseccomp2 ca-certificates python3 python3-venv python3-pip
# The Python that requirements.lock was resolved for, installed by uv where every user can read it.
python3 -m venv /autograder/uv
/autograder/uv/bin/python -m pip install --quiet "uv=={uv}"
export UV_PYTHON_INSTALL_DIR=/autograder/python
/autograder/uv/bin/uv python install {python}
/autograder/uv/bin/uv venv --python {python} /autograder/venv
/autograder/uv/bin/uv pip install --python /autograder/venv/bin/python -r "$SOURCE/requirements.txt"
/autograder/uv/bin/uv pip install --python /autograder/venv/bin/python --no-deps -e "$SOURCE/course"
chmod -R a+rX /autograder/python /autograder/venv
chmod 600 "$SOURCE/secret"
"""

_RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, in /autograder. It grades the notebooks in
# submission/ and writes results/results.json. LOSSBOOK_AUTOGRADER and LOSSBOOK_AUTOGRADER_PYTHON
# move it elsewhere (the course's tests run it on a generated submission).
set -u
AUTOGRADER="${LOSSBOOK_AUTOGRADER:-/autograder}"
PYTHON="${LOSSBOOK_AUTOGRADER_PYTHON:-$AUTOGRADER/venv/bin/python}"
cd "$AUTOGRADER/source/course" || exit 2
export PYTHONPATH="$AUTOGRADER/source/grader"
exec "$PYTHON" -m coursetools.gradescope run --autograder "$AUTOGRADER"
"""


def _python_version(lock_path: Path) -> str:
    import re

    found = re.search(r"Python (3\.\d+)", lock_path.read_text(encoding="utf-8"))
    if not found:
        raise ValueError(f"{lock_path} does not say which Python it was resolved for ('# ... (Python 3.x, ...)')")
    return found.group(1)


def _stripped(path: Path) -> str:
    """A chapter as the grader needs it: its cells, without outputs."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nbformat.writes(nb)


def _add(zf: zipfile.ZipFile, name: str, data, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _add_tree(zf: zipfile.ZipFile, source: Path, prefix: str) -> None:
    for path in sorted(source.rglob("*")):
        if "__pycache__" in path.parts or path.suffix == ".pyc" or not path.is_file() or path.is_symlink():
            continue
        _add(zf, f"{prefix}/{path.relative_to(source).as_posix()}", path.read_bytes())


def build(out="_build/gradescope/autograder.zip", *, root=ROOT, chapters=None, secret: str | None = None, log=print) -> Path:
    """Write the autograder zip for ``chapters`` (notebook stems; default: every chapter with exercises)."""
    from coursetools import grading_policy
    from coursetools.course import chapters_with_exercises

    root, out = Path(root).resolve(), Path(out)
    available = {p.stem: p for p in chapters_with_exercises(root)}
    chosen = list(chapters) if chapters else list(available)
    unknown = [c for c in chosen if c not in available]
    if unknown:
        raise ValueError(f"no chapter with exercises named {', '.join(unknown)}; choose from {', '.join(available)}")
    if secret is None:
        secret = grading_policy.secret() if hasattr(grading_policy, "secret") else ""
    requirements = [
        "# The grader's packages at requirements.lock's versions (python -m coursetools.pins).",
        *pins.pinned(pins.runtime_roots(root / "pyproject.toml") + list(pins.GRADER_EXTRA), root / "requirements.lock"),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", _SETUP.format(uv=UV, python=_python_version(root / "requirements.lock")), 0o755)
        _add(zf, "run_autograder", _RUN, 0o755)
        _add(zf, "requirements.txt", "\n".join(requirements) + "\n")
        _add(zf, CONFIG, json.dumps({"chapters": chosen}, indent=1) + "\n")
        _add(zf, "secret", secret + "\n", 0o600)
        _add(zf, "course/pyproject.toml", (root / "pyproject.toml").read_bytes())
        if (root / "README.md").is_file():
            _add(zf, "course/README.md", (root / "README.md").read_bytes())
        _add_tree(zf, root / "lossbook", "course/lossbook")
        for stem in chosen:
            _add(zf, f"course/chapters/{stem}.ipynb", _stripped(available[stem]))
        _add_tree(zf, root / "coursetools", "grader/coursetools")
    os.replace(tmp, out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB; chapters {', '.join(chosen)})")
    return out


# ---------------------------------------------------------------------------
# In the autograder
# ---------------------------------------------------------------------------


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file no larger than ``limit``, opened without following a link; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
        return data if len(data) <= limit else None
    finally:
        os.close(fd)


def collect(submission: Path, into: Path) -> list[str]:
    """Copy the submission's notebooks (regular files, no links, bounded size, depth and number) into ``into``.

    Returns notes on what was left out, for the student.
    """
    notes, found = [], 0
    into.mkdir(parents=True, exist_ok=True)
    stack = [(Path(submission), 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            name = gradebook.clean(entry.name)
            if entry.is_symlink():
                notes.append(f"{name}: a link, not read")
            elif entry.is_dir(follow_symlinks=False):
                if entry.name in (".ipynb_checkpoints", "__MACOSX") or entry.name.startswith("."):
                    continue
                if depth + 1 >= DEPTH:
                    notes.append(f"{name}: folders nested more than {DEPTH} deep are not read")
                else:
                    stack.append((Path(entry.path), depth + 1))
            elif entry.name.endswith(".ipynb") and not entry.name.startswith("."):
                if found >= NOTEBOOKS:
                    notes.append(f"{name}: more than {NOTEBOOKS} notebooks; the rest were not read")
                    return notes
                data = _read_regular(Path(entry.path), NOTEBOOK_BYTES)
                if data is None:
                    notes.append(f"{name}: not a regular file of at most {NOTEBOOK_BYTES >> 20} MB, not read")
                    continue
                target = into / entry.name
                if target.exists():
                    notes.append(f"{name}: a second notebook of that name (in a sub-folder), not graded")
                    continue
                target.write_bytes(data)
                found += 1
    return notes


def results(rows, chapters: dict[str, dict[str, float]], notes=(), *, seconds: float | None = None) -> dict:
    """Gradescope's results.json from the grader's rows of one student.

    ``chapters``: each assigned chapter's exercises and their points.
    """
    tests, total = [], 0.0
    by_exercise = {}
    for row in rows:
        if row.get("exercise"):
            key = (str(row.get("notebook")), str(row.get("exercise")))
            points = gradebook._number(row.get("points"))
            if key not in by_exercise or (points or 0) > (gradebook._number(by_exercise[key].get("points")) or 0):
                by_exercise[key] = row
    for chapter, exercises in chapters.items():
        for label, most in exercises.items():
            row = by_exercise.get((chapter, label))
            if row is None:
                score, output = 0.0, f"not graded: no notebook named {chapter}.ipynb in the submission"
            else:
                score = min(max(gradebook._number(row.get("points")) or 0.0, 0.0), most)
                output = gradebook.clean(row.get("message")) or ("correct" if score == most else "")
                case = gradebook.first_failing_case(label, row.get("message", ""))
                if case:
                    output += f"\nFirst failing case ({case['case']}): {gradebook.clean(case['call'])}"
                    if "expected" in case:
                        output += f", expected {gradebook.clean(case['expected'])}"
            total += score
            tests.append(
                {
                    "name": f"{chapter}: {label}",
                    "score": round(score, 2),
                    "max_score": most,
                    "status": "passed" if score >= most else "failed",
                    "output": output,
                    "output_format": "text",
                }
            )
    general = [gradebook.clean(n) for n in notes]
    general += [
        gradebook.clean(f"{r.get('notebook') or 'submission'}: {r.get('message')}") for r in rows if not r.get("exercise")
    ]
    most = sum(sum(e.values()) for e in chapters.values())
    summary = [f"{gradebook._points(total)} of {gradebook._points(most)} points.", *general]
    out = {
        "score": round(total, 2),
        "output": "\n".join(summary),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if seconds is not None:
        out["execution_time"] = round(seconds)
    return out


def run(autograder="/autograder") -> int:
    """Grade ``autograder/submission`` and write ``autograder/results/results.json``; 0 when written."""
    from coursetools import grading, grading_policy
    from coursetools.course import grade_cells, read

    started = time.monotonic()
    autograder = Path(autograder)
    source = autograder / "source"
    course = source / "course"
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    secret_path = source / "secret"
    variable = getattr(grading_policy, "SECRET_VARIABLE", None)
    if variable and secret_path.is_file() and secret_path.read_text(encoding="utf-8").strip():
        os.environ[variable] = secret_path.read_text(encoding="utf-8").strip()
    chapters = {stem: grade_cells(read(course / "chapters" / f"{stem}.ipynb")) for stem in config["chapters"]}
    with tempfile.TemporaryDirectory(prefix="lossbook-gradescope-") as tmp:
        tmp = Path(tmp)
        notes = collect(autograder / "submission", tmp / "submissions" / STUDENT)
        try:
            rows = grading.grade(tmp / "submissions", tmp / "grades.csv", root=course, course=tmp / "work", jobs=1, log=print)
        except RuntimeError as exc:  # the sandbox cannot run here: no grade rather than a false 0
            print(f"not graded: {exc}", file=sys.stderr)
            return 2
    rows = [r for r in rows if str(r.get("student")) == STUDENT or not r.get("student")]
    report = results(rows, chapters, notes, seconds=time.monotonic() - started)
    out = autograder / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_name(out.name + ".tmp")
    tmp_out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp_out, out)
    print(f"wrote {out}: {report['score']:g} points")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursetools.gradescope", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="write the autograder zip")
    make.add_argument("--out", default="_build/gradescope/autograder.zip")
    make.add_argument(
        "--chapters",
        nargs="*",
        default=None,
        help="the assigned chapters' notebook names (default: every chapter with exercises)",
    )
    grade = commands.add_parser("run", help="grade one submission (what run_autograder does)")
    grade.add_argument("--autograder", default="/autograder")
    args = parser.parse_args(argv)
    if args.command == "build":
        try:
            build(args.out, chapters=[c.removesuffix(".ipynb") for c in args.chapters or []] or None)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    return run(args.autograder)


if __name__ == "__main__":
    raise SystemExit(main())
