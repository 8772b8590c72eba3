"""A progress bar for long runs of the course's tools (grading a class), on stderr, with the standard library only.

On a terminal the bar redraws one line::

    grading  [##########----------]  50/100 students  1:02 elapsed, ~1:02 left

Elsewhere (a log file, CI) it writes a plain line at every tenth of the way.
Nothing is shown for a run shorter than ``delay`` seconds, so short runs and
tests stay quiet.
"""

from __future__ import annotations

import sys
import threading
import time

__all__ = ["Progress"]


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Count ``total`` steps of a run; ``update()`` after each (from any thread), ``close()`` at the end.

    Parameters
    ----------
    total : int
        Steps in the run.
    unit : str
        What a step is, plural ("students").
    label : str
        The run's name, at the start of the line.
    stream : file, optional
        Where to draw (default: ``sys.stderr`` at the time of the call).
    delay : float
        Seconds before anything is drawn.
    width : int
        Characters of the bar.
    """

    def __init__(
        self,
        total: int,
        unit: str = "items",
        *,
        label: str = "grading",
        stream=None,
        delay: float = 2.0,
        width: int = 24,
        clock=time.monotonic,
    ):
        self.total, self.unit, self.label = max(int(total), 0), unit, label
        self.stream = sys.stderr if stream is None else stream
        self.delay, self.width, self._clock = delay, width, clock
        self.done = 0
        self.started = clock()
        self._lock = threading.Lock()
        self._tenths = 0
        self._drawn = False
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.tty = False

    def line(self) -> str:
        """The text of the bar as it stands."""
        elapsed = self._clock() - self.started
        share = self.done / self.total if self.total else 1.0
        filled = int(round(share * self.width))
        text = (
            f"{self.label}  [{'#' * filled}{'-' * (self.width - filled)}]  "
            f"{self.done}/{self.total} {self.unit}  {_clock(elapsed)} elapsed"
        )
        if 0 < self.done < self.total:
            text += f", ~{_clock(elapsed / self.done * (self.total - self.done))} left"
        return text

    def update(self, steps: int = 1) -> None:
        with self._lock:
            self.done = min(self.done + steps, self.total)
            if self._clock() - self.started < self.delay and self.done < self.total:
                return
            if self.tty:
                self.stream.write("\r" + self.line() + "\x1b[K")
                self.stream.flush()
                self._drawn = True
            else:
                tenths = self.done * 10 // self.total if self.total else 10
                if tenths > self._tenths and (self._drawn or self._clock() - self.started >= self.delay):
                    self._tenths = tenths
                    self.stream.write(self.line() + "\n")
                    self.stream.flush()
                    self._drawn = True

    def close(self) -> None:
        """End the bar's line (on a terminal, if anything was drawn)."""
        with self._lock:
            if self.tty and self._drawn:
                self.stream.write("\n")
                self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
