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
- for an exercise that forbids modules (:mod:`coursetools.grading_policy`),
  those packages are not in its file system: a stub whose import raises
  ``ImportError`` is mounted over each of them (lossbook, scikit-learn,
  Keras, TensorFlow ...), so nothing the student's code does in its own
  interpreter can bring them back;
- sandboxes that run at the same time share nothing: each takes a *slot*,
  with a uid of its own when the grader runs as root (no capabilities,
  ``no_new_privs``, ``setpriv``), so that a per-user limit such as
  ``RLIMIT_NPROC`` is per sandbox, and, where the grader may create control
  groups (root, cgroup v1 or v2), a control group of its own with a process
  limit (``pids.max``), a memory limit for the whole sandbox and an equal CPU
  share. Run by an ordinary user, the sandbox runs as that user inside a user
  namespace, with a process limit above the processes the user already has;
- limits on memory, file size and open files, and a wall-clock limit per
  exercise, enforced from outside: the grader kills the whole process group
  when an exercise overruns and starts a fresh sandbox for the exercises after
  it; an optional deadline bounds all the exercises of one :func:`run`;
- a seccomp filter (libseccomp, through ``pyseccomp``) that refuses the
  system calls a graded answer never needs: tracing other processes, new
  namespaces, mounts, kernel keyrings, BPF, performance counters,
  ``io_uring``, module loading and the like (:data:`DENIED_CALLS`);
- bubblewrap's options reach it through a file descriptor (``--args``), so
  the sandbox's ``/proc/1/cmdline`` shows no path of the grader's machine.

Run by an ordinary user where no control group can be made, sandboxes would
share one user's process count, so only one runs at a time (:func:`isolation`
says which case holds).

