"""The grading sandbox: a student's answers run in a throwaway, unprivileged, offline process tree.

:func:`run` starts :mod:`coursetools.harness` inside bubblewrap
(https://github.com/containers/bubblewrap, Debian's ``bubblewrap``) with:

- new PID, network, IPC and UTS namespaces: no network, no other process in
  sight, and when bubblewrap's init ends, everything inside it ends;
- a file system made of read-only binds of ``/usr``, the Python installation,
  the course's virtual environment and the *student build* of lossbook (no
  reference solutions, :mod:`coursetools.student_package`), mounted where the
  editable install looks for lossbook; ``/tmp`` and the working folder are
  empty tmpfs folders of 256 MiB, the only writable places. The course folder, the chapters, the
  gradebook, the submissions and the grades file are not there at all;
- when the grader runs as root, the harness runs as ``nobody`` (uid 65534)
  with no capabilities and ``no_new_privs`` (``setpriv``); otherwise as the
  grader's own user inside a user namespace;
- limits on memory, file size and open files, and a wall-clock limit per
  exercise, enforced from outside: the grader kills the whole process group
  when an exercise overruns and starts a fresh sandbox for the exercises after
  it.

Only JSON lines come back (:mod:`coursetools.harness`), never pickles.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["available", "why_unavailable", "command", "run", "Result", "EXERCISE_LIMIT"]

HARNESS = Path(__file__).with_name("harness.py")
#: Seconds one exercise (its answer cell and all its cases) may take in the sandbox.
EXERCISE_LIMIT = 20.0
#: Seconds one call of the student's function may take before the harness stops it.
CALL_LIMIT = 10.0
#: Most bytes read back from one sandbox.
OUTPUT_BYTES = 20_000_000
#: Size of each of the sandbox's two writable folders (tmpfs, in memory).
TMPFS_BYTES = 256 << 20
#: Most processes of the sandbox user (``nobody``) when the grader runs as root: no fork bomb.
PROCESSES = 256
_NOBODY = 65534


def why_unavailable() -> str:
    """An empty string when the sandbox can run here, else why not and how to fix it."""
    if not sys.platform.startswith("linux"):
        return "the grading sandbox needs Linux (bubblewrap)"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed: `apt-get install bubblewrap` (Debian, Ubuntu)"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing: `apt-get install util-linux`"
    import lossbook

    probe = subprocess.run(command(Path(lossbook.__file__).parent, [sys.executable, "-I", "-c", "import numpy"]),
                           capture_output=True, text=True, preexec_fn=_limits)
    if probe.returncode != 0:
        return f"bubblewrap cannot start a sandbox here: {probe.stderr.strip()[:300]}"
    return ""


def available() -> bool:
    """True when :func:`run` can sandbox student code on this machine."""
    return why_unavailable() == ""


def _dirs(path: Path) -> list[str]:
    """bwrap arguments that create every ancestor of ``path`` world-readable (bwrap makes them 0700)."""
    args = []
    for parent in reversed(path.parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def command(lossbook: Path, argv: list[str]) -> list[str]:
    """The bubblewrap command that runs ``argv`` with ``lossbook`` mounted as the course's lossbook."""
    import lossbook as _real

    venv = Path(sys.prefix)
    python_home = Path(os.path.realpath(sys.executable)).parents[1]
    package = Path(_real.__file__).resolve().parent
    args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    # The writable folders first: a course cloned under /tmp keeps its environment, bound on top of the tmpfs.
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp",
             "--perms", "0777", "--size", str(TMPFS_BYTES), "--tmpfs", "/work-space"]
    mounts = [(python_home, python_home), (venv, venv)]
    # The student build covers every lossbook the sandbox's Python could import: the one this process
    # imported (an editable install's source folder) and any installed copy in site-packages.
    installed = {package} | {
        (Path(entry) / "lossbook").resolve() for entry in sys.path
        if entry and (Path(entry) / "lossbook" / "__init__.py").is_file()
    }
    mounts += [(Path(lossbook).resolve(), target) for target in sorted(installed)]
    mounts.append((HARNESS, Path("/harness.py")))
    for source, target in mounts:
        args += _dirs(target) + ["--ro-bind", str(source), str(target)]
    args += ["--chdir", "/work-space",
             "--clearenv", "--setenv", "HOME", "/tmp", "--setenv", "PATH", "/usr/bin:/bin",
             "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "OPENBLAS_NUM_THREADS", "1",
             "--setenv", "MPLBACKEND", "Agg", "--setenv", "TF_CPP_MIN_LOG_LEVEL", "3",
             "--setenv", "PYTHONDONTWRITEBYTECODE", "1"]
    if os.geteuid() == 0:
        args += ["setpriv", f"--reuid={_NOBODY}", f"--regid={_NOBODY}", "--clear-groups", "--no-new-privs",
                 "--inh-caps=-all", "--bounding-set=-all", "--"]
    else:
        args[1:1] = ["--unshare-user"]
    return args + argv


