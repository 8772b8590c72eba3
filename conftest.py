"""Test configuration shared by the unit tests, the doctests and nbval.

nbval starts one Jupyter kernel per notebook as a child of this process, so
the environment that TensorFlow and the BLAS libraries read at start-up is set
here, before any kernel exists.
"""

import os

import pytest

from lossbook.environment import apply_environment

apply_environment()

#: Markers that say what a failure means; ``make test`` runs every marked test.
MARKERS = {
    "upstream": "pins a behaviour of Keras, TensorFlow, NumPy or scikit-learn that the chapters or lossbook rely on; "
    "a failure means the library changed: update the text or the workaround, lossbook itself may be fine",
    "timing": "depends on wall-clock time (a deadline or a wait); a failure on a loaded machine may be the machine",
    "lock": "reads the installed packages as requirements.lock pins them; make oldest, at other versions, skips it",
}


def pytest_configure(config):
    for name, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


@pytest.fixture(scope="session")
def grading_sandbox():
    """The grading sandbox's tests skip where bubblewrap cannot start one, and fail under CI, which installs it."""
    from coursetools import sandbox

    why = sandbox.why_unavailable()
    if why:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no grading sandbox: {why}")


def pytest_terminal_summary(terminalreporter):
    """Print the mutation score each exercise's test recorded (tests/test_mutation.py), also under pytest-xdist."""
    lines = sorted(
        value
        for key in ("passed", "failed")
        for report in terminalreporter.stats.get(key, [])
        if getattr(report, "when", "") == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "mutation"
    )
    if lines:
        terminalreporter.section("mutation scores of the exercises")
        for line in lines:
            terminalreporter.write_line(line)