Only JSON lines come back (:mod:`coursetools.harness`), never pickles.
"""

from __future__ import annotations

import atexit
import dataclasses
import importlib.machinery
import importlib.util
import itertools
import json
import os
import queue
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["available", "why_unavailable", "isolation", "command", "spawn", "run", "Result", "EXERCISE_LIMIT", "DENIED_CALLS"]

HARNESS = Path(__file__).with_name("harness.py")
#: Seconds one exercise (its answer cell and all its cases) may take in the sandbox.
EXERCISE_LIMIT = 20.0
#: Seconds one call of the student's function may take before the harness stops it.
CALL_LIMIT = 10.0
#: Most bytes read back from one sandbox.
OUTPUT_BYTES = 20_000_000
#: Size of each of the sandbox's two writable folders (tmpfs, in memory).
TMPFS_BYTES = 256 << 20
#: Most processes of one sandbox (its uid's RLIMIT_NPROC, and its control group's pids.max): no fork bomb.
PROCESSES = 256
#: Most memory of one sandbox, all its processes and its tmpfs folders together (where control groups are usable).
MEMORY_BYTES = 3 << 30
#: Sandboxes that can run at the same time; each has its own uid and control group.
SLOTS = 32
#: The uids of the slots when the grader runs as root start here; no account owns them. Each grader process
#: takes a block of :data:`SLOTS` of them chosen by its pid, so that two graders running at once do not share.
UID_BASE = 1_790_000
#: System calls the sandbox refuses with EPERM: none of them is needed to run a graded answer, and each is a
#: step of a known way out of a container or into another process. ``clone3`` answers ENOSYS instead, so that
#: the C library falls back to ``clone``, whose namespace flags the filter can read.
DENIED_CALLS = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "open_by_handle_at",
    "name_to_handle_at",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "fanotify_init",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "syslog",
    "iopl",
    "ioperm",
    "vhangup",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "personality",
)
#: ``clone`` flags that make a namespace: refused, as ``unshare`` is.
_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)
_CGROUP_ROOT = Path("/sys/fs/cgroup")
_CGROUP_NAME = "lossbook-grading"


def why_unavailable() -> str:
    """An empty string when the sandbox can run here, else why not and how to fix it."""
    if not sys.platform.startswith("linux"):
        return "the grading sandbox needs Linux (bubblewrap)"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed: `apt-get install bubblewrap` (Debian, Ubuntu)"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing: `apt-get install util-linux`"
    import lossbook

    try:
        seccomp_program()
    except RuntimeError as exc:
        return str(exc)
    probe = spawn(
        Path(lossbook.__file__).parent,
        [sys.executable, "-I", "-c", "import numpy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limits,
    )
    _, stderr = probe.communicate()
    if probe.returncode != 0:
        return f"bubblewrap cannot start a sandbox here: {stderr.strip()[:300]}"
    return ""


_SECCOMP: bytes | None = None


def seccomp_program() -> bytes:
    """The sandbox's seccomp filter as a classic BPF program (what bubblewrap's ``--seccomp`` loads).

    Raises ``RuntimeError`` naming the fix when libseccomp or its ``pyseccomp``
    binding is missing.
    """
    global _SECCOMP
    if _SECCOMP is None:
        import errno

        try:
            import pyseccomp
        except (ImportError, OSError) as exc:  # the binding, or libseccomp.so.2 under it
            raise RuntimeError(
                f"the grading sandbox's system-call filter needs libseccomp and pyseccomp ({exc}): "
                "`apt-get install libseccomp2` and `pip install pyseccomp`"
            ) from None
        rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
        for name in DENIED_CALLS:
            try:
                rules.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
            except (RuntimeError, ValueError, OSError):  # a call this architecture does not have
                pass
        rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
        for flag in _NAMESPACE_FLAGS:
            rules.add_rule(pyseccomp.ERRNO(errno.EPERM), "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
        with tempfile.TemporaryFile() as fh:
            rules.export_bpf(fh)
            fh.seek(0)
            _SECCOMP = fh.read()
    return _SECCOMP


def _memfd(name: str, data: bytes) -> int:
    """A file descriptor to read ``data`` from, at offset 0, that a child process inherits."""
    fd = os.memfd_create(name, 0)  # not close-on-exec: bubblewrap reads it
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def spawn(lossbook: Path, argv: list[str], *, uid: int | None = None, banned=(), **popen) -> subprocess.Popen:
    """Start ``argv`` in the sandbox (as :func:`command` describes), with the seccomp filter.

    bubblewrap reads its options and the filter from file descriptors, so the
    sandbox's ``/proc/1/cmdline`` holds nothing but ``argv``'s words.
    ``popen``: keyword arguments of :class:`subprocess.Popen`.
    """
    options, tail = _parts(lossbook, argv, uid=uid, banned=banned)
    fds = [_memfd("bwrap-args", b"".join(o.encode() + b"\0" for o in options)), _memfd("bwrap-seccomp", seccomp_program())]
    try:
        return subprocess.Popen(["bwrap", "--args", str(fds[0]), "--seccomp", str(fds[1]), *tail], pass_fds=fds, **popen)
    finally:
        for fd in fds:
            os.close(fd)


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


def _stub(name: str) -> Path:
    """A package named ``name`` whose import fails: what a forbidden package is replaced with."""
    global _STUBS
    with _LOCK:
        if _STUBS is None:
            _STUBS = Path(tempfile.mkdtemp(prefix="lossbook-stubs-"))
            _STUBS.chmod(0o755)
            atexit.register(shutil.rmtree, _STUBS, True)
        folder = _STUBS / name
        if not folder.exists():
            folder.mkdir(mode=0o755)
            text = f"raise ImportError('importing `{name}` is not allowed in this exercise: implement it yourself')\n"
            (folder / "__init__.py").write_text(text, encoding="utf-8")
            (folder / "__init__.py").chmod(0o644)
    return folder


_STUBS: Path | None = None
_LOCK = threading.Lock()


def _locations(name: str) -> list[Path]:
    """Where the sandbox's Python would find the top-level package ``name`` (not imported here).

    The search runs over ``sys.path`` as a fresh interpreter would, not through
    ``sys.modules``: a package the grader has imported may have widened its
    ``__path__`` with folders inside itself (TensorFlow does), and bubblewrap
    cannot mount over a folder inside one it has already replaced.
    """
    try:
        spec = importlib.machinery.PathFinder.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        found = sorted({Path(p).resolve() for p in spec.submodule_search_locations if Path(p).is_dir()})
        return [p for p in found if not any(other != p and other in p.parents for other in found)]
    return [Path(spec.origin).resolve()] if spec.origin and Path(spec.origin).is_file() else []


def command(lossbook: Path, argv: list[str], *, uid: int | None = None, banned=()) -> list[str]:
    """The bubblewrap command that runs ``argv`` with ``lossbook`` mounted as the course's lossbook.

    ``uid``: the uid the command runs as when the grader is root (default
    ``nobody``). ``banned``: top-level packages that are replaced by a stub
    whose import fails (lossbook included, when named). The grader starts
    sandboxes with :func:`spawn`, which adds the seccomp filter and hides
    these options from the sandbox.
    """
    options, tail = _parts(lossbook, argv, uid=uid, banned=banned)
    return ["bwrap", *options, *tail]


def _parts(lossbook: Path, argv: list[str], *, uid: int | None = None, banned=()) -> tuple[list[str], list[str]]:
    """bubblewrap's options, and the command it runs (``setpriv`` first when the grader is root)."""
    import lossbook as _real

    venv = Path(sys.prefix)
    python_home = Path(os.path.realpath(sys.executable)).parents[1]
    package = Path(_real.__file__).resolve().parent
    args = [
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    # The writable folders first: a course cloned under /tmp keeps its environment, bound on top of the tmpfs.
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(TMPFS_BYTES),
        "--tmpfs",
        "/tmp",
        "--perms",
        "0777",
        "--size",
        str(TMPFS_BYTES),
        "--tmpfs",
        "/work-space",
    ]
    mounts = [(python_home, python_home), (venv, venv)]
    # The student build covers every lossbook the sandbox's Python could import: the one this process
    # imported (an editable install's source folder) and any installed copy in site-packages.
    installed = {package} | {
        (Path(entry) / "lossbook").resolve()
        for entry in sys.path
        if entry and (Path(entry) / "lossbook" / "__init__.py").is_file()
    }
    banned = {name for name in banned if "." not in name}  # whole packages; a submodule stays in-process
    build = _stub("lossbook") if "lossbook" in banned else Path(lossbook).resolve()
    mounts += [(build, target) for target in sorted(installed)]
    for name in sorted(banned - {"lossbook"}):
        for place in _locations(name):
            if place.is_dir():
                mounts.append((_stub(name), place))
            else:
                mounts.append((_stub(name) / "__init__.py", place))
    mounts.append((HARNESS, Path("/harness.py")))
    for source, target in mounts:
        args += _dirs(target) + ["--ro-bind", str(source), str(target)]
    args += [
        "--chdir",
        "/work-space",
        "--clearenv",
        "--setenv",
        "HOME",
        "/tmp",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "OMP_NUM_THREADS",
        "1",
        "--setenv",
        "OPENBLAS_NUM_THREADS",
        "1",
        "--setenv",
        "MPLBACKEND",
        "Agg",
        "--setenv",
        "TF_CPP_MIN_LOG_LEVEL",
        "3",
        "--setenv",
        "PYTHONDONTWRITEBYTECODE",
        "1",
    ]
    if os.geteuid() == 0:
        uid = 65534 if uid is None else int(uid)
        return args, [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
            *argv,
        ]
    return ["--unshare-user", *args], list(argv)


