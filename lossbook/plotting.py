"""Plots the chapters share.

Every function draws on the Axes it is given (or a new one), returns that
Axes, and never calls ``plt.show()``.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

__all__ = ["loss_curve", "loss_contours"]

_PATH_COLOURS = ("white", "tab:orange", "tab:red", "tab:cyan")


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _check_range(name, bounds):
    lo, hi = (float(b) for b in bounds)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"`{name}` must be (low, high) with low < high; got {bounds!r}.")
    return lo, hi


def loss_curve(
    loss: Callable[[float], float],
    xlim: tuple[float, float],
    *,
    path: Sequence[float] | None = None,
    ax=None,
    label: str | None = None,
    xlabel: str = "parameter $w$",
    ylabel: str = "loss $L(w)$",
    num: int = 400,
):
    """Plot a loss of one parameter, optionally with a descent path on it.

    Parameters
    ----------
    loss : callable
        Maps a parameter value to the loss.
    xlim : (float, float)
        Range of the parameter to draw.
    path : sequence of float, optional
        Parameter values visited by an optimiser, drawn as connected dots.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    label, xlabel, ylabel : str, optional
        Legend entry of the path and axis labels.
    num : int, default 400
        Number of points on the curve.

    Returns
    -------
    matplotlib.axes.Axes
    """
    lo, hi = _check_range("xlim", xlim)
    ax = _axes(ax)
    w = np.linspace(lo, hi, num)
    ax.plot(w, [loss(v) for v in w], color="0.3", lw=1.5)
    if path is not None:
        path = np.asarray(path, dtype=float).ravel()
        ax.plot(path, [loss(v) for v in path], "o-", ms=4, lw=1, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    return ax


def loss_contours(
    loss: Callable[[np.ndarray], float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    *,
    paths: Sequence[np.ndarray] = (),
    labels: Sequence[str] | None = None,
    ax=None,
    levels: int = 25,
    num: int = 121,
    xlabel: str = "$w_1$",
    ylabel: str = "$w_2$",
):
    """Draw the contours of a two-parameter loss and descent paths across them.

    Parameters
    ----------
    loss : callable
        Maps a parameter vector of length 2 to the loss.
    xlim, ylim : (float, float)
        Ranges of the first and second parameter.
    paths : sequence of arrays of shape (steps, 2), optional
        Paths of an optimiser, each drawn as a line with its start marked.
    labels : sequence of str, optional
        One legend entry per path.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    levels : int, default 25
        Number of contour levels.
    num : int, default 121
        Grid points along each axis.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes
    """
    x_lo, x_hi = _check_range("xlim", xlim)
    y_lo, y_hi = _check_range("ylim", ylim)
    if labels is not None and len(labels) != len(paths):
        raise ValueError(f"got {len(labels)} labels for {len(paths)} paths; pass one label per path.")
    ax = _axes(ax)
    gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, num), np.linspace(y_lo, y_hi, num))
    z = np.array([loss(np.array([a, b])) for a, b in zip(gx.ravel(), gy.ravel())]).reshape(gx.shape)
    cs = ax.contourf(gx, gy, z, levels=levels, cmap="viridis")
    ax.figure.colorbar(cs, ax=ax, label="loss")
    for i, path in enumerate(paths):
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path {i} has shape {path.shape}; expected (steps, 2).")
        label = labels[i] if labels is not None else None
        color = _PATH_COLOURS[i % len(_PATH_COLOURS)]
        (line,) = ax.plot(path[:, 0], path[:, 1], ".-", color=color, ms=3, lw=1, label=label)
        ax.plot(*path[0], "o", color=line.get_color(), ms=7, mec="black")
        ax.plot(*path[-1], "*", color=line.get_color(), ms=12, mec="black")
    if labels is not None:
        ax.legend(loc="upper left")
    ax.set(xlabel=xlabel, ylabel=ylabel, xlim=(x_lo, x_hi), ylim=(y_lo, y_hi))
    return ax
