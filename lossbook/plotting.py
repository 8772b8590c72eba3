"""Plots the chapters share.

Every function draws on the Axes it is given (or a new one), returns that
Axes, and never calls ``plt.show()``.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from lossbook._validation import as_number_array, check_scalar, check_targets

__all__ = [
    "compare_curves",
    "decision_boundary",
    "learning_curves",
    "loss_contours",
    "loss_curve",
    "confidence_diagram",
    "paired_intervals",
    "rate_curve",
    "reliability_diagram",
]

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


# ---------------------------------------------------------------------------
# Training runs
# ---------------------------------------------------------------------------

_HALF_STYLE = {"train": ("-", "training half"), "test": ("--", "test half")}
_METRIC_LABELS = {"loss": "loss", "accuracy": "accuracy (fraction correct)", "mse": "mean squared error"}


def _metric_label(name):
    return _METRIC_LABELS.get(name, name.replace("_", " "))


def _check_history(history):
    if not all(hasattr(history, a) for a in ("epochs", "train", "test")):
        raise ValueError(
            f"`history` must be a lossbook.training.History; got {type(history).__name__}. "
            "It is what lossbook.training.fit returns."
        )


def learning_curves(history, *, metric: str | None = None, axes=None, title: str | None = None):
    """Training and test curves per epoch: the loss on the left, a metric on the right.

    Parameters
    ----------
    history : lossbook.training.History
        What :func:`lossbook.training.fit` returns.
    metric : str, optional
        Key of the figure drawn beside the loss, e.g. ``"accuracy"`` or
        ``"mse"``. By default the history's first metric; with no metric
        only the loss is drawn.
    axes : sequence of matplotlib.axes.Axes, optional
        One Axes per panel (two, or one without a metric); a new figure when
        omitted.
    title : str, optional
        Title over the whole figure; state the finding.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The loss panel first.

    Raises
    ------
    ValueError
        If ``metric`` is not in the history, or ``axes`` has the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import plotting
    >>> from lossbook.training import History
    >>> h = History(np.arange(1, 4), {"loss": [0.9, 0.5, 0.4], "accuracy": [0.6, 0.7, 0.8]},
    ...             {"loss": [1.0, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.7]})
    >>> loss_ax, metric_ax = plotting.learning_curves(h)
    >>> metric_ax.get_ylabel(), [line.get_label() for line in loss_ax.get_lines()]
    ('accuracy (fraction correct)', ['training half', 'test half'])
    """
    _check_history(history)
    if metric is None:
        metrics = [k for k in history.train if k != "loss"]
        keys = ["loss"] + metrics[:1]
    else:
        if metric not in history.train or metric not in history.test:
            raise ValueError(
                f"`metric` {metric!r} is not in the history; it holds {sorted(history.train)}. "
                "Keras names a metric as it was given, e.g. metrics=['mse'] gives 'mse'."
            )
        keys = ["loss", metric] if metric != "loss" else ["loss"]
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(keys), figsize=(5.0 * len(keys), 3.8), squeeze=False)
        axes = axes[0]
    axes = np.atleast_1d(np.asarray(axes, dtype=object))
    if axes.size != len(keys):
        raise ValueError(f"`axes` must hold {len(keys)} Axes, one for each of {keys}; got {axes.size}.")
    for ax, key in zip(axes, keys):
        for half, (style, label) in _HALF_STYLE.items():
            ax.plot(history.epochs, getattr(history, half)[key], style, lw=1.5, label=label)
        ax.set(xlabel="epoch", ylabel=_metric_label(key))
    axes[0].legend()
    if title is not None:
        axes[0].figure.suptitle(title)
    return axes


def compare_curves(
    histories: Mapping[str, object],
    *,
    metric: str = "loss",
    half: str = "test",
    ax=None,
    ylabel: str | None = None,
):
    """One curve per run: the same figure of several histories, on one Axes.

    Parameters
    ----------
    histories : mapping of str to lossbook.training.History
        Legend label (e.g. the loss's name) to history.
    metric : str, default "loss"
        The figure to draw. Losses of different kinds are on different
        scales; compare a shared metric such as ``"accuracy"`` or ``"mse"``.
    half : {"train", "test"}, default "test"
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    ylabel : str, optional
        Axis label; the metric's name by default.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``histories`` is empty, ``half`` is unknown, or a history lacks
        ``metric``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import plotting
    >>> from lossbook.training import History
    >>> runs = {name: History(np.arange(1, 3), {"mse": [1.0, v]}, {"mse": [1.1, v]})
    ...         for name, v in [("MSE", 0.1), ("MAE", 0.2)]}
    >>> ax = plotting.compare_curves(runs, metric="mse")
    >>> [line.get_label() for line in ax.get_lines()]
    ['MSE', 'MAE']
    """
    if not histories:
        raise ValueError("`histories` is empty; pass a dict such as {'mse': history_a, 'mae': history_b}.")
    if half not in _HALF_STYLE:
        raise ValueError(f"`half` must be 'train' or 'test'; got {half!r}.")
    for label, history in histories.items():
        _check_history(history)
        if metric not in getattr(history, half):
            raise ValueError(f"history {label!r} has no {metric!r}; it holds {sorted(getattr(history, half))}.")
    ax = _axes(ax)
    for label, history in histories.items():
        ax.plot(history.epochs, getattr(history, half)[metric], lw=1.5, label=label)
    ax.set(xlabel="epoch", ylabel=ylabel if ylabel is not None else f"{_metric_label(metric)}, {_HALF_STYLE[half][1]}")
    ax.legend()
    return ax


# ---------------------------------------------------------------------------
# Decision boundaries
# ---------------------------------------------------------------------------


def _is_keras_model(obj):
    return hasattr(obj, "layers") and hasattr(obj, "predict")


def _point_classes(y, n):
    """Class index per point (0 / 1 for -1 / +1 labels) and a legend name per index."""
    y = as_number_array(y, "y")
    rows = y.ndim == 2 and y.shape[1] > 1
    count = y.shape[0] if rows else y.size
    if count != n:
        raise ValueError(f"`y` has {count} {'rows' if rows else 'labels'} for {n} points; pass one label per row of `x`.")
    signed = not rows and -1 in y and set(np.unique(y).tolist()) <= {-1, 1}
    kind = "one-hot" if rows else "signed" if signed else "index"
    check_targets(kind, y, caller="decision_boundary", columns="the model's output")
    if rows:
        return y.argmax(axis=1), None
    if signed:
        return (y.reshape(-1) > 0).astype(int), ["y = -1", "y = +1"]
    return y.reshape(-1).astype(int), None


def _predicted_classes(model_or_predict_fn, grid, threshold):
    """The outputs on the grid points, shape (m, units), and the class each point falls in."""
    if _is_keras_model(model_or_predict_fn):
        from lossbook import models, registry
        from lossbook._keras import load as load_keras

        keras = load_keras()
        out = keras.ops.convert_to_numpy(model_or_predict_fn(grid, training=False))
        if threshold is None:
            rule = registry.decision_rule("binary", models.output_activation(model_or_predict_fn), "binary")
            threshold = rule.threshold if rule.decision == "threshold" else 0.0
    elif callable(model_or_predict_fn):
        out = np.asarray(model_or_predict_fn(grid))
    else:
        raise ValueError(f"`model_or_predict_fn` must be a Keras model or a function; got {type(model_or_predict_fn).__name__}.")
    out = np.asarray(out, dtype=float).reshape(grid.shape[0], -1)
    if out.shape[1] > 1:
        return out, out.argmax(axis=1)
    if threshold is None:
        raise ValueError(
            "a function with one output needs `threshold`: 0.5 if it returns probabilities, "
            "0.0 if it returns scores such as tanh outputs."
        )
    return out, (out[:, 0] > threshold).astype(int)


def decision_boundary(
    model_or_predict_fn,
    x,
    y,
    *,
    ax=None,
    resolution: int = 200,
    threshold: float | None = None,
    padding: float = 0.1,
    xlabel: str = "$x_1$",
    ylabel: str = "$x_2$",
):
    """Colour the plane by predicted class and draw the labelled points on top.

    Works for the three classifier heads: one sigmoid unit (class 1 where the
    output exceeds 0.5), one tanh or linear unit (class 1 where it exceeds 0)
    and K softmax units (the largest output wins).

    Parameters
    ----------
    model_or_predict_fn : keras.Model or callable
        A model with two inputs, or a function mapping an array of shape
        (m, 2) to outputs of shape (m,), (m, 1) or (m, K).
    x : array_like, shape (n, 2)
        Points to draw; the grid extends beyond them by ``padding``.
    y : array_like
        Their labels: 0 / 1, -1 / +1, class indices, or one-hot (or probability) rows.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    resolution : int, default 200
        Grid points along each axis.
    threshold : float, optional
        Cut-off of a single output unit. For a Keras model it defaults to 0.5
        after a sigmoid and 0 otherwise; for a function with one output it
        must be given (0.5 for probabilities, 0 for scores).
    padding : float, default 0.1
        Margin around the points, as a fraction of their range.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``x`` is not of shape (n, 2), the labels do not match it, a setting
        is out of range, or a function with one output gets no ``threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import plotting
    >>> x = np.array([[-1.0, 0.0], [1.0, 0.0], [0.5, 1.0]])
    >>> ax = plotting.decision_boundary(lambda g: g[:, 0], x, [-1, 1, 1], threshold=0.0, resolution=20)
    >>> ax.get_legend_handles_labels()[1]
    ['y = -1', 'y = +1']
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"`x` must have shape (n, 2), two input features; got shape {x.shape}.")
    check_scalar(resolution, "resolution", kind="integer", low=2, example=200)
    check_scalar(padding, "padding", low=0, example=0.1)
    if threshold is not None:
        check_scalar(threshold, "threshold", example=0.5)
    labels, names = _point_classes(y, x.shape[0])

    span = x.max(axis=0) - x.min(axis=0)
    lo, hi = x.min(axis=0) - padding * span, x.max(axis=0) + padding * span
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)

    out, predicted = _predicted_classes(model_or_predict_fn, grid, threshold)

    n_classes = max(out.shape[1], int(labels.max()) + 1, 2)
    if names is None:
        names = [f"class {k}" for k in range(n_classes)]
    import matplotlib.pyplot as plt

    colours = plt.get_cmap("tab10").colors[:n_classes]
    ax = _axes(ax)
    predicted = predicted.reshape(gx.shape)
    for k in range(n_classes):
        # One filled contour per class, of its indicator: a single contour of the
        # class index would interpolate between classes 0 and 2 through 1 and paint
        # a sliver of class 1 along their border.
        inside = (predicted == k).astype(float)
        if inside.any():
            ax.contourf(gx, gy, inside, levels=[0.5, 1.5], colors=[colours[k]], alpha=0.25)
    for k in range(n_classes):
        mask = labels == k
        if mask.any():
            ax.scatter(x[mask, 0], x[mask, 1], s=12, color=colours[k], edgecolors="black", linewidths=0.3, label=names[k])
    ax.legend(loc="upper right", fontsize="small")
    ax.set(xlabel=xlabel, ylabel=ylabel, xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    return ax


def rate_curve(rates, validation, test, *, label: str, selected=None, ax=None, color=None):
    """One loss's metric against the learning rate: validation (solid) and test (dashed).

    Parameters
    ----------
    rates : array_like, shape (k,)
        Learning rates, drawn on a logarithmic axis.
    validation, test : array_like, shape (k,)
        The metric at each rate (e.g. the mean over seeds); NaN where the
        runs diverged leaves a gap.
    label : str
        The loss's name, for the legend.
    selected : float, optional
        The rate chosen on validation, marked with a ring on the validation curve.
    ax : matplotlib.axes.Axes, optional
    color : optional
        Colour of both curves.

    Returns
    -------
    matplotlib.axes.Axes
    """
    rates = np.asarray(rates, dtype=float)
    validation, test = np.asarray(validation, dtype=float), np.asarray(test, dtype=float)
    if rates.ndim != 1 or validation.shape != rates.shape or test.shape != rates.shape or np.any(rates <= 0):
        raise ValueError(
            f"`rates`, `validation` and `test` must be 1-D arrays of the same length with positive rates; got "
            f"shapes {rates.shape}, {validation.shape}, {test.shape}."
        )
    ax = _axes(ax)
    (line,) = ax.plot(rates, validation, "o-", color=color, label=f"{label}, validation")
    ax.plot(rates, test, "s--", color=line.get_color(), alpha=0.7, ms=4, label=f"{label}, test")
    if selected is not None:
        k = int(np.argmin(np.abs(np.log(rates) - np.log(float(selected)))))
        ax.plot(rates[k], validation[k], "o", ms=13, mfc="none", mec=line.get_color(), mew=2)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    return ax


def paired_intervals(verdicts, *, ax=None, offset: float = 0.0, label: str | None = None, color=None, margins=True):
    """Mean paired advantage of every claim with its simultaneous interval, one row per claim.

    Parameters
    ----------
    verdicts : sequence of lossbook.stats.Verdict
        From :func:`lossbook.stats.judge`; each row shows ``mean`` with the
        interval ``[low, high]``, labelled with ``claim`` and ``verdict``.
    ax : matplotlib.axes.Axes, optional
    offset : float, default 0.0
        Vertical shift of the rows, to draw a second set of verdicts beside the first.
    label : str, optional
        Legend entry of this set.
    color : optional
    margins : bool, default True
        Shade each claim's equivalence margin around 0.

    Returns
    -------
    matplotlib.axes.Axes
    """
    verdicts = list(verdicts)
    ax = _axes(ax)
    rows = np.arange(len(verdicts))[::-1] + offset
    means = np.array([v.mean for v in verdicts])
    errors = np.array([[v.mean - v.low for v in verdicts], [v.high - v.mean for v in verdicts]])
    ax.errorbar(means, rows, xerr=errors, fmt="o", capsize=3, color=color, label=label)
    if margins:
        for row, v in zip(rows, verdicts):
            ax.fill_betweenx([row - 0.4, row + 0.4], -v.margin, v.margin, color="grey", alpha=0.15, lw=0)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(rows, [v.claim for v in verdicts])
    return ax


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------


def _diagonal(ax):
    """The reference line of a calibration plot: predicted equals observed."""
    ax.plot([0, 1], [0, 1], ls="--", color="0.5", lw=1, label="perfectly calibrated")


def _unit_square(ax, xlabel, ylabel):
    """Label a calibration plot, square and from 0 to 1 on both axes, with its legend; return the Axes."""
    ax.set(xlabel=xlabel, ylabel=ylabel, xlim=(0, 1), ylim=(0, 1), aspect="equal")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def reliability_diagram(y_true, probabilities, *, n_bins: int = 10, ax=None):
    r"""Draw how often class 1 occurs against the probability a model predicted for it.

    The predictions are grouped into ``n_bins`` equal-width bins of the
    predicted probability; each bin with at least one example gives one point:
    the mean predicted probability in the bin against the fraction of its
    examples that are of class 1, as computed by
    ``sklearn.calibration.calibration_curve``. A calibrated model's points lie
    on the diagonal, which is drawn for reference.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Labels 0 and 1.
    probabilities : array_like of shape (n,), or mapping of str to such arrays
        Predicted probabilities of class 1. A mapping draws one labelled curve
        per model, in its order.
    n_bins : int, default 10
        Number of equal-width bins between 0 and 1.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the labels are not 0 / 1, if a model's probabilities do not have the
        labels' shape or leave [0, 1], or if ``n_bins`` is not an integer >= 2.

    Examples
    --------
    >>> ax = reliability_diagram([0, 0, 1, 1], {"model": [0.1, 0.3, 0.6, 0.9]}, n_bins=2)
    >>> [line.get_label() for line in ax.get_lines()]
    ['perfectly calibrated', 'model']
    >>> ax.get_lines()[1].get_ydata().tolist()
    [0.0, 1.0]
    """
    from sklearn.calibration import calibration_curve

    check_scalar(n_bins, "n_bins", kind="integer", low=2, example=10)
    labels = np.asarray(check_targets("binary", y_true, caller="reliability_diagram", name="y_true"))
    if labels.ndim != 1 or not np.all((labels == 0) | (labels == 1)):
        raise ValueError(
            f"`y_true` must be a 1-D array of labels 0 and 1; got shape {labels.shape} with values "
            f"{np.unique(labels)[:5].tolist()}. Pass hard labels (soft labels have no observed frequency)."
        )
    if not isinstance(probabilities, Mapping):
        probabilities = {"model": probabilities}
    ax = _axes(ax)
    _diagonal(ax)
    for name, p in probabilities.items():
        p = np.asarray(as_number_array(p, f"probabilities[{name!r}]"), dtype=float)
        if p.shape != labels.shape:
            raise ValueError(
                f"the probabilities of {name!r} have shape {p.shape} but `y_true` has shape {labels.shape}; "
                "pass one probability of class 1 per example."
            )
        if not (np.all(np.isfinite(p)) and p.min() >= 0 and p.max() <= 1):
            raise ValueError(
                f"the probabilities of {name!r} must lie in [0, 1]; got min={np.nanmin(p):.3g}, max={np.nanmax(p):.3g}. "
                "Did you pass logits? Apply the sigmoid first."
            )
        observed, predicted = calibration_curve(labels, p, n_bins=n_bins)
        ax.plot(predicted, observed, "o-", ms=5, label=name)
    return _unit_square(ax, "predicted probability of class 1", "observed frequency of class 1")


def confidence_diagram(labels, probabilities, *, n_bins: int = 10, ax=None):
    r"""Draw a multi-class model's accuracy against its confidence, bin by bin.

    The cases are grouped by the probability of their predicted class (the
    *confidence*) into ``n_bins`` equal-width bins
    (:func:`lossbook.calibration.calibration_bins`); each bin with at least
    one case gives one point, the bin's mean confidence against the share of
    its cases classified correctly. A calibrated model's points lie on the
    diagonal, which is drawn for reference; points below it are
    overconfident, points above it underconfident. The legend gives each
    model's expected calibration error with the same bins.

    Parameters
    ----------
    labels : array_like of int, shape (n,)
        The true classes.
    probabilities : array_like of shape (n, K), or mapping of str to such arrays
        Predicted class probabilities. A mapping draws one labelled curve per
        model, in its order.
    n_bins : int, default 10
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        As :func:`lossbook.calibration.calibration_bins`, naming the model.

    Examples
    --------
    >>> ax = confidence_diagram([0, 1, 1], {"model": [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]]}, n_bins=2)
    >>> [line.get_label() for line in ax.get_lines()]
    ['perfectly calibrated', 'model (ECE 0.100)']
    >>> ax.get_lines()[1].get_ydata().round(3).tolist()
    [0.667]
    """
    from lossbook import calibration

    if not isinstance(probabilities, Mapping):
        probabilities = {"model": probabilities}
    ax = _axes(ax)
    _diagonal(ax)
    for name, p in probabilities.items():
        try:
            bins = calibration.calibration_bins(p, labels, n_bins=n_bins)
        except ValueError as err:
            raise ValueError(f"model {name!r}: {err}") from None
        used = bins.count > 0
        ax.plot(bins.confidence[used], bins.accuracy[used], "o-", ms=5, label=f"{name} (ECE {bins.ece:.3f})")
    return _unit_square(ax, "confidence (probability of the predicted class)", "accuracy in the bin")
