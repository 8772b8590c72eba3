"""Every lossbook name a chapter uses is public: a public module, and a name its ``__all__`` lists.

The chapters' code cells are parsed with ``ast`` (not run): imports from
lossbook bind names, and ``module.name`` after such a name is a use. What a
chapter calls is the learner's API, so it may not reach into plumbing.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _code(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells if c["cell_type"] == "code"]
    # IPython's magics and shell lines are not Python.
    return ["\n".join(line for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))) for s in sources]


def uses(sources: list[str]) -> dict[str, set[str]]:
    """``{dotted lossbook name: {where}}`` for the lossbook modules and names the code imports or reads."""
    found: dict[str, set[str]] = {}
    bound: dict[str, str] = {}  # a local name -> the lossbook module or object it stands for
    for number, source in enumerate(sources):
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "lossbook":
                        bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else "lossbook"
                        found.setdefault(alias.name, set()).add(f"code cell {number}")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lossbook":
                for alias in node.names:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                    found.setdefault(f"{node.module}.{alias.name}", set()).add(f"code cell {number}")
        for node in ast.walk(tree):
            chain, root = [], node
            while isinstance(root, ast.Attribute):
                chain.insert(0, root.attr)
                root = root.value
            if chain and isinstance(root, ast.Name) and root.id in bound:
                found.setdefault(".".join([bound[root.id], *chain]), set()).add(f"code cell {number}")
    return found


def not_public(dotted: str) -> str | None:
    """Why ``dotted`` is not a public lossbook name, or None when it is.

    The longest importable prefix is the module; the next part is the name
    read from it (what follows, ``LOSSES.items`` say, is that object's own).
    """
    parts = dotted.split(".")
    depth = 0
    for k in range(len(parts), 0, -1):
        try:
            importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        depth = k
        break
    if any(part.startswith("_") and not part.startswith("__") for part in parts[: depth + 1]):
        return "a private name"
    if depth == len(parts):
        return None  # a public module
    module_name, name = ".".join(parts[:depth]), parts[depth]
    module = importlib.import_module(module_name)
    if not hasattr(module, name):
        return f"{module_name} has no {name}"
    if name not in getattr(module, "__all__", ()):
        return f"not in {module_name}.__all__"
    return None


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_lossbook_name_a_chapter_uses_is_public(chapter):
    found = uses(_code(chapter))
    problems = {name: why for name in sorted(found) if (why := not_public(name))}
    assert problems == {}


def test_the_check_reads_imports_and_attributes_and_finds_plumbing():
    sources = [
        "import lossbook\nfrom lossbook import models as m, data\n%matplotlib inline",
        "m.build('mse', n_inputs=2, hidden=4)\nm._keras\nlossbook.setup()\nfrom lossbook.models import sign_accuracy\n"
        "print(lossbook.stats.N_PATTERNS)",
    ]
    found = uses(["\n".join(line for line in s.splitlines() if not line.startswith("%")) for s in sources])
    assert set(found) == {
        "lossbook",
        "lossbook.models",
        "lossbook.data",
        "lossbook.models.build",
        "lossbook.models._keras",
        "lossbook.setup",
        "lossbook.models.sign_accuracy",
        "lossbook.stats",
        "lossbook.stats.N_PATTERNS",
    }
    assert not_public("lossbook.models._keras") == "a private name"
    assert not_public("lossbook.models.warnings") == "not in lossbook.models.__all__"
    assert not_public("lossbook.models.build") is None and not_public("lossbook.data") is None
    assert not_public("lossbook.registry.LOSSES.items") is None
