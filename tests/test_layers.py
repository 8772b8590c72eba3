"""lossbook's modules stand in layers that import one way, and no module takes another's private names.

The imports are read from the source with ``ast``, every one of them: those
inside functions too, since a lazy import is still an arrow. A module may
import only modules of a lower layer (:data:`LAYERS`). A name that starts
with an underscore stays in its module, and a private module stays in its
package: coursetools calls lossbook's public names alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lossbook", "coursetools")

#: lossbook's layers, from the ground up: a module imports only modules of the layers below its own.
LAYERS = (
    # Ground: NumPy alone.
    ("lossbook.registry", "lossbook.environment", "lossbook.exercises.model", "lossbook.exercises.sandbox"),
    # The checks (with the registry's vocabulary of target formats), the Keras loader, the exercises' data.
    (
        "lossbook._validation",
        "lossbook._keras",
        "lossbook.exercises.scoring",
        "lossbook.exercise_bank",
        "lossbook.exercise_bank.*",
    ),
    # NumPy and SciPy work on the checks and the table; seeds; histories.
    (
        "lossbook.losses",
        "lossbook.stats",
        "lossbook.optim",
        "lossbook.calibration",
        "lossbook.intervals",
        "lossbook.resampling",
        "lossbook.distillation",
        "lossbook.embedding",
        "lossbook.seeds",
        "lossbook.history",
        "lossbook.exercises.feedback",
    ),
    ("lossbook.data", "lossbook.keras_losses", "lossbook.exercises"),
    ("lossbook._heads",),
    ("lossbook.models", "lossbook.training"),
    ("lossbook.plotting",),
    ("lossbook.replicas",),
    ("lossbook.nested", "lossbook.robust"),
    ("lossbook._setup",),
    ("lossbook",),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


MODULES = _modules()


def _layer(module: str) -> int:
    for number, layer in enumerate(LAYERS):
        for pattern in layer:
            if module == pattern or (pattern.endswith(".*") and module.startswith(pattern[:-1])):
                return number
    raise AssertionError(f"{module} stands in no layer of tests/test_layers.py: add it to LAYERS.")


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    is_package = MODULES[module].name == "__init__.py"
    base = package[: len(package) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[int, str, str | None]]:
    """``(line, module imported, name taken from it or None)`` for every import of a first-party module."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names if alias.name.split(".")[0] in PACKAGES]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            if source.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.append((node.lineno, submodule, None) if submodule in MODULES else (node.lineno, source, alias.name))
    return found


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def private_crossings(module: str) -> list[str]:
    """The private names and private modules of others that ``module`` imports."""
    found = []
    own_package = module.split(".")[0]
    for line, source, name in imports(module):
        if name is not None and name.startswith("_") and not name.startswith("__") and source != module:
            found.append(f"{module}:{line} takes {source}.{name}")
        if _private(source) and source.split(".")[0] != own_package:
            found.append(f"{module}:{line} imports the private module {source} of another package")
    return found


def upward_arrows(module: str) -> list[str]:
    """The imports of ``module`` that go to its own layer or above."""
    own = _layer(module)
    return [
        f"{module}:{line} imports {source} (layer {_layer(source)}) from layer {own}"
        for line, source, _ in imports(module)
        if source in MODULES and source.startswith("lossbook") and source != module and _layer(source) >= own
    ]


def circles() -> list[list[str]]:
    """Import circles among lossbook's modules (Tarjan's strongly connected components with more than one module)."""
    graph = {m: {s for _, s, _ in imports(m) if s in MODULES and s != m} for m in MODULES if m.startswith("lossbook")}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


LOSSBOOK = sorted(m for m in MODULES if m.split(".")[0] == "lossbook")


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_another_modules_private_names(package):
    found = [line for m in MODULES if m.split(".")[0] == package for line in private_crossings(m)]
    assert found == []


def test_every_lossbook_module_imports_only_from_layers_below_its_own():
    found = [line for m in LOSSBOOK for line in upward_arrows(m)]
    assert found == []


def test_lossbook_has_no_import_circle():
    assert circles() == []


def test_the_checks_see_a_private_import_an_arrow_up_and_a_circle(monkeypatch, tmp_path):
    # Two invented modules: one takes a private name of the other and imports a module above it, and the other imports
    # it back, so each check must find its fault in them.
    low = tmp_path / "lossbook" / "registry.py"
    high = tmp_path / "lossbook" / "replicas.py"
    low.parent.mkdir()
    low.write_text("def lookup():\n    from lossbook import replicas\n", encoding="utf-8")
    high.write_text("from lossbook.registry import _ROWS\nimport lossbook.registry\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "MODULES", {"lossbook.registry": low, "lossbook.replicas": high})
    assert private_crossings("lossbook.replicas") == ["lossbook.replicas:1 takes lossbook.registry._ROWS"]
    assert imports("lossbook.replicas") == [(1, "lossbook.registry", "_ROWS"), (2, "lossbook.registry", None)]
    assert upward_arrows("lossbook.registry") == ["lossbook.registry:2 imports lossbook.replicas (layer 7) from layer 0"]
    assert circles() == [["lossbook.registry", "lossbook.replicas"]]


@pytest.mark.parametrize("old, new", [("_matches", "matches"), ("_diagnose", "diagnose"), ("_call_text", "call_text")])
def test_a_name_moved_to_scoring_still_answers_at_its_old_address_with_a_warning(old, new):
    from lossbook.exercises import feedback, scoring

    with pytest.warns(DeprecationWarning, match=f"feedback.{old} is now lossbook.exercises.scoring.{new}"):
        assert getattr(feedback, old) is getattr(scoring, new)
