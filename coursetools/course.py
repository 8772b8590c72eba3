"""What every course tool needs to know: the chapters, their exercise cells, the environment and the kernel.

The build (:mod:`coursetools.book`), the student edition
(:mod:`coursetools.release`) and the autograder (:mod:`coursetools.grading`)
read the chapters and start kernels the same way; this module is where that way
is written down, once.
"""

from __future__ import annotations

import copy as _copy
import os
import re
import subprocess
import sys
from pathlib import Path

from lossbook.environment import apply_environment

__all__ = [
    "EXERCISES_HEADING",
    "DEMO_TAG",
    "KERNELSPEC",
    "toc_files",
    "chapter_notebooks",
    "chapters_with_exercises",
    "read",
    "copy",
    "nbgrader_meta",
    "is_solution_markdown",
    "is_demo",
    "exercises_heading",
    "exercise_cells",
    "grade_cells",
    "environment",
    "kernel_manager",
    "write_kernel",
    "run_nbgrader",
    "nbgrader_errors",
]

#: The heading of the last section of a chapter; every code cell after it is exercise material.
EXERCISES_HEADING = "## Exercises"
#: The tag of an exercise's demo cell: code inside the solution's toggle that shows the answer.
DEMO_TAG = "exercise-demo"
#: The kernel every stored notebook names: the Python that runs the course's tools.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

_SOLUTION_DIRECTIVE = re.compile(r"^\s*(```+|:::+)\s*\{solution(-start|-end)?\}", re.MULTILINE)
_HEADING = re.compile(rf"^{re.escape(EXERCISES_HEADING)}\s*$", re.MULTILINE)


# ---------------------------------------------------------------------------
# The chapters
# ---------------------------------------------------------------------------


def toc_files(root: str | os.PathLike = ".") -> list[str]:
    """Return every document named in ``_toc.yml``, without file extension, in the book's order.

    The table of contents is read by jupyter-book's own parser
    (``sphinx_external_toc``), so what is listed here is what the book builds.
    """
    from sphinx_external_toc.parsing import parse_toc_yaml

    return list(parse_toc_yaml(Path(root) / "_toc.yml"))


def chapter_notebooks(root: str | os.PathLike = ".") -> list[Path]:
    """Return the notebooks under ``chapters/``, sorted by name."""
    return sorted(p for p in (Path(root) / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def chapters_with_exercises(root: str | os.PathLike = ".") -> list[Path]:
    """The chapters that hold at least one grade cell."""
    return [path for path in chapter_notebooks(root) if grade_cells(read(path))]


def read(path: str | os.PathLike):
    """A notebook, as nbformat version 4."""
    import nbformat

    return nbformat.read(path, as_version=4)


def copy(nb):
    """An independent copy of a notebook."""
    return _copy.deepcopy(nb)


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata (empty for a cell nbgrader does not manage)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution_markdown(cell) -> bool:
    """True for a markdown cell that holds a ``{solution}`` directive (a website dropdown)."""
    return cell.get("cell_type") == "markdown" and bool(_SOLUTION_DIRECTIVE.search(cell.get("source", "")))


def is_demo(cell) -> bool:
    """True for an exercise's demo cell (tagged :data:`DEMO_TAG`), which the student edition drops."""
    return cell.get("cell_type") == "code" and DEMO_TAG in cell.get("metadata", {}).get("tags", [])


def exercises_heading(nb) -> int | None:
    """Index of the markdown cell that opens the chapter's exercises section, or None."""
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and _HEADING.search(c.source)), None)


def exercise_cells(nb) -> list[int]:
    """Indices of the code cells in the chapter's exercises section."""
    starts = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and _HEADING.search(c.source)]
    if not starts:
        return []
    return [i for i in range(starts[0] + 1, len(nb.cells)) if nb.cells[i].cell_type == "code"]


def grade_cells(nb) -> dict[str, float]:
    """The grade cells of a notebook: grade id to points."""
    return {
        nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0))
        for c in nb.cells
        if nbgrader_meta(c).get("grade") and "grade_id" in nbgrader_meta(c)
    }


# ---------------------------------------------------------------------------
# The environment and the kernel
# ---------------------------------------------------------------------------


def environment(environ=None) -> dict:
    """The course's environment (:data:`lossbook._setup.ENVIRONMENT`) applied to ``environ``.

    With no argument it is applied to this process, so that every kernel it
    starts inherits it; pass a copy of ``os.environ`` for a child process.
    """
    return apply_environment(environ)


def kernel_manager(sockets: str | os.PathLike | None = None):
    """A manager for a kernel that runs this Python, the one the test suite (nbval) runs.

    With ``sockets``, an existing folder (POSIX only), the kernel talks over
    Unix sockets in that folder rather than over TCP ports: kernels started
    at the same moment by two worker processes can otherwise be handed the
    same free port, and one of them dies with "Address already in use". The
    caller removes the folder when the kernel has stopped.
    """
    from jupyter_client.manager import KernelManager
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    transport = {} if sockets is None else {"transport": "ipc", "ip": os.path.join(os.fspath(sockets), "kernel")}
    return KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager(), **transport)


def write_kernel(jupyter_path: Path) -> dict:
    """Install :data:`KERNELSPEC`, running this Python, under ``jupyter_path``; return the environment that finds it first.

    Tools that start Jupyter in a child process (nbgrader) find this kernel
    before any user-wide kernel of the same name, so their notebooks run with
    the course's lossbook and libraries.
    """
    from ipykernel.kernelspec import write_kernel_spec

    folder = Path(jupyter_path) / "kernels" / KERNELSPEC["name"]
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        write_kernel_spec(folder, overrides={"display_name": KERNELSPEC["display_name"]})
    env = environment(os.environ.copy())
    env["JUPYTER_PATH"] = os.pathsep.join([str(jupyter_path), env.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_nbgrader(course: Path, *args, timeout: float, env=None) -> subprocess.CompletedProcess:
    """Run one nbgrader command on the course folder ``course``."""
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"]
    return subprocess.run(
        command, cwd=course, env=env or write_kernel(course / "jupyter"), capture_output=True, text=True, timeout=timeout
    )


def nbgrader_errors(result: subprocess.CompletedProcess) -> list[str]:
    """nbgrader's error lines, without its log prefix (its last lines when it logged no error)."""
    lines = (result.stdout + result.stderr).splitlines()
    errors = [
        re.sub(r"^\[\w+App \| (ERROR|CRITICAL)\]\s*", "", line) for line in lines if re.search(r"\| (ERROR|CRITICAL)\]", line)
    ]
    return errors or lines[-5:]
