r"""Comparisons in which the data vary and the learning rate is chosen again on every dataset.

Chapter 11b's confirmatory design. A loss is compared with another over many
datasets drawn from the same problem (:func:`lossbook.data.resampled`), and
on every dataset each loss gets the learning rate that does best on *that
dataset's* validation rows: the rate is chosen inside the data arm (nested),
never carried over from another split.

- :func:`fit` trains every rate of a grid on every dataset in one
  :func:`lossbook.replicas.fit` call, scores each network on its validation
  rows and on its own test half, and chooses a rate per dataset
  (:func:`choose`);
- :func:`choose` is the selection rule alone: the best validation figure
  among the rates whose weights stayed finite, ties broken by the lower
  validation loss;
- :func:`crossed_components` splits the variance of a claim's advantage over
  a crossed design (datasets x seeds) into a dataset, a seed and a residual
  component, and :func:`pigeonhole` gives them intervals by resampling
  datasets and seeds independently;
- :func:`beats` is the chance that one run of A does better than one run of
  B, with an interval; :func:`seeds_needed` the seeds a paired test needs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lossbook import data as _data
from lossbook import registry as _registry
from lossbook import replicas as _replicas
from lossbook._validation import check_int as _check_int
from lossbook._validation import check_rate as _check_rate

__all__ = ["NestedRuns", "SCHEDULES", "beats", "choose", "crossed_components", "fit", "pigeonhole", "seeds_needed"]

#: Learning-rate schedules :func:`fit` knows: a constant rate, or a step decay that divides the
#: rate by 10 after half of the epochs and by 10 again after three quarters.
SCHEDULES = ("constant", "step")


@dataclasses.dataclass(frozen=True, repr=False)
class NestedRuns:
    """Every rate of a grid trained on every dataset, and the rate chosen on each.

    Attributes
    ----------
    loss, task : str
        The loss's Keras name and its task.
    rates : numpy.ndarray, shape (K,)
        The grid of learning rates.
    datasets, seeds : numpy.ndarray of int, shape (D,)
        The data seed (:func:`lossbook.data.resampled`) and the network seed
        (initial weights and batch order) of every run of a rate.
    validation, test, train : numpy.ndarray, shape (K, D)
        The metric (MSE or accuracy) of the final weights on the validation
        rows, on the dataset's own test half, and on the training rows.
    validation_loss : numpy.ndarray, shape (K, D)
        The loss on the validation rows, which breaks ties.
    finite : numpy.ndarray of bool, shape (K, D)
        Whether the network's final weights are all finite.
    outputs : numpy.ndarray, shape (K, D, n_test, outputs)
        The test half's logits, for scoring with another yardstick.
    chosen : numpy.ndarray of int, shape (D,)
        The index of the rate chosen on each dataset (:func:`choose`).
    """

    loss: str
    task: str
    rates: np.ndarray
    datasets: np.ndarray
    seeds: np.ndarray
    validation: np.ndarray
    validation_loss: np.ndarray
    test: np.ndarray
    train: np.ndarray
    finite: np.ndarray
    outputs: np.ndarray
    chosen: np.ndarray

    def __repr__(self):
        return (
            f"NestedRuns({self.loss}, {self.rates.size} rates x {self.datasets.size} datasets; "
            f"chosen rates {np.round(self.rates[self.chosen], 6).tolist()})"
        )

    def selected(self, figures=None) -> np.ndarray:
        """One value per dataset, at the rate chosen on it: of ``figures`` (K, D, ...) or of :attr:`test`."""
        figures = self.test if figures is None else np.asarray(figures)
        if figures.shape[:2] != self.test.shape:
            raise ValueError(
                f"`figures` must have one row per rate and one column per dataset, shape {self.test.shape} "
                f"(and more axes after); got {figures.shape}. Pass e.g. runs.train."
            )
        return figures[self.chosen, np.arange(self.chosen.size)]

    @property
    def selected_rate(self) -> np.ndarray:
        """The learning rate chosen on each dataset, shape (D,)."""
        return self.rates[self.chosen]


def choose(validation, finite, validation_loss=None, *, lower_is_better: bool) -> np.ndarray:
    """The rate chosen on every dataset from its own validation figures.

    Parameters
    ----------
    validation : array_like, shape (K, D)
        The validation figure of rate ``k`` on dataset ``j``.
    finite : array_like of bool, shape (K, D)
        Whether that network's weights stayed finite; a rate whose network
        diverged on a dataset is not eligible there.
    validation_loss : array_like, shape (K, D), optional
        Breaks ties in the figure (common for accuracy on 100 rows): the
        lower loss wins. Without it the smaller rate wins a tie.
    lower_is_better : bool
        True for an error such as the MSE, False for an accuracy.

    Returns
    -------
    numpy.ndarray of int, shape (D,)
        Index of the chosen rate per dataset.

    Raises
    ------
    ValueError
        If the shapes differ or no rate is eligible on some dataset.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import nested
    >>> accuracy = np.array([[0.80, 0.90], [0.85, 0.90]])  # 2 rates x 2 datasets
    >>> nested.choose(accuracy, np.ones((2, 2), bool), [[0.4, 0.3], [0.5, 0.2]], lower_is_better=False).tolist()
    [1, 1]
    """
    v = np.asarray(validation, dtype=float)
    ok = np.asarray(finite, dtype=bool)
    tie = np.zeros_like(v) if validation_loss is None else np.asarray(validation_loss, dtype=float)
    if v.ndim != 2 or ok.shape != v.shape or tie.shape != v.shape:
        raise ValueError(
            f"`validation`, `finite` and `validation_loss` must share one shape (rates, datasets); got "
            f"{v.shape}, {ok.shape} and {tie.shape}. Pass runs of every rate on every dataset."
        )
    ok = ok & np.isfinite(v) & np.isfinite(tie)
    if not np.all(ok.any(axis=0)):
        bad = int(np.flatnonzero(~ok.any(axis=0))[0])
        raise ValueError(f"on dataset {bad} every rate diverged, so no rate can be chosen; add smaller rates to the grid.")
    score = np.where(ok, -v if lower_is_better else v, -np.inf)
    best = score.max(axis=0)
    tie = np.where(ok & (score == best), tie, np.inf)
    return np.argmin(tie, axis=0)  # among the best, the lowest validation loss; then the smaller rate


def _step_stages(epochs):
    """Epochs and rate factors of the step schedule: half at the rate, a quarter at 1/10, the rest at 1/100."""
    first, second = epochs // 2, epochs // 4
    return [(first, 1.0), (second, 0.1), (epochs - first - second, 0.01)]


def fit(
    loss: str, datasets, rates, *, seeds=None, schedule: str = "constant", fraction: float = 0.2, dtype: str = "float64"
) -> NestedRuns:
    """Train a loss at every rate of a grid on every dataset, and choose a rate per dataset.

    Dataset ``j`` is ``data.resampled(task, datasets[j])``, in the loss's
    label format; ``fraction`` of its training rows become validation rows
    (:func:`lossbook.data.validation`, seed 0), the networks train on the
    rest with the task's canonical settings
    (:data:`lossbook.registry.EXPERIMENTS`), and the test half is scored
    once, after training; so are the validation rows (the networks are
    not scored on them after every epoch). All ``K x D`` networks train in one
    :func:`lossbook.replicas.fit` call (three with ``schedule="step"``, whose
    momentum restarts at each change of rate).

    Parameters
    ----------
    loss : str
        A loss of :data:`lossbook.registry.LOSSES` with a canonical task.
    datasets : sequence of int
        Data seeds, one per dataset (repeats allowed, for a crossed design).
    rates : sequence of float
        The grid of learning rates, the same on every dataset.
    seeds : sequence of int, optional
        Network seeds, one per dataset; by default the data seeds.
    schedule : {"constant", "step"}
        See :data:`SCHEDULES`.
    fraction : float, default 0.2
        Share of the training rows held out for validation.
    dtype : {"float64", "float32"}
        Precision of training (float64 keeps the last digits independent of
        the processor).

    Returns
    -------
    NestedRuns

    Examples
    --------
    >>> import lossbook
    >>> lossbook.setup(keras=True)
    >>> from lossbook import nested
    >>> runs = nested.fit("mean_squared_error", [100, 101], [0.01, 0.1])
    >>> runs.validation.shape, runs.selected().shape
    ((2, 2), (2,))
    """
    if loss not in _registry.LOSSES:
        raise ValueError(
            f"`loss` must be a Keras loss name of lossbook.registry.LOSSES; got {loss!r}. Use e.g. 'mean_squared_error'."
        )
    task = _registry.LOSSES[loss].task
    if task not in _registry.EXPERIMENTS:
        raise ValueError(
            f"`loss` {loss!r} has no canonical experiment to resample; use a loss of {tuple(_registry.EXPERIMENTS)}."
        )
    if schedule not in SCHEDULES:
        raise ValueError(f"`schedule` must be one of {SCHEDULES}; got {schedule!r}.")
    _check_rate(fraction, "fraction", high=1, example=0.2)
    datasets = list(datasets)
    for s in datasets:
        _check_int(s, "datasets", low=0, example=100)
    datasets = np.asarray(datasets, dtype=np.int64)
    grid = np.asarray(rates, dtype=float)
    if datasets.ndim != 1 or datasets.size == 0 or grid.ndim != 1 or grid.size == 0:
        raise ValueError("`datasets` and `rates` must each hold at least one value; got an empty sequence.")
    if not np.all(np.isfinite(grid) & (grid > 0)):
        raise ValueError(f"`rates` must be positive learning rates; got {rates!r}. Use e.g. [0.003, 0.01, 0.03].")
    seeds = datasets if seeds is None else np.asarray(seeds, dtype=np.int64)
    if seeds.shape != datasets.shape:
        raise ValueError(f"`seeds` must hold one network seed per dataset, {datasets.size}; got {seeds.size}.")
    settings = _registry.EXPERIMENTS[task].settings
    row = _registry.LOSSES[loss]
    splits = [_data.for_loss(_data.resampled(task, int(s)), row.name) for s in datasets]
    held = [_data.validation(split, fraction=fraction, seed=0) for split in splits]
    k, d = grid.size, datasets.size
    # Only the final validation figures are read: scoring them after every epoch would cost some 15 % of the run.
    every = dict(replicas=k * d, seeds=np.tile(seeds, k), progress=False, dtype=dtype, test_each_epoch=False, **settings)
    if schedule == "constant":
        runs = _replicas.fit(row.name, held * k, learning_rate=np.repeat(grid, d), **every)
    else:
        unique, where = np.unique(every["seeds"], return_inverse=True)
        n = held[0].x_train.shape[0]
        orders = _replicas.batch_orders(unique, n=n, epochs=settings["epochs"])[where]
        weights, done, diverged = None, 0, np.zeros(k * d, dtype=bool)
        for epochs, factor in _step_stages(settings["epochs"]):
            stage = dict(every, epochs=epochs, orders=orders[:, done : done + epochs], weights=weights)
            runs = _replicas.fit(row.name, held * k, learning_rate=np.repeat(grid * factor, d), **stage)
            diverged |= ~np.all([np.isfinite(w).reshape(k * d, -1).all(axis=1) for w in runs.weights], axis=0)
            # a diverged network carries on from zeros, so that the others can; it stays marked as diverged
            weights = [np.where(diverged.reshape((-1,) + (1,) * (w.ndim - 1)), 0.0, w) for w in runs.weights]
            done += epochs
    metric = runs.metrics[0]
    shape = (k, d)
    outputs = runs.logits(np.stack([sp.x_test for sp in splits] * k))  # each network on its own test half
    test = np.array([_registry.score_logits(task, row.targets, outputs[r][None], splits[r % d].y_test)[0] for r in range(k * d)])
    finite = np.all([np.isfinite(w).reshape(k * d, -1).all(axis=1) for w in runs.weights], axis=0)
    if schedule == "step":
        finite &= ~diverged
    validation = runs.test[metric][:, -1].reshape(shape)
    validation_loss = runs.test["loss"][:, -1].reshape(shape)
    chosen = choose(validation, finite.reshape(shape), validation_loss, lower_is_better=task == "regression")
    return NestedRuns(
        loss=row.name,
        task=task,
        rates=grid,
        datasets=datasets,
        seeds=seeds,
        validation=validation,
        validation_loss=validation_loss,
        test=test.reshape(shape),
        train=runs.train[metric][:, -1].reshape(shape),
        finite=finite.reshape(shape),
        outputs=outputs.reshape(k, d, *outputs.shape[1:]),
        chosen=chosen,
    )


def crossed_components(d) -> dict:
    r"""Variance components of a crossed design: one value per dataset (rows) and seed (columns).

    The model is :math:`d_{ij} = \mu + a_i + b_j + e_{ij}` with independent
    dataset effects :math:`a_i`, seed effects :math:`b_j` and a residual
    :math:`e_{ij}` (which holds any dataset-by-seed interaction). The
    estimates are those of the two-way analysis of variance without
    replication, *not* floored at 0: a negative value says the component is
    too small to see against the residual.

    Returns
    -------
    dict
        ``{"data": ..., "seed": ..., "residual": ...}``, variances on the scale of ``d``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import nested
    >>> rng = np.random.default_rng(0)
    >>> d = 2.0 * rng.standard_normal((200, 1)) + rng.standard_normal((1, 200)) + 0.5 * rng.standard_normal((200, 200))
    >>> {k: round(v, 1) for k, v in nested.crossed_components(d).items()}
    {'data': 3.7, 'seed': 1.1, 'residual': 0.3}
    """
    d = np.asarray(d, dtype=float)
    if d.ndim != 2 or min(d.shape) < 2 or not np.all(np.isfinite(d)):
        raise ValueError(f"`d` must be a 2-D array of finite numbers, datasets x seeds, at least 2 x 2; got shape {d.shape}.")
    i, j = d.shape
    row, col, grand = d.mean(axis=1, keepdims=True), d.mean(axis=0, keepdims=True), d.mean()
    ms_rows = j * np.sum((row - grand) ** 2) / (i - 1)
    ms_cols = i * np.sum((col - grand) ** 2) / (j - 1)
    ms_res = np.sum((d - row - col + grand) ** 2) / ((i - 1) * (j - 1))
    return {"data": float((ms_rows - ms_res) / j), "seed": float((ms_cols - ms_res) / i), "residual": float(ms_res)}


def pigeonhole(d, *, draws: int = 2000, seed: int = 0) -> dict:
    """Bootstrap draws of :func:`crossed_components`, resampling datasets and seeds independently.

    Rows and columns are each drawn with replacement, as in Owen's (2007)
    pigeonhole bootstrap for crossed random effects; percentiles of the
    draws give approximate intervals (they tend to be wide, on the safe side).

    Returns
    -------
    dict
        ``{"data": array of shape (draws,), "seed": ..., "residual": ...}``.
    """
    d = np.asarray(d, dtype=float)
    crossed_components(d)  # checks the input
    _check_int(draws, "draws", low=10, example=2000)
    _check_int(seed, "seed", low=0, example=0)
    rng = np.random.default_rng(seed)
    samples = {"data": [], "seed": [], "residual": []}
    for _ in range(draws):
        rows = rng.integers(0, d.shape[0], d.shape[0])
        cols = rng.integers(0, d.shape[1], d.shape[1])
        for key, value in crossed_components(d[np.ix_(rows, cols)]).items():
            samples[key].append(value)
    return {key: np.array(values) for key, values in samples.items()}


def beats(d, *, confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """The chance that one run of A does better than one run of B, with a bootstrap interval.

    Each pair of runs (same data, same seed) counts 1 when A's advantage
    ``d`` is positive, 1/2 when the two tie, 0 otherwise; the estimate is the
    mean over pairs, and the interval a BCa bootstrap over pairs
    (``scipy.stats.bootstrap``). It is what a reader who can afford one run
    of each loss faces, whatever the means say.

    Returns
    -------
    (estimate, low, high)

    Examples
    --------
    >>> from lossbook import nested
    >>> round(nested.beats([0.01, 0.02, 0.0, -0.01])[0], 3)
    0.625
    """
    from scipy import stats as _stats

    d = np.asarray(d, dtype=float)
    if d.ndim != 1 or d.size < 3 or not np.all(np.isfinite(d)):
        raise ValueError(f"`d` must be a 1-D array of at least 3 finite advantages, one per pair of runs; got shape {d.shape}.")
    _check_rate(confidence, "confidence", high=1, example=0.95)
    wins = (d > 0) + 0.5 * (d == 0)
    if np.all(wins == wins[0]):  # the bootstrap has nothing to vary
        return float(wins[0]), float(wins[0]), float(wins[0])
    ci = _stats.bootstrap(
        (wins,), np.mean, confidence_level=confidence, n_resamples=9999, random_state=np.random.default_rng(seed)
    ).confidence_interval
    return float(wins.mean()), float(ci.low), float(ci.high)


#: The pair counts :func:`seeds_needed` tries, in blocks of growing size (every count from 2 to 200,000 once):
#: the power of each count is computed elementwise, so the first block that reaches the power gives the same
#: answer as all 200,000 counts at once, and the usual answers (below 256) cost a thousandth of the time.
_PAIR_BLOCKS = ((2, 256), (256, 4096), (4096, 65536), (65536, 200_001))


def seeds_needed(s_d: float, d: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Smallest number of pairs at which a two-sided paired t-test at level ``alpha`` detects a mean difference ``d``.

    ``s_d`` is the standard deviation of the paired differences. For a claim
    in a family adjusted by Holm, pass the level of the first step,
    ``alpha / m``: the count that guarantees the power whatever the other
    claims do.

    Examples
    --------
    >>> from lossbook import nested
    >>> nested.seeds_needed(0.015, 0.005), nested.seeds_needed(0.015, 0.005, alpha=0.05 / 9)
    (73, 122)
    """
    from scipy import stats as _stats

    for value, name in ((s_d, "s_d"), (d, "d")):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"`{name}` must be a positive number; got {value!r}.")
    _check_rate(alpha, "alpha", high=1, example=0.05)
    _check_rate(power, "power", high=1, example=0.8)
    for low, high in _PAIR_BLOCKS:  # the first block with a count that reaches the power holds the smallest
        n = np.arange(low, high)
        reached = _stats.nct.sf(_stats.t.ppf(1 - alpha / 2, n - 1), n - 1, d * np.sqrt(n) / s_d) >= power
        if reached.any():
            return int(n[np.argmax(reached)])
    raise ValueError(
        f"more than 200,000 pairs would be needed for d = {d!r} with s_d = {s_d!r} at alpha = {alpha!r}; "
        "a difference this small against this spread is out of reach of a paired test."
    )