def _user_processes() -> int:
    """How many processes the grader's user has now (RLIMIT_NPROC counts them all)."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


def _limits(processes: int | None = None, cgroups=()):
    """Resource limits for the sandbox's processes (run in the child before bubblewrap starts).

    ``processes``: the RLIMIT_NPROC to set (root: counted for the slot's own uid
    alone). ``cgroups``: the slot's ``cgroup.procs`` files to join.
    """
    gib = 1 << 30
    for procs in cgroups:
        with open(procs, "w") as fh:
            fh.write(str(os.getpid()))
    resource.setrlimit(resource.RLIMIT_AS, (6 * gib, 6 * gib))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if processes is not None:
        soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        limit = processes if hard == resource.RLIM_INFINITY else min(processes, hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


class _Slot:
    """What one sandbox running at a time owns: a uid (as root) and control groups (where they can be made)."""

    def __init__(self, number: int):
        self.number = number
        self.uid = UID_BASE + (os.getpid() % 4096) * SLOTS + number if os.geteuid() == 0 else None
        self.cgroups = _make_cgroups(f"{os.getpid()}-{number}")

    def separate(self) -> bool:
        """True when this slot's processes are counted apart from every other slot's (own uid or control group)."""
        return self.uid is not None or bool(self.cgroups)

    def procs(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.cgroups]

    def limits(self):
        """The preexec function of this slot's sandbox."""
        if self.uid is not None:
            processes = PROCESSES
        else:  # an ordinary user: RLIMIT_NPROC counts every process of that user
            processes = _user_processes() + PROCESSES
        procs = self.procs()
        return lambda: _limits(processes, procs)

    def clear(self) -> None:
        """Kill whatever is left in the slot's control groups (nothing, normally) and wait until they are empty."""
        for _ in range(100):
            pids = set()
            for procs in self.procs():
                try:
                    pids |= {int(p) for p in Path(procs).read_text().split()}
                except (OSError, ValueError):
                    pass
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)


