"""Running the learner's function: a time limit, and its errors, warnings and stderr captured.

:func:`call` is what :mod:`lossbook.exercises.feedback` runs for each case.
Whatever the learner's code does (raise, warn, write to stderr, loop forever)
comes back in an :class:`_Outcome`, never as an exception of the check.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import os
import signal
import threading
import traceback
import warnings
from typing import Any

__all__ = ["TIME_LIMIT"]

#: Seconds one call of the learner's function may take before it counts as an endless loop.
TIME_LIMIT = 10.0


class _TimeUp(BaseException):
    """Raised inside the learner's code when it runs past the time limit.

    A BaseException, so that a bare ``except Exception`` in the learner's code
    does not swallow it.
    """


@contextlib.contextmanager
def _time_limit(seconds):
    usable = seconds is not None and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(signum, frame):
        raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclasses.dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None
    line: str = ""
    timed_out: bool = False
    warnings: tuple = ()
    stderr: str = ""


def _learner_line(exc: BaseException) -> str:
    """The last line of the learner's own code in the traceback, if any."""
    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != here]
    for frame in reversed(frames):
        if "site-packages" not in frame.filename and frame.line:
            return frame.line.strip()
    return ""


def call(function, args, time_limit) -> _Outcome:
    outcome = _Outcome()
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        try:
            with _time_limit(time_limit):
                outcome.value = function(*copy.deepcopy(args))
        except _TimeUp:
            outcome.timed_out = True
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any error in the learner's code is feedback
            outcome.error = exc
            outcome.line = _learner_line(exc)
    outcome.warnings = tuple(dict.fromkeys(f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught))
    outcome.stderr = stderr.getvalue()
    return outcome
