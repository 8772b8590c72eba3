"""Test configuration shared by the unit tests, the doctests and nbval.

nbval starts one Jupyter kernel per notebook as a child of this process, so
the environment that TensorFlow and the BLAS libraries read at start-up is set
here, before any kernel exists.
"""

import os

import pytest

from lossbook._setup import apply_environment

apply_environment()


@pytest.fixture(scope="session")
def grading_sandbox():
    """The grading sandbox's tests skip where bubblewrap cannot start one, and fail under CI, which installs it."""
    from coursetools import sandbox

    why = sandbox.why_unavailable()
    if why:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no grading sandbox: {why}")