def _make_cgroups(name: str) -> list[Path]:
    """The slot's control groups (pids, memory, cpu), or [] where this process may not make them."""
    if os.geteuid() != 0 or not _CGROUP_ROOT.is_dir():
        return []
    made = []
    try:
        if (_CGROUP_ROOT / "cgroup.controllers").exists():  # cgroup v2
            parent = _CGROUP_ROOT / _CGROUP_NAME
            parent.mkdir(exist_ok=True)
            wanted = {"pids", "memory", "cpu"} & set((_CGROUP_ROOT / "cgroup.controllers").read_text().split())
            for folder in (_CGROUP_ROOT, parent):
                (folder / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in sorted(wanted)))
            folder = parent / name
            folder.mkdir(exist_ok=True)
            (folder / "pids.max").write_text(str(PROCESSES))
            (folder / "memory.max").write_text(str(MEMORY_BYTES))
            if (folder / "memory.swap.max").exists():
                (folder / "memory.swap.max").write_text("0")
            made.append(folder)
        else:  # cgroup v1: one hierarchy per controller
            for controller, settings in (
                ("pids", {"pids.max": PROCESSES}),
                ("memory", {"memory.limit_in_bytes": MEMORY_BYTES}),
                ("cpu", {"cpu.shares": 1024}),
            ):
                if not (_CGROUP_ROOT / controller).is_dir():
                    if controller == "cpu":
                        continue
                    raise OSError(f"no {controller} controller")
                folder = _CGROUP_ROOT / controller / _CGROUP_NAME / name
                folder.mkdir(parents=True, exist_ok=True)
                for setting, value in settings.items():
                    (folder / setting).write_text(str(value))
                made.append(folder)
    except OSError:
        for folder in made:
            _remove_cgroup(folder)
        return []
    atexit.register(lambda: [_remove_cgroup(folder) for folder in made])
    return made


def _remove_cgroup(folder: Path) -> None:
    try:
        folder.rmdir()  # a control group without processes goes with rmdir
    except OSError:
        pass


_SLOTS: queue.Queue | None = None


def _slots() -> queue.Queue:
    """The free slots, oldest freed first (a uid is reused as late as possible).

    Without a uid or a control group of its own, a sandbox would share the
    grader's process count with every other sandbox (a fork bomb in one would
    starve the rest), so then there is one slot: sandboxes run one at a time.
    """
    global _SLOTS
    with _LOCK:
        if _SLOTS is None:
            _SLOTS = queue.Queue()
            first = _Slot(0)
            _SLOTS.put(first)
            if first.separate():
                for number in range(1, SLOTS):
                    _SLOTS.put(_Slot(number))
    return _SLOTS


