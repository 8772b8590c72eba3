"""Tools that keep the course's notebooks honest.

``python -m coursetools.book execute`` re-executes chapters in fresh kernels and
stores their outputs (the only way stored outputs are produced);
``python -m coursetools.book check`` lists every notebook that breaks the
course's rules for stored outputs; ``python -m coursetools.book lab`` opens
JupyterLab with the same environment the tests use;
``python -m coursetools.book portability`` re-executes the chapters under
another instruction set and thread count and lists every cell whose output
changes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from coursetools.course import KERNELSPEC, chapter_notebooks, environment, kernel_manager, read, toc_files
from coursetools.prose import page_problems, prose_problems
from lossbook.environment import numpy_targets

__all__ = [
    "notebook_problems",
    "toc_problems",
    "book_problems",
    "execute",
    "perturbations",
    "portability",
    "differing_cells",
    "sensitive_cells",
    "main",
]

#: Cell tags that would let a notebook skip verification.
FORBIDDEN_TAGS = {"nbval-skip", "raises-exception", "skip-execution"}
#: The tag that lets nbval ignore a cell's output; each use needs a reason.
IGNORE_TAG = "nbval-ignore-output"
_IGNORE_REASON = re.compile(r"^#\s*nbval-ignore-output:\s*\S", re.MULTILINE)
_IGNORE_COMMENT = re.compile(r"^#\s*NBVAL_(IGNORE_OUTPUT|SKIP|RAISES_EXCEPTION)\b", re.MULTILINE)
_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b")
#: The tag of a cell whose output may differ on another CPU or thread count;
#: each use needs a reason line, and the whole book may use it at most
#: :data:`PORTABILITY_BUDGET` times.
SENSITIVE_TAG = "cpu-sensitive"
PORTABILITY_BUDGET = 3
_SENSITIVE_REASON = re.compile(r"^#\s*cpu-sensitive:\s*(\S.*)$", re.MULTILINE)


def _text_of(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return "".join(v for k, v in data.items() if k.startswith("text/") and isinstance(v, str))


def _tag_problems(where: str, cell) -> list[str]:
    """What is wrong with a code cell's verification tags and the reason lines they ask for."""
    source = cell.source
    tags = set(cell.get("metadata", {}).get("tags", []))
    problems = [f"{where}: tag {tag!r} excuses the cell from verification; remove it" for tag in sorted(tags & FORBIDDEN_TAGS)]
    if _IGNORE_COMMENT.search(source):
        problems.append(f"{where}: NBVAL_* comment; use the {IGNORE_TAG!r} tag with a reason line instead")
    if IGNORE_TAG in tags and not _IGNORE_REASON.search(source):
        problems.append(f"{where}: tagged {IGNORE_TAG!r} without a '# nbval-ignore-output: <reason>' line")
    if SENSITIVE_TAG in tags and not _SENSITIVE_REASON.search(source):
        problems.append(f"{where}: tagged {SENSITIVE_TAG!r} without a '# cpu-sensitive: <reason>' line")
    return problems


def _output_problems(output) -> list[str]:
    """What is wrong with one stored output: an error, stderr, a memory address, a carriage return."""
    problems = []
    kind = output.get("output_type")
    if kind == "error":
        problems.append(f"stored error {output.get('ename')}: {output.get('evalue')}")
    elif kind == "stream" and output.get("name") == "stderr":
        first = output.get("text", "").strip().splitlines()[:1]
        problems.append(f"stored stderr output {first}")
    text = _text_of(output)
    if _ADDRESS.search(text):
        problems.append("output contains a memory address")
    if "\r" in text:
        problems.append("output contains a carriage return (a progress bar?)")
    return problems


def notebook_problems(path: str | os.PathLike) -> list[str]:
    """List what is wrong with a notebook's stored outputs.

    A notebook passes when every non-empty code cell was executed, in order, in
    one run of a fresh kernel (execution counts 1, 2, 3, ...); no output is an
    error or a stderr stream; no text output carries a memory address or a
    carriage-return progress bar; no cell is excused from verification; and each
    cell whose output nbval ignores says why in a ``# nbval-ignore-output:`` line.
    """
    path = Path(path)
    try:
        nb = read(path)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the finding
        return [f"{path}: cannot be read as a notebook ({exc})"]
    problems = []
    expected = 1
    executed_any = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{path} cell {index}"
        problems += _tag_problems(where, cell)
        if not cell.source.strip():
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
        problems += [f"{where}: {problem}" for output in cell.outputs for problem in _output_problems(output)]
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
    """All problems of the book: the table of contents, every chapter's stored outputs and the numbers in its
    text, and exercise cells that differ from :mod:`lossbook.exercise_bank`."""
    from coursetools import exercises

    problems = toc_problems(root)
    problems.extend(f"{change} (run `make exercises`, then `make outputs`)" for change in exercises.check(root))
    for nb in chapter_notebooks(root):
        problems.extend(notebook_problems(nb))
        problems.extend(prose_problems(nb))
    problems.extend(page_problems(root))
    sensitive = sensitive_cells(chapter_notebooks(root))
    if len(sensitive) > PORTABILITY_BUDGET:
        problems.append(
            f"{len(sensitive)} cells are tagged {SENSITIVE_TAG!r}, more than the book's budget of "
            f"{PORTABILITY_BUDGET}: make the others print only what holds on every CPU"
        )
    return problems


