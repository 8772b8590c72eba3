"""The lower bounds of lossbook's dependencies, as pip constraints, and a check of them.

``python tools/floors.py`` prints ``name==version`` for every dependency of
``[project]`` in pyproject.toml (the ones a learner's ``pip install lossbook``
brings), taken from its ``>=`` bound. ``python tools/floors.py --check``
exits with an error unless the running environment has exactly those
versions. ``make oldest`` uses both. Standard library only, so any Python
3.11+ runs it before an environment exists.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")
_LOWER = re.compile(r">=\s*([0-9][A-Za-z0-9.+-]*)")


def floors(pyproject: Path) -> dict[str, str]:
    """Map each dependency of ``[project]`` to its lower bound; fail on one without."""
    with open(pyproject, "rb") as fh:
        project = tomllib.load(fh)["project"]
    found = {}
    for requirement in project["dependencies"]:
        name, spec = _REQUIREMENT.match(requirement).groups()
        lower = _LOWER.search(spec)
        if lower is None:
            raise SystemExit(f"{pyproject}: dependency {requirement!r} has no '>=' lower bound; add one")
        found[name] = lower.group(1)
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", nargs="?", default="pyproject.toml")
    parser.add_argument("--check", action="store_true", help="compare the installed versions with the bounds")
    args = parser.parse_args(argv)
    bounds = floors(Path(args.pyproject))
    if not args.check:
        print("\n".join(f"{name}=={version}" for name, version in bounds.items()))
        return 0
    wrong = []
    for name, version in bounds.items():
        installed = metadata.version(name)
        print(f"{name:14s} floor {version:10s} installed {installed}")
        if installed != version:
            wrong.append(name)
    if wrong:
        print(f"not at their lower bounds: {', '.join(wrong)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