def isolation() -> str:
    """How sandboxes running at the same time are kept apart on this machine, in words."""
    slot = _slots().get()
    try:
        parts = [
            "a uid per sandbox" if slot.uid is not None else "the grader's uid in a user namespace",
            f"RLIMIT_NPROC {PROCESSES}",
        ]
        if slot.cgroups:
            parts.append(f"control groups with pids.max {PROCESSES} and {MEMORY_BYTES >> 20} MiB of memory")
        if not slot.separate():
            parts.append("one sandbox at a time (no uid or control group of its own can be made for a sandbox here)")
        try:
            seccomp_program()
            parts.append(f"a seccomp filter refusing {len(DENIED_CALLS)} system calls")
        except RuntimeError:
            parts.append("no seccomp filter (libseccomp or pyseccomp is missing)")
        return ", ".join(parts)
    finally:
        _slots().put(slot)


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
    budget: bool = False  # not run, or stopped, because the deadline of the whole run had passed
    flooded: bool = False  # the sandbox sent more than OUTPUT_BYTES
    done: bool = False


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _start(lossbook: Path, job: dict, slot: _Slot, banned=()) -> subprocess.Popen:
    argv = [sys.executable, "-I", "-X", "utf8", "/harness.py"]
    process = spawn(
        lossbook,
        argv,
        uid=slot.uid,
        banned=banned,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=slot.limits(),
    )
    try:
        process.stdin.write(json.dumps(job).encode())
        process.stdin.close()
    except BrokenPipeError:
        pass
    return process


def run(
    lossbook: Path,
    exercises: list[dict],
    *,
    exercise_limit: float = EXERCISE_LIMIT,
    call_limit: float = CALL_LIMIT,
    deadline: float | None = None,
) -> dict[str, Result]:
    """Run a notebook's answers in the sandbox; return what came back, per exercise label.

    Parameters
    ----------
    lossbook : path
        The student build of lossbook to mount.
    exercises : list of dict
        Per exercise: ``label``, ``function``, ``code`` (the answer cell),
        ``prelude``, ``forbidden``, ``forbidden_names`` and ``cases`` (the
        arguments, encoded for :func:`coursetools.harness.decode`).
        Consecutive exercises with the same ``forbidden`` modules share a
        sandbox, in which those packages are replaced by stubs.
    exercise_limit : float
        Wall-clock seconds per exercise, answer cell and every case included.
    call_limit : float
        Seconds per call, enforced inside the sandbox (a softer, faster limit).
    deadline : float, optional
        A :func:`time.monotonic` time after which nothing more runs: the
        exercise running then is stopped and the rest are marked ``budget``.
    """
    results = {e["label"]: Result(e["label"]) for e in exercises}
    slots = _slots()
    slot = slots.get()
    try:
        for banned, group in itertools.groupby(exercises, key=lambda e: tuple(e.get("forbidden", ()))):
            _run_group(lossbook, list(group), results, slot, banned, exercise_limit, call_limit, deadline)
    finally:
        slot.clear()
        slots.put(slot)
    return results


def _run_group(lossbook, exercises, results, slot, banned, exercise_limit, call_limit, deadline) -> None:
    """Run exercises that share their banned packages; a fresh sandbox takes over after one that overran."""
    pending = list(exercises)
    while pending:
        if deadline is not None and time.monotonic() >= deadline:
            for job in pending:
                results[job["label"]].budget = results[job["label"]].done = True
            return
        process = _start(lossbook, {"time_limit": call_limit, "exercises": pending}, slot, banned)
        try:
            current, finished, flooded = _read_reports(process, [e["label"] for e in pending], results, exercise_limit, deadline)
        finally:
            _kill(process)
            slot.clear()
        if finished and current >= len(pending):
            return
        if current < len(pending):  # the exercise being run overran (or the sandbox died during it)
            _mark_overrun(results[pending[current]["label"]], finished, flooded, deadline)
            current += 1
        pending = pending[current:]


