"""pyproject.toml's lower bounds: present, and no newer than what Colab ships."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import floors  # noqa: E402

#: Colab's stock versions (November 2026: Python 3.13), where the launch
#: buttons send learners. A lower bound above one of these would make the
#: launch cell upgrade the library. SciPy is not in the list we have; 1.14.1 is
#: the first SciPy with wheels for Python 3.13, so Colab's cannot be older.
COLAB = {
    "numpy": "2.1.3",
    "scipy": "1.14.1",
    "matplotlib": "3.10.0",
    "scikit-learn": "1.6.1",
    "keras": "3.13.2",
    "tensorflow": "2.20.0",
}


def _version(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


#: Pure-Python packages whose floor may be above Colab's: the launch cell
#: upgrades them, and no compiled library has to be replaced in a running kernel.
UPGRADED_BY_THE_LAUNCH_CELL = {"keras"}


def test_every_dependency_has_a_floor_no_newer_than_colab():
    bounds = floors.floors(ROOT / "pyproject.toml")
    assert set(bounds) == set(COLAB)
    for name, version in bounds.items():
        if name in UPGRADED_BY_THE_LAUNCH_CELL:
            continue
        assert _version(version) <= _version(COLAB[name]), f"{name}>={version} is newer than Colab's {COLAB[name]}"


def test_a_dependency_without_a_floor_is_refused(tmp_path):
    project = tmp_path / "pyproject.toml"
    project.write_text('[project]\nname = "x"\ndependencies = ["numpy>=2.1.3", "scipy"]\n')
    with pytest.raises(SystemExit, match="'scipy' has no '>=' lower bound"):
        floors.floors(project)


def test_the_constraints_pin_each_floor_exactly(tmp_path, capsys):
    project = tmp_path / "pyproject.toml"
    project.write_text('[project]\nname = "x"\ndependencies = ["numpy>=2.1.3,<3", "keras >= 3.13.2"]\n')
    assert floors.main([str(project)]) == 0
    assert capsys.readouterr().out.split() == ["numpy==2.1.3", "keras==3.13.2"]
