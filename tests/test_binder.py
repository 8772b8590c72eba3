"""Binder's environment: the chapters' runtime at the lock's versions, and no tool for building or testing the course."""

import re
from pathlib import Path

import pytest

from coursetools import pins

pytestmark = pytest.mark.lock  # Binder's pins are read off the lock's installed packages

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder" / "requirements.txt"

#: Tools for building, testing, linting or grading the course, by name: none belongs on Binder.
TOOLS = (
    "sphinx",
    "jupyter-book",
    "jupyter-cache",
    "myst-nb",
    "myst-parser",
    "docutils",
    "pybtex",
    "pytest",
    "nbval",
    "playwright",
    "axe-playwright-python",
    "ruff",
    "nbgrader",
    "coverage",
    "build",
    "hatch",
)


def _pins(text):
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return lines


def _name(pin):
    return re.sub(r"[-_.]+", "-", pin.partition("==")[0]).lower()


def _dev_tools():
    """What the book and test extras bring that the runtime does not: build and test tools and their helpers."""
    import tomllib

    with open(ROOT / "pyproject.toml", "rb") as fh:
        extras = tomllib.load(fh)["project"]["optional-dependencies"]
    from packaging.requirements import Requirement

    roots = [Requirement(text).name for group in ("book", "test") for text in extras[group]]
    return pins.closure(roots) - pins.closure(pins.runtime_roots() + list(pins.RUNTIME_EXTRA))


def test_binder_is_generated_from_the_lock():
    assert BINDER.read_text(encoding="utf-8") == pins.binder_requirements(), (
        "binder/requirements.txt has drifted from requirements.lock: run `make binder/requirements.txt`"
    )


def test_binder_pins_every_package_at_the_locks_version_then_installs_lossbook():
    lines = _pins(BINDER.read_text(encoding="utf-8"))
    assert lines[-1] == "."
    lock = pins.lock()
    for pin in lines[:-1]:
        name, _, version = pin.partition("==")
        assert version, f"{pin} is not pinned"
        assert lock[_name(name)][1] == version, f"{pin} differs from requirements.lock"
    names = {_name(pin) for pin in lines[:-1]}
    assert {_name(n) for n in pins.runtime_roots()} | {"jupyterlab", "ipykernel"} <= names


def test_nothing_on_binder_is_a_build_or_test_tool():
    names = {_name(pin) for pin in _pins(BINDER.read_text(encoding="utf-8"))[:-1]}
    named = {n for n in names if n.startswith(TOOLS) or n.startswith("sphinx")}
    assert not named, f"build or test tools on Binder: {sorted(named)}"
    brought = names & _dev_tools()
    assert not brought, f"packages only the book or the tests need, on Binder: {sorted(brought)}"
    # The tool list is not empty by accident: the development lock holds them.
    assert {"sphinx", "pytest", "ruff", "nbgrader", "playwright"} <= set(pins.lock())
    assert len(names) < len(pins.lock()) * 0.7


def test_binder_uses_the_locks_python():
    lock_python = re.search(r"Python (3\.\d+)", (ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip() == f"python-{lock_python.group(1)}"


def test_pins_refuse_a_package_the_lock_lacks(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy==2.4.6\n", encoding="utf-8")
    try:
        pins.pinned(["scipy"], lock)
    except LookupError as exc:
        assert "scipy" in str(exc) and "make lock" in str(exc)
    else:
        raise AssertionError("a package missing from the lock was pinned")


def test_make_writes_binder_requirements_with_the_pins_module():
    import subprocess

    done = subprocess.run(
        ["make", "-n", "-W", "coursetools/pins.py", "binder/requirements.txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "-m coursetools.pins binder > binder/requirements.txt.tmp" in done.stdout


def test_binder_holds_everything_its_packages_require_extras_asked_for_included():
    from importlib import metadata

    from packaging.requirements import Requirement

    names = {_name(pin) for pin in _pins(BINDER.read_text(encoding="utf-8"))[:-1]}
    missing = []
    for name in names:
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            wanted = [requirement.name]
            for extra in requirement.extras:  # e.g. jupyter-events needs jsonschema[format-nongpl]
                wanted += [
                    Requirement(t).name
                    for t in metadata.requires(requirement.name) or []
                    if Requirement(t).marker is not None and Requirement(t).marker.evaluate({"extra": extra})
                ]
            missing += [f"{name} -> {w}" for w in wanted if _name(w) not in names | pins.UNPINNED]
    assert not missing, f"installed unpinned on Binder: {sorted(set(missing))}"