def _read_reports(
    process: subprocess.Popen, labels: list[str], results, exercise_limit: float, deadline: float | None
) -> tuple[int, bool, bool]:
    """Read a sandbox's reports until every exercise is done, its output ends, it floods, or time runs out.

    Each exercise has ``exercise_limit`` seconds from the end of the one before.
    Returns the number of exercises done, whether the output ended (or all
    were done), and whether it sent more than :data:`OUTPUT_BYTES`.
    """
    buffer, total = bytearray(), 0
    current = 0
    limit = time.monotonic() + exercise_limit
    while True:
        wait = (limit if deadline is None else min(limit, deadline)) - time.monotonic()
        if wait <= 0:
            return current, False, False
        ready, _, _ = select.select([process.stdout], [], [], wait)
        if not ready:
            continue
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            return current, True, False
        total += len(chunk)
        if total > OUTPUT_BYTES:
            return current, False, True
        buffer += chunk  # amortised: a long line without a newline costs no copying
        if b"\n" not in chunk:
            continue
        *lines, rest = buffer.split(b"\n")
        buffer = bytearray(rest)
        current, limit = _apply_reports(lines, labels, results, current, limit, exercise_limit)
        if current >= len(labels):
            return current, True, False


def _apply_reports(lines, labels: list[str], results, current: int, limit: float, exercise_limit: float) -> tuple[int, float]:
    """Apply complete report lines to the exercise being run; return the exercises done and the current time limit."""
    for line in lines:
        event = _parse(line)
        # Only the exercise being run may report: a line about another one is forged.
        if current >= len(labels) or not event or event.get("label") != labels[current]:
            continue
        result = results[labels[current]]
        _apply(result, event)
        if result.done:
            current += 1
            limit = time.monotonic() + exercise_limit
    return current, limit


def _mark_overrun(stuck: Result, finished: bool, flooded: bool, deadline: float | None) -> None:
    """Mark the exercise that was running when its sandbox stopped: flooded, out of budget, stopped or ended."""
    if flooded:
        stuck.flooded = True
    elif not finished and deadline is not None and time.monotonic() >= deadline:
        stuck.budget = True
    else:
        stuck.stopped = not finished
    if finished and not stuck.error:
        stuck.error = "the sandbox ended during this exercise (os._exit, a crash, or too much memory?)"
    stuck.done = True


#: Deepest nesting, longest string and largest integer of a value the grader takes back from the sandbox.
VALUE_DEPTH = 20
VALUE_CHARS = 10_000
VALUE_INT = 2**63


def _problem(value, depth: int = 0) -> str:
    """Why the grader cannot take ``value`` (decoded JSON from the sandbox) as it is, or "" if it can."""
    if depth > VALUE_DEPTH:
        return "a value nested too deeply"
    if value is None or isinstance(value, (bool, float)):
        return ""
    if isinstance(value, int):
        return "" if -VALUE_INT < value < VALUE_INT else "an integer too large to compare"
    if isinstance(value, str):
        return "" if len(value) <= VALUE_CHARS else "a string too long to compare"
    if isinstance(value, list):
        return next((p for p in (_problem(v, depth + 1) for v in value) if p), "")
    if isinstance(value, dict):
        if any(not isinstance(k, str) or len(k) > 100 for k in value):
            return "an unreadable value"
        return next((p for p in (_problem(v, depth + 1) for v in value.values()) if p), "")
    return "an unreadable value"


def _parse(line) -> dict | None:
    try:
        event = json.loads(bytes(line))
    except Exception:  # noqa: BLE001 - any line that is not JSON the grader can read (too deep, too big) is dropped
        return None
    return event if isinstance(event, dict) else None


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _apply(result: Result, event: dict) -> None:
    kind = event.get("event")
    if kind == "defined":
        result.defined = True
    elif kind == "unanswered":
        result.unanswered = True
    elif kind == "error":
        result.error = _text(event.get("error", ""), 300)
        result.line = _text(event.get("line", ""), 200)
        result.done = True
    elif kind == "case":
        index = event.get("index")
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < 10_000 and index not in result.cases:
            case = {}
            if "value" in event:
                problem = _problem(event["value"])
                case["value"] = {"__object__": "value", "repr": problem} if problem else event["value"]
            for key, limit in (("error", 300), ("line", 200)):
                if key in event:
                    case[key] = _text(event[key], limit)
            if "timeout" in event:
                case["timeout"] = event["timeout"] is True
            result.cases[index] = case
    elif kind == "done":
        result.output = _text(event.get("output", ""), 1000)
        count = event.get("output_chars", 0)
        result.output_chars = count if isinstance(count, int) and not isinstance(count, bool) else 0
        result.done = True
