"""Tools that keep the course's notebooks honest.

``python -m lossbook.book execute`` re-executes chapters in fresh kernels and
stores their outputs (the only way stored outputs are produced);
``python -m lossbook.book check`` lists every notebook that breaks the
course's rules for stored outputs; ``python -m lossbook.book lab`` opens
JupyterLab with the same environment the tests use.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from lossbook._setup import ENVIRONMENT

__all__ = [
    "toc_files",
    "chapter_notebooks",
    "notebook_problems",
    "toc_problems",
    "book_problems",
    "execute",
    "main",
]

#: Cell tags that would let a notebook skip verification.
FORBIDDEN_TAGS = {"nbval-skip", "raises-exception", "skip-execution"}
#: The tag that lets nbval ignore a cell's output; each use needs a reason.
IGNORE_TAG = "nbval-ignore-output"
_IGNORE_REASON = re.compile(r"^#\s*nbval-ignore-output:\s*\S", re.MULTILINE)
_IGNORE_COMMENT = re.compile(r"^#\s*NBVAL_(IGNORE_OUTPUT|SKIP|RAISES_EXCEPTION)\b", re.MULTILINE)
_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b")


def _read_yaml(path: Path):
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def toc_files(root: str | os.PathLike = ".") -> list[str]:
    """Return every document named in ``_toc.yml``, without file extension."""
    root = Path(root)
    toc = _read_yaml(root / "_toc.yml")
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    found.append(str(Path(node[key]).with_suffix("")))
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def chapter_notebooks(root: str | os.PathLike = ".") -> list[Path]:
    """Return the notebooks under ``chapters/``, sorted by name."""
    root = Path(root)
    return sorted(
        p for p in (root / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )


def _text_of(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return "".join(v for k, v in data.items() if k.startswith("text/") and isinstance(v, str))


def notebook_problems(path: str | os.PathLike) -> list[str]:
    """List what is wrong with a notebook's stored outputs.

    A notebook passes when every non-empty code cell was executed, in order, in
    one run of a fresh kernel (execution counts 1, 2, 3, ...); no output is an
    error or a stderr stream; no text output carries a memory address or a
    carriage-return progress bar; no cell is excused from verification; and each
    cell whose output nbval ignores says why in a ``# nbval-ignore-output:`` line.
    """
    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the finding
        return [f"{path}: cannot be read as a notebook ({exc})"]
    problems = []
    expected = 1
    executed_any = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{path} cell {index}"
        source = cell.source
        tags = set(cell.get("metadata", {}).get("tags", []))
        for tag in sorted(tags & FORBIDDEN_TAGS):
            problems.append(f"{where}: tag {tag!r} excuses the cell from verification; remove it")
        if _IGNORE_COMMENT.search(source):
            problems.append(
                f"{where}: NBVAL_* comment; use the {IGNORE_TAG!r} tag with a reason line instead"
            )
        if IGNORE_TAG in tags and not _IGNORE_REASON.search(source):
            problems.append(
                f"{where}: tagged {IGNORE_TAG!r} without a '# nbval-ignore-output: <reason>' line"
            )
        if not source.strip():
            if cell.outputs:
                problems.append(f"{where}: empty cell with stored output")
            continue
        count = cell.get("execution_count")
        if count is None:
            problems.append(f"{where}: code cell has no execution count; run `make outputs`")
        else:
            executed_any = True
            if count != expected:
                problems.append(
                    f"{where}: execution count {count}, expected {expected}; stored outputs must "
                    "come from one top-to-bottom run (`make outputs`)"
                )
            expected = count + 1
        for output in cell.outputs:
            kind = output.get("output_type")
            if kind == "error":
                problems.append(f"{where}: stored error {output.get('ename')}: {output.get('evalue')}")
            elif kind == "stream" and output.get("name") == "stderr":
                first = output.get("text", "").strip().splitlines()[:1]
                problems.append(f"{where}: stored stderr output {first}")
            text = _text_of(output)
            if _ADDRESS.search(text):
                problems.append(f"{where}: output contains a memory address")
            if "\r" in text:
                problems.append(f"{where}: output contains a carriage return (a progress bar?)")
    if not executed_any and any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
        problems.append(f"{path}: no stored outputs; run `make outputs`")
    return problems


def toc_problems(root: str | os.PathLike = ".") -> list[str]:
    """List chapters missing from ``_toc.yml`` and entries naming no file."""
    root = Path(root)
    listed = toc_files(root)
    problems = []
    for entry in listed:
        if not any((root / (entry + ext)).exists() for ext in (".ipynb", ".md")):
            problems.append(f"_toc.yml: {entry!r} names no .ipynb or .md file")
    for nb in chapter_notebooks(root):
        name = str(nb.relative_to(root).with_suffix(""))
        if name not in listed:
            problems.append(f"{nb.relative_to(root)}: not listed in _toc.yml")
    return problems


def book_problems(root: str | os.PathLike = ".") -> list[str]:
    """All problems of the book: the table of contents and every chapter."""
    problems = toc_problems(root)
    for nb in chapter_notebooks(root):
        problems.extend(notebook_problems(nb))
    return problems


def _kernel_manager():
    from jupyter_client.manager import KernelManager
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    return KernelManager(
        kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager()
    )


def _coalesce_streams(outputs):
    """Merge consecutive stream outputs of the same name, as nbval compares them.

    How a cell's prints are split into messages depends on timing; merging them
    makes the stored notebook the same on every run.
    """
    merged = []
    for output in outputs:
        if (
            merged
            and output.get("output_type") == "stream"
            and merged[-1].get("output_type") == "stream"
            and merged[-1].get("name") == output.get("name")
        ):
            merged[-1]["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def execute(paths, *, timeout: int = 900, log=print) -> dict[str, float]:
    """Execute notebooks top to bottom in fresh kernels and store their outputs.

    The kernel runs the Python of this environment with :data:`ENVIRONMENT`
    set, exactly as the test suite runs it. Returns the wall time in seconds of
    each notebook, keyed by path.
    """
    import nbformat
    from nbclient import NotebookClient

    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    times = {}
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
                cell.metadata.pop("execution", None)
        log(f"executing {path} ...")
        start = time.perf_counter()
        client = NotebookClient(
            nb,
            km=_kernel_manager(),
            timeout=timeout,
            record_timing=False,
            allow_errors=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = _coalesce_streams(cell.outputs)
        times[str(path)] = elapsed = time.perf_counter() - start
        nb.metadata["kernelspec"] = {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        }
        nbformat.write(nb, path)
        log(f"  {path}: {elapsed:.1f} s")
    return times


def _lab(root: Path) -> int:
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    os.execvp(sys.executable, [sys.executable, "-m", "jupyterlab", str(root / "chapters")])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lossbook.book", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="re-execute chapters and store their outputs")
    run.add_argument("notebooks", nargs="*", help="default: every notebook in chapters/")
    sub.add_parser("check", help="list problems with stored outputs and the table of contents")
    sub.add_parser("lab", help="open the chapters in JupyterLab with the course's environment")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if args.command == "execute":
        paths = args.notebooks or chapter_notebooks(root)
        times = execute(paths)
        log_total = sum(times.values())
        print(f"executed {len(times)} notebooks in {log_total:.1f} s")
        problems = [p for path in paths for p in notebook_problems(path)]
    elif args.command == "lab":
        return _lab(root)
    else:
        problems = book_problems(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    if args.command == "check":
        print(f"checked {len(chapter_notebooks(root))} notebooks and _toc.yml: no problems")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