def _limits():
    """Resource limits for the sandbox's processes (run in the child before bubblewrap starts)."""
    gib = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (6 * gib, 6 * gib))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.geteuid() == 0:  # counted per user: only nobody's processes, the sandboxes' own
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))


@dataclasses.dataclass
class Result:
    """What came back from the sandbox for one exercise."""

    label: str
    defined: bool = False
    unanswered: bool = False
    error: str = ""
    line: str = ""
    cases: dict = dataclasses.field(default_factory=dict)  # index -> {"value"} | {"error", "line"} | {"timeout"}
    output: str = ""
    output_chars: int = 0
    stopped: bool = False  # the grader stopped the sandbox: the exercise ran past its wall-clock limit
    done: bool = False


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _start(lossbook: Path, job: dict) -> subprocess.Popen:
    argv = [sys.executable, "-I", "-X", "utf8", "/harness.py"]
    process = subprocess.Popen(command(lossbook, argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_limits)
    try:
        process.stdin.write(json.dumps(job).encode())
        process.stdin.close()
    except BrokenPipeError:
        pass
    return process


def run(lossbook: Path, exercises: list[dict], *, exercise_limit: float = EXERCISE_LIMIT,
        call_limit: float = CALL_LIMIT) -> dict[str, Result]:
    """Run a notebook's answers in the sandbox; return what came back, per exercise label.

    Parameters
    ----------
    lossbook : path
        The student build of lossbook to mount.
    exercises : list of dict
        Per exercise: ``label``, ``function``, ``code`` (the answer cell),
        ``prelude``, ``forbidden``, ``forbidden_names`` and ``cases`` (the
        arguments, encoded for :func:`coursetools.harness.decode`).
    exercise_limit : float
        Wall-clock seconds per exercise, answer cell and every case included.
    call_limit : float
        Seconds per call, enforced inside the sandbox (a softer, faster limit).
    """
    results = {e["label"]: Result(e["label"]) for e in exercises}
    pending = list(exercises)
    while pending:
        job = {"time_limit": call_limit, "exercises": pending}
        process = _start(lossbook, job)
        buffer, total = b"", 0
        current = 0
        deadline = time.monotonic() + exercise_limit
        finished = False
        try:
            while True:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
                ready, _, _ = select.select([process.stdout], [], [], wait)
                if not ready:
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    finished = True
                    break
                total += len(chunk)
                if total > OUTPUT_BYTES:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    event = _parse(line)
                    label = event.get("label") if event else None
                    if label not in results or [e["label"] for e in pending].index(label) < current:
                        continue
                    _apply(results[label], event)
                    if results[label].done:
                        current = [e["label"] for e in pending].index(label) + 1
                        deadline = time.monotonic() + exercise_limit
                if current >= len(pending):
                    finished = True
                    break
        finally:
            _kill(process)
        if finished and current >= len(pending):
            break
        if current < len(pending):  # the exercise being run overran (or the sandbox died during it)
            stuck = results[pending[current]["label"]]
            stuck.stopped = not finished
            if finished and not stuck.error:
                stuck.error = "the sandbox ended during this exercise (os._exit, a crash, or too much memory?)"
            stuck.done = True
            current += 1
        pending = pending[current:]
    return results


def _parse(line: bytes) -> dict | None:
    try:
        event = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return event if isinstance(event, dict) else None


def _apply(result: Result, event: dict) -> None:
    kind = event.get("event")
    if kind == "defined":
        result.defined = True
    elif kind == "unanswered":
        result.unanswered = True
    elif kind == "error":
        result.error = str(event.get("error", ""))[:300]
        result.line = str(event.get("line", ""))[:200]
        result.done = True
    elif kind == "case":
        index = event.get("index")
        if isinstance(index, int) and not isinstance(index, bool) and index not in result.cases:
            result.cases[index] = {k: event[k] for k in ("value", "error", "line", "timeout") if k in event}
    elif kind == "done":
        result.output = str(event.get("output", ""))[:1000]
        count = event.get("output_chars", 0)
        result.output_chars = count if isinstance(count, int) else 0
        result.done = True