def sensitive_cells(paths) -> dict[tuple[str, int], str]:
    """The cells tagged :data:`SENSITIVE_TAG`, keyed by (path, cell index), with their reasons."""
    found = {}
    for path in map(Path, paths):
        nb = read(path)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and SENSITIVE_TAG in cell.get("metadata", {}).get("tags", []):
                reason = _SENSITIVE_REASON.search(cell.source)
                found[(str(path), index)] = reason.group(1).strip() if reason else "(no reason given)"
    return found


def _run(path: Path, timeout: int, overrides: dict[str, str] | None = None):
    """Execute one notebook in a fresh kernel; return it with its outputs and the wall time.

    The kernel inherits this process's environment: :data:`lossbook._setup.ENVIRONMENT` where
    unset, then ``overrides``, which replace any value.
    """
    from nbclient import NotebookClient
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    environment()
    os.environ.update(overrides or {})
    nb = read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lossbook-kernel-") as sockets:
        client = NotebookClient(
            nb,
            km=kernel_manager(sockets if os.name == "posix" else None),
            timeout=timeout,
            record_timing=False,
            allow_errors=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    # How a cell's prints are split into messages depends on timing; merged,
    # the stored notebook is the same on every run.
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    return nb, time.perf_counter() - start


def _run_all(paths, *, timeout: int, jobs: int, overrides=None, cores=None, log=print):
    """Run :func:`_run` over ``paths`` on ``jobs`` cores; yield (path, notebook, seconds) as each ends.

    ``cores(path)`` is how many cores that notebook's kernel keeps busy (1
    when not given, at most ``jobs``). A notebook starts only when that many
    cores are free, in the order they wait (:func:`_fitting`), so that the
    kernels running at once never ask for more cores than ``jobs``. Every
    kernel's results are pinned (seeds and threads), whatever runs beside it.
    The notebooks wait from the last of ``paths`` to the first: the later
    chapters run the larger experiments, so the short early ones fill the
    cores at the end instead of one long chapter running beside an idle core.
    """
    import concurrent.futures
    import multiprocessing

    jobs = max(1, jobs)
    need = {Path(p): min(jobs, max(1, cores(Path(p)) if cores else 1)) for p in paths}
    for path in need:
        log(f"executing {path} ...")
    waiting = list(reversed(need))
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        running = {}
        while waiting or running:
            free = jobs - sum(need[path] for path in running.values())
            for path in _fitting(waiting, need, free):
                running[pool.submit(_run, path, timeout, overrides)] = path
                waiting.remove(path)
            done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                path = running.pop(future)
                nb, seconds = future.result()
                yield path, nb, seconds


def _fitting(waiting, need, free: int) -> list:
    """The waiting items to start now: in order, as long as each fits in the cores still free.

    None overtakes one that does not fit yet, so a notebook that needs every
    core waits only for those running, never for all that follow it.
    """
    chosen = []
    for item in waiting:
        if need[item] > free:
            break
        chosen.append(item)
        free -= need[item]
    return chosen


#: lossbook's modules that train networks in NumPy, whose matrix products keep every
#: OpenBLAS thread busy. TensorFlow's small steps keep about one core busy however many
#: threads it is given.
NUMPY_TRAINERS = ("robust", "distillation", "embedding")
_IMPORTS = re.compile(r"^\s*(?:from\s+lossbook\s+import\s+([^\n#]+)|import\s+lossbook\.(\w+))", re.MULTILINE)


def busy_cores(path, threads: int) -> int:
    """How many cores a chapter's kernel keeps busy when each library is given ``threads`` threads.

    A chapter that imports one of :data:`NUMPY_TRAINERS` takes ``threads``
    cores; any other takes one.
    """
    nb = read(path)
    source = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    imported = set()
    for names, module in _IMPORTS.findall(source):
        imported.update(re.findall(r"\w+", names) if names else [module])
    return threads if imported & set(NUMPY_TRAINERS) else 1


def _default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def execute(paths, *, timeout: int = 900, jobs: int | None = None, out=None, log=print) -> dict[str, float]:
    """Execute notebooks top to bottom in fresh kernels and store their outputs.

    The kernel runs the Python of this environment with :data:`lossbook._setup.ENVIRONMENT`
    set, exactly as the test suite runs it. Each notebook is written back in
    place, or into the folder ``out`` when given. Returns the wall time in
    seconds of each notebook, keyed by the path written.
    """
    import nbformat

    times = {}
    jobs = _default_jobs() if jobs is None else jobs
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
    for path, nb, elapsed in _run_all(paths, timeout=timeout, jobs=jobs, log=log):
        path = path if out is None else Path(out) / path.name
        times[str(path)] = elapsed
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nbformat.write(nb, path)
        log(f"  {path}: {elapsed:.1f} s")
    return times


# ---------------------------------------------------------------------------
# Portability: the same outputs under another instruction set or thread count
# ---------------------------------------------------------------------------

#: Output data nbval does not compare (its defaults): figures and widget ids.
_NOT_COMPARED = ("image/png", "image/jpeg", "application/vnd.jupyter.widget-view+json")


def _comparable(outputs) -> list[tuple[str, str]]:
    """What nbval compares of a cell's outputs, after merging streams as nbval does."""
    import copy

    from nbval.plugin import coalesce_streams

    found = []
    for output in coalesce_streams(copy.deepcopy(list(outputs))):
        kind = output.get("output_type")
        if kind == "stream":
            found.append((f"stream:{output.get('name')}", output.get("text", "")))
        elif kind == "error":
            found.append(("error", f"{output.get('ename')}: {output.get('evalue')}"))
        for key, value in sorted(output.get("data", {}).items()):
            if key not in _NOT_COMPARED:
                found.append((key, value if isinstance(value, str) else str(value)))
    return found


def differing_cells(stored, executed) -> list[tuple[int, str, str]]:
    """Cells whose compared outputs differ: (index, first stored line, first executed line)."""
    differing = []
    for index, (old, new) in enumerate(zip(stored.cells, executed.cells)):
        if old.cell_type != "code":
            continue
        a, b = _comparable(old.outputs), _comparable(new.outputs)
        if a != b:
            a_lines = "".join(t for _, t in a).splitlines()
            b_lines = "".join(t for _, t in b).splitlines()
            pairs = [(x, y) for x, y in zip(a_lines, b_lines) if x != y]
            first = pairs[0] if pairs else ("\n".join(a_lines[-1:]), "\n".join(b_lines[-1:]))
            differing.append((index, first[0].strip(), first[1].strip()))
    return differing


def perturbations() -> dict[str, tuple[str, dict[str, str]]]:
    """The settings ``make portability`` runs the chapters under: name -> (description, variables).

    ``lower-isa`` stands for an older CPU: every kernel choice one level below
    the pinned AVX2 (oneDNN at AVX, NumPy without its AVX2 loops, OpenBLAS's
    Sandy Bridge kernels); ``sse41`` goes one level further down, to a CPU
    without AVX, and stands for any CPU whose arithmetic differs in the last
    bits (ARM included). ``threads`` gives TensorFlow, OpenBLAS and OpenMP
    two threads. It is empty on a CPU that is not x86-64, where there is
    no pin to move.
    """
    import platform

    settings = {
        "threads": (
            "two threads for TensorFlow, OpenBLAS and OpenMP",
            {
                "LOSSBOOK_THREADS": "2",
                "OMP_NUM_THREADS": "2",
                "OPENBLAS_NUM_THREADS": "2",
                "MKL_NUM_THREADS": "2",
            },
        )
    }
    if platform.machine().lower() in {"x86_64", "amd64"}:
        lower = {"ONEDNN_MAX_CPU_ISA": "AVX", "OPENBLAS_CORETYPE": "Sandybridge"}
        names = numpy_targets(from_avx2=True)
        if names:
            lower["NPY_DISABLE_CPU_FEATURES"] = " ".join(names)
        oldest = {**lower, "ONEDNN_MAX_CPU_ISA": "SSE41", "OPENBLAS_CORETYPE": "Nehalem"}
        settings = {
            "lower-isa": ("kernels one level below the AVX2 pin: oneDNN AVX, NumPy and OpenBLAS without AVX2", lower),
            "sse41": ("kernels of a CPU without AVX: oneDNN SSE4.1, OpenBLAS Nehalem, NumPy baseline", oldest),
            **settings,
            "lower-isa+threads": (
                "another machine: the kernels one level below the AVX2 pin, with two threads",
                {**lower, **settings["threads"][1]},
            ),
        }
    return settings


def default_settings() -> list[str]:
    """What ``make portability`` runs without ``--setting``: both perturbations at once where both exist.

    A cell that depends on the instruction set or on the thread count changes
    when both move; ``--setting lower-isa`` and ``--setting threads`` then say which.
    """
    return ["lower-isa+threads"] if "lower-isa+threads" in perturbations() else ["threads"]


def portability(paths, *, settings=None, timeout: int = 900, jobs: int | None = None, log=print) -> int:
    """Re-execute ``paths`` under each perturbed setting and list every cell whose output changes.

    By default the setting of :func:`default_settings` runs (``--setting``
    chooses others; ``sse41`` still changes the last digit of several figures
    in the multi-class chapter).
    Under a setting that gives each kernel several threads, a chapter that
    trains in NumPy takes that many cores (:func:`busy_cores`), so that the
    kernels never share a core.
    Nothing is written. A changed cell tagged :data:`SENSITIVE_TAG` is listed
    with its reason; any other changed cell is a failure. Returns the number of
    unexplained cells.
    """
    paths = [Path(p) for p in paths]
    available = perturbations()
    chosen = default_settings() if not settings else list(settings)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; choose from {sorted(available)}")
    reasons = sensitive_cells(paths)
    jobs = _default_jobs() if jobs is None else jobs
    unexplained = 0
    for name in chosen:
        description, overrides = available[name]
        log(f"setting {name!r}: {description}")
        log("  " + " ".join(f"{k}={v}" for k, v in sorted(overrides.items())))
        found = {}
        # A kernel whose NumPy trainers are given several threads keeps as many cores busy
        # (OpenBLAS threads spin): it runs only beside kernels that leave it those cores.
        threads = int(overrides.get("LOSSBOOK_THREADS", "1"))
        runs = _run_all(
            paths,
            timeout=timeout,
            jobs=jobs,
            overrides=overrides,
            cores=lambda p, threads=threads: busy_cores(p, threads),
            log=lambda _: None,
        )
        for path, nb, seconds in runs:
            found[path] = differing_cells(read(path), nb)
            log(f"  {path}: {len(found[path])} cell(s) differ ({seconds:.0f} s)")
        for path in paths:
            for index, old, new in found[path]:
                reason = reasons.get((str(path), index))
                if reason is None:
                    unexplained += 1
                    log(f"  DIFFERS   {path} cell {index}: stored {old!r}, now {new!r}")
                else:
                    log(f"  explained {path} cell {index}: {reason}")
    log(f"{unexplained} unexplained cell(s); {len(reasons)} cell(s) tagged {SENSITIVE_TAG!r} in the book")
    return unexplained


def _lab(root: Path) -> int:
    environment()
    os.execvp(sys.executable, [sys.executable, "-m", "jupyterlab", str(root / "chapters")])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.book", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="re-execute chapters and store their outputs")
    run.add_argument("notebooks", nargs="*", help="default: every notebook in chapters/")
    run.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: up to 2)")
    run.add_argument("--out", default=None, help="write the executed notebooks into this folder, not in place")
    port = sub.add_parser("portability", help="re-execute chapters under perturbed CPU settings and list changed cells")
    port.add_argument("notebooks", nargs="*", help="default: every notebook in chapters/")
    port.add_argument(
        "--setting", action="append", help="a setting of perturbations(), repeatable (default: lower-isa and threads at once)"
    )
    port.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: up to 2)")
    sub.add_parser("check", help="list problems with stored outputs and the table of contents")
    sub.add_parser("lab", help="open the chapters in JupyterLab with the course's environment")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if args.command == "execute":
        paths = args.notebooks or chapter_notebooks(root)
        times = execute(paths, jobs=args.jobs, out=args.out)
        log_total = sum(times.values())
        print(f"executed {len(times)} notebooks in {log_total:.1f} s")
        problems = [p for path in sorted(times) for p in notebook_problems(path)]
    elif args.command == "lab":
        return _lab(root)
    elif args.command == "portability":
        paths = args.notebooks or chapter_notebooks(root)
        return 1 if portability(paths, settings=args.setting, jobs=args.jobs) else 0
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
