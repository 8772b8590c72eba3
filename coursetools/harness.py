"""The program that runs inside the grading sandbox: the student's answers, called on the cases.

It is run as a script (``python -I harness.py``) by :mod:`coursetools.sandbox`,
never imported by the grader with a student's code. It reads one job, a JSON
object, from its standard input::

    {"time_limit": 10,
     "exercises": [{"label": ..., "function": ..., "code": ..., "prelude": ...,
                    "forbidden": [...], "cases": [[arg, ...], ...]}]}

and writes one JSON line per finished step to the file descriptor that was its
standard output when it started: ``{"label", "event": "defined" | "case" |
"unanswered" | "error" | "done", ...}``. The student's own output goes
elsewhere: ``print`` and ``sys.stderr`` are captured per exercise (their first
lines come back as a note), and file descriptors 1 and 2 point at
``/dev/null``.

Nothing here is trusted by the grader. Every line is data (numbers, strings,
lists), decoded and checked by the grader, which compares it with references
it computes itself; a student who writes forged lines only chooses the values
their function "returned", which is what is graded anyway.

Values cross the boundary in the tagged JSON of :func:`encode`: NumPy arrays
as ``{"__ndarray__": nested list, "dtype": str}``, tuples as
``{"__tuple__": [...]}``, anything else that is not JSON as
``{"__object__": type name, "repr": first 200 characters}``.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import io
import json
import os
import signal
import sys
import traceback

#: Most characters of the student's captured output sent back per exercise.
OUTPUT_CHARS = 400
#: Largest array (elements) sent back; a bigger one comes back as its shape.
ARRAY_ELEMENTS = 100_000


def encode(value, depth=0):
    """A JSON-able form of a value the student's function returned."""
    import numpy as np

    if depth > 20:
        return {"__object__": "nesting", "repr": "nested more than 20 levels"}
    if value is None or type(value) is bool:
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, int) and not isinstance(value, bool) or isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value) if type(value) is str else "".join(iter(str.__str__(value)))
    if isinstance(value, np.ndarray):
        return _encode_array(np.asarray(value))
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    try:
        text = repr(value)[:200]
    except BaseException:  # noqa: BLE001 - a repr that fails is the student's problem
        text = "(no repr)"
    return {"__object__": type(value).__name__, "repr": text}


def _encode_array(array):
    """An array of numbers as tagged JSON; a too large or non-numeric one as its description."""
    if array.size > ARRAY_ELEMENTS:
        return {"__object__": "ndarray", "repr": f"array of shape {array.shape}, too large to compare"}
    if array.dtype.kind in "biuf":
        return {"__ndarray__": array.tolist(), "dtype": array.dtype.name, "shape": list(array.shape)}
    return {"__object__": "ndarray", "repr": repr(array)[:200]}


def decode(value):
    """Arguments for the student's function, from the grader's tagged JSON."""
    import numpy as np

    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=value["dtype"]).reshape(value["shape"])
        if "__tuple__" in value:
            return tuple(decode(v) for v in value["__tuple__"])
        return {k: decode(v) for k, v in value.items()}
    return value


class _TimeUp(BaseException):
    pass


def _alarm(signum, frame):
    # Re-armed by the interval: a loop that swallows one _TimeUp meets the next.
    raise _TimeUp()


