"""What the linter cannot see: private module constants that nothing reads."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (ROOT / "lossbook", ROOT / "coursetools")


def _sources():
    return [path for package in PACKAGES for path in sorted(package.rglob("*.py"))]


def _private_assignments(tree):
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and name.id.startswith("_") and not name.id.startswith("__"):
                    yield name.id


def _loads(tree, name):
    return any(isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load) for node in ast.walk(tree))


def _imported_elsewhere(trees, path, name):
    for other, tree in trees.items():
        if other == path:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names):
                return True
            if isinstance(node, ast.Attribute) and node.attr == name:
                return True
    return False


def test_every_private_module_constant_is_used():
    """A private name assigned at module level is read in its module or imported by another."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _sources()}
    unused = [
        f"{path.relative_to(ROOT)}: {name}"
        for path, tree in trees.items()
        for name in _private_assignments(tree)
        if not _loads(tree, name) and not _imported_elsewhere(trees, path, name)
    ]
    assert unused == [], f"private constants that nothing reads: {unused}"


def test_the_check_finds_an_unused_constant(tmp_path):
    tree = ast.parse("_USED = 1\n_UNUSED = 2\nprint(_USED)\n")
    names = [n for n in _private_assignments(tree) if not _loads(tree, n)]
    assert names == ["_UNUSED"]


def test_no_gap_of_more_than_two_blank_lines():
    """Runs of blank lines are what deleting code leaves behind."""
    gaps = [str(path.relative_to(ROOT)) for path in _sources() if "\n\n\n\n" in path.read_text(encoding="utf-8")]
    assert gaps == []
