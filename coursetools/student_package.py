"""The student build of lossbook: the same package, with an exercise bank of data and no solutions.

``build(out)`` copies ``lossbook/`` and replaces ``lossbook/exercise_bank/``
with two files: an ``__init__.py`` that sets ``STUDENT_EDITION = True`` and
``exercises.json``, every exercise as data (:func:`exercise_data`): its
statement, hints, cases with their expected values computed here from the
reference solutions, and each common mistake's value per case, but no
solution, no explanation, no demo and no code of the bank. In that build
:func:`lossbook.exercises.check` never shows the expected value of a
single-case exercise (it is the answer), and :func:`lossbook.exercises.solution`
declines.

The grading sandbox (:mod:`coursetools.sandbox`) mounts this tree in place of
the course's lossbook, and ``make student`` also packs it as a wheel
(:func:`wheel`) for students to install.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lossbook import exercises
from lossbook.exercises.model import STUDENT_DATA, encode

__all__ = ["exercise_data", "build", "wheel"]

_BANK_INIT = '''"""The exercises of the course, as data: the student build of lossbook carries no solutions."""

STUDENT_EDITION = True
'''


def exercise_data(exercise) -> dict:
    """One exercise as the student build stores it: what check and hint need, and nothing of the solution."""
    cases, mistakes = [], []
    for case in exercise.cases:
        cases.append({"args": encode(case.args), "expected": encode(exercise.expected(case)), "note": case.note})
    for mistake in exercise.mistakes:
        values = []
        for case in exercise.cases:
            try:
                values.append(encode(mistake.value(0, exercise.expected(case), case.args)))
            except Exception:  # noqa: BLE001 - a mistake that cannot be computed for a case does not apply to it
                values.append(None)
        mistakes.append({"hint": mistake.hint, "values": values})
    return {
        "label": exercise.label,
        "kind": exercise.kind,
        "function": exercise.function,
        "points": exercise.points,
        "rtol": exercise.rtol,
        "atol": exercise.atol,
        "choices": list(exercise.choices),
        "nonfinite_hint": exercise.nonfinite_hint,
        "title": exercise.title,
        "statement": exercise.statement,
        "lead": exercise.lead,
        "hints": list(exercise.hints),
        "parameters": exercise.parameter_names(),
        "cases": cases,
        "mistakes": mistakes,
        "common": list(exercise.common),
        "unit": exercise.unit,
        "examples": exercise.examples,
    }


def build(out, *, root=".") -> Path:
    """Write the student build of lossbook to ``out/lossbook``; return that folder."""
    source = Path(root).resolve() / "lossbook"
    target = Path(out).resolve() / "lossbook"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "exercise_bank"))
    bank = target / "exercise_bank"
    bank.mkdir()
    (bank / "__init__.py").write_text(_BANK_INIT, encoding="utf-8")
    data = [exercise_data(exercises.get(label)) for label in exercises.labels()]
    with open(bank / STUDENT_DATA, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def wheel(out, *, root=".") -> Path:
    """Build the student lossbook as a wheel in ``out``; return its path."""
    root, out = Path(root).resolve(), Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "lossbook-student"
        project.mkdir()
        build(project, root=root)
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
        if "package-data" not in text:  # the bank's data file goes into the wheel
            text += '\n[tool.setuptools.package-data]\n"lossbook.exercise_bank" = ["*.json"]\n'
        (project / "pyproject.toml").write_text(text, encoding="utf-8")
        if (root / "README.md").exists():
            shutil.copy(root / "README.md", project / "README.md")
        command = [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(project),
        ]
        subprocess.run(command, check=True, capture_output=True, text=True)
    found = sorted(out.glob("lossbook-*.whl"))
    if not found:
        raise RuntimeError(f"pip wrote no wheel into {out}")
    return found[-1]