class _Forbidden:
    """What a forbidden module's name is bound to: any use says why."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attribute):
        raise ImportError(f"`{self._name}` may not be used in this exercise: implement it yourself")

    def __call__(self, *args, **kwargs):
        raise ImportError(f"`{self._name}` may not be used in this exercise: implement it yourself")


#: The modules the exercise being run may not import.
_BANNED: list = []


def _guard():
    """Make importing a module of :data:`_BANNED` (or a submodule) fail."""
    real_import = builtins.__import__

    def guarded(name, globals=None, locals=None, fromlist=(), level=0):
        full = name
        if level and globals:
            package = globals.get("__package__") or ""
            full = f"{package}.{name}" if name else package
        candidates = [full] + [f"{full}.{item}" for item in (fromlist or ()) if isinstance(item, str)]
        for candidate in candidates:
            for banned in _BANNED:
                if candidate == banned or candidate.startswith(banned + "."):
                    raise ImportError(f"importing `{banned}` is not allowed in this exercise: implement it yourself")
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = guarded
    sys.meta_path.insert(0, _Blocker())


class _Blocker:
    """A module finder that refuses :data:`_BANNED` modules (``importlib.import_module`` meets it too)."""

    def find_spec(self, name, path=None, target=None):
        for banned in _BANNED:
            if name == banned or name.startswith(banned + "."):
                raise ImportError(f"importing `{banned}` is not allowed in this exercise: implement it yourself")
        return None


def _line(exc):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<answer")]
    return frames[-1].line.strip() if frames and frames[-1].line else ""


def _error(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _define(exercise, limit, captured, send):
    """Run an exercise's prelude and answer cell; return the function it defines, or None after sending why not."""
    label = exercise["label"]
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            signal.setitimer(signal.ITIMER_REAL, limit, 0.5)
            try:
                _BANNED[:] = exercise.get("forbidden", ())
                exec(compile(exercise.get("prelude", ""), "<prelude>", "exec"), namespace)  # noqa: S102
                for name in exercise.get("forbidden_names", ()):
                    namespace[name] = _Forbidden(name)
                exec(compile(exercise["code"], f"<answer of {label}>", "exec"), namespace)  # noqa: S102
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimeUp:
        send(label=label, event="error", error=f"the answer cell did not finish within {limit:g} s")
        return None
    except BaseException as exc:  # noqa: BLE001 - any failure of the answer cell is reported
        send(label=label, event="error", error=_error(exc), line=_line(exc))
        return None
    function = namespace.get(exercise["function"])
    if not callable(function):
        send(label=label, event="error", error=f"the answer cell does not define `{exercise['function']}`")
        return None
    return function


def _run_cases(exercise, function, limit, captured, send):
    """Call the student's function on every case and send each value back, until a time-out or NotImplementedError."""
    label = exercise["label"]
    for index, args in enumerate(exercise["cases"]):
        try:
            arguments = copy.deepcopy(decode(args))
            with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                signal.setitimer(signal.ITIMER_REAL, limit, 0.5)
                try:
                    value = function(*arguments)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        except _TimeUp:
            send(label=label, event="case", index=index, timeout=True)
            break
        except NotImplementedError:
            send(label=label, event="unanswered")
            break
        except BaseException as exc:  # noqa: BLE001 - the student's errors are feedback
            send(label=label, event="case", index=index, error=_error(exc), line=_line(exc))
            continue
        try:
            encoded = encode(value)
        except BaseException as exc:  # noqa: BLE001
            encoded = {"__object__": "unencodable", "repr": _error(exc)}
        send(label=label, event="case", index=index, value=encoded)


def main():
    import numpy  # noqa: F401 - imported before any student code can break what it needs

    job = json.loads(sys.stdin.read())
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    limit = float(job.get("time_limit", 10))
    signal.signal(signal.SIGALRM, _alarm)
    _guard()

    def send(**fields):
        try:
            out.write(json.dumps(fields, allow_nan=True) + "\n")
        except (TypeError, ValueError):
            out.write(json.dumps({"label": fields.get("label"), "event": "error", "error": "unencodable value"}) + "\n")
        out.flush()

    for exercise in job["exercises"]:
        captured = io.StringIO()
        function = _define(exercise, limit, captured, send)
        if function is None:  # why was sent already
            continue
        send(label=exercise["label"], event="defined")
        _run_cases(exercise, function, limit, captured, send)
        text = captured.getvalue()
        send(label=exercise["label"], event="done", output=text[:OUTPUT_CHARS], output_chars=len(text))


if __name__ == "__main__":
    main()
