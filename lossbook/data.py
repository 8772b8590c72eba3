r"""The course's datasets, split the way the experiments need them.

Every experiment of chapters 6 to 11 trains on the first half of a generated dataset
and tests on the second half. The functions here return that split as a
:class:`Split`: inputs as float32 arrays of shape ``(n, features)``, targets
as float32 (regression) or integer class labels (classification), and a
short name for titles and tables.

=========================================  ======  ========  ==================
function                                   rows    features  targets
=========================================  ======  ========  ==================
:func:`regression`                         1000    20        real, standardised
:func:`circles`                            1000    2         0 / 1
:func:`blobs`                              1000    2         0 / 1 / 2
:func:`positive_skewed_regression`         1000    5         positive, skewed
=========================================  ======  ========  ==================

Labels come in the format of the most common loss for each problem; the
helpers :func:`to_signed` (0/1 to -1/+1, for hinge losses) and
:func:`one_hot` (class indices to one-hot rows, for categorical
cross-entropy) convert them, and :meth:`Split.map_targets` applies either to
both halves at once.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lossbook import registry as _registry
from lossbook import seeds as _seeds
from lossbook._validation import check_int as _check_int
from lossbook._validation import check_label_set as _check_label_set
from lossbook._validation import check_rate as _check_rate
from lossbook._validation import check_scalar as _check_scalar
from lossbook._validation import check_targets as _check_targets

__all__ = [
    "Split",
    "blobs",
    "canonical",
    "circles",
    "for_loss",
    "one_hot",
    "positive_skewed_regression",
    "regression",
    "resampled",
    "to_signed",
    "validation",
    "with_outliers",
]

#: Rows of each generated dataset; the first half trains, the second tests.
N_SAMPLES = 1000


# ---------------------------------------------------------------------------
# The split
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class Split:
    """Training and test halves of one dataset.

    Attributes
    ----------
    x_train, x_test : numpy.ndarray, shape (n, features)
        Inputs, float32.
    y_train, y_test : numpy.ndarray, shape (n,) or (n, k)
        Targets: float32 numbers for regression, integer labels for
        classification, float32 rows after :func:`one_hot`.
    name : str
        A short description for titles and tables.

    Raises
    ------
    ValueError
        If an input array is not 2-D, or inputs and targets of a half hold
        different numbers of examples, or the two halves have different
        numbers of features.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import data
    >>> split = data.Split(np.zeros((3, 2)), np.array([0, 1, 1]), np.ones((2, 2)), np.array([1, 0]), "tiny")
    >>> split
    Split('tiny', train: x (3, 2), y (3,); test: x (2, 2), y (2,))
    >>> split.n_features
    2
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str = "data"

    def __post_init__(self):
        for half in ("train", "test"):
            x = np.asarray(getattr(self, f"x_{half}"))
            y = np.asarray(getattr(self, f"y_{half}"))
            if x.ndim != 2:
                raise ValueError(
                    f"`x_{half}` must have shape (n, features); got shape {x.shape}. For a single feature write x.reshape(-1, 1)."
                )
            if y.ndim == 0 or y.shape[0] != x.shape[0]:
                raise ValueError(
                    f"`x_{half}` and `y_{half}` must hold the same number of examples; got "
                    f"x_{half}.shape={x.shape} and y_{half}.shape={y.shape}. "
                    "Check that both come from the same rows."
                )
            object.__setattr__(self, f"x_{half}", x)
            object.__setattr__(self, f"y_{half}", y)
        if self.x_train.shape[1] != self.x_test.shape[1]:
            raise ValueError(
                f"both halves must have the same features; got {self.x_train.shape[1]} training and "
                f"{self.x_test.shape[1]} test columns."
            )

    def __repr__(self):
        return (
            f"Split({self.name!r}, train: x {self.x_train.shape}, y {self.y_train.shape}; "
            f"test: x {self.x_test.shape}, y {self.y_test.shape})"
        )

    @property
    def n_features(self) -> int:
        """Number of input columns."""
        return int(self.x_train.shape[1])

    def map_targets(self, function, *, name=None) -> "Split":
        """Return a new split whose targets are ``function(y)`` for both halves.

        Parameters
        ----------
        function : callable
            Applied to ``y_train`` and to ``y_test``, e.g. :func:`to_signed`.
        name : str, optional
            Name of the new split; the old one when omitted.

        Returns
        -------
        Split

        Examples
        --------
        >>> import numpy as np
        >>> from lossbook import data
        >>> split = data.Split(np.zeros((2, 1)), np.array([0, 1]), np.zeros((2, 1)), np.array([1, 1]))
        >>> split.map_targets(data.to_signed).y_train
        array([-1,  1])
        """
        return Split(
            self.x_train,
            function(self.y_train),
            self.x_test,
            function(self.y_test),
            self.name if name is None else name,
        )


def _halves(x, y, name):
    half = len(x) // 2
    return Split(x[:half], y[:half], x[half:], y[half:], name)


def validation(split: Split, *, fraction: float = 0.2, seed: int = 0) -> Split:
    """Carve a validation set out of the training half, for choosing anything without the test half.

    A random ``fraction`` of the training rows (drawn with ``seed``) becomes
    the validation set; the returned split trains on the other training rows
    and reports the validation rows as its test half, so
    :func:`lossbook.training.fit` and :func:`lossbook.replicas.fit` measure
    validation curves with it. The original test half is not touched: score
    the chosen model on ``split.x_test, split.y_test`` once, at the end.

    Parameters
    ----------
    split : Split
        The split whose training half is divided.
    fraction : float, default 0.2
        Share of the training rows held out, in (0, 1).
    seed : int, default 0
        Seed of the random choice of rows.

    Returns
    -------
    Split
        Training rows not held out, and the validation rows as ``x_test`` /
        ``y_test``, both in their original order; named ``"<name> (validation)"``.

    Raises
    ------
    ValueError
        If ``fraction`` leaves no row on either side.

    Examples
    --------
    >>> from lossbook import data
    >>> held = data.validation(data.circles(), fraction=0.2, seed=0)
    >>> held
    Split('circles (validation)', train: x (400, 2), y (400,); test: x (100, 2), y (100,))
    """
    _check_rate(fraction, "fraction", high=1, example=0.2)
    _check_int(seed, "seed", low=0, example=0)
    n = split.x_train.shape[0]
    n_val = int(round(fraction * n))
    if not 0 < n_val < n:
        raise ValueError(
            f"`fraction` must leave at least one row for training and one for validation; got {fraction!r} "
            f"of {n} training rows. Use e.g. fraction=0.2."
        )
    held = np.zeros(n, dtype=bool)
    held[np.random.default_rng(seed).choice(n, n_val, replace=False)] = True
    return Split(
        split.x_train[~held], split.y_train[~held], split.x_train[held], split.y_train[held], f"{split.name} (validation)"
    )


# ---------------------------------------------------------------------------
# The three canonical problems
# ---------------------------------------------------------------------------

_SCALE_WITH = ("train", "all")


def regression(*, scale_with: str = "train") -> Split:
    r"""The regression problem: 20 inputs, one real target, both standardised.

    ``sklearn.datasets.make_regression(n_samples=1000, n_features=20,
    noise=0.1, random_state=1)``; rows 0-499 train, rows 500-999 test. Every
    input column and the target are standardised,

    .. math::

        z = \frac{x - \bar x}{s},

    with the mean :math:`\bar x` and the (population) standard deviation
    :math:`s` of the *training half* by default.

    Parameters
    ----------
    scale_with : {"train", "all"}, default "train"
        Rows whose statistics standardise the data. ``"train"`` uses only the
        training half, so nothing about the test half leaks into training.
        ``"all"`` uses all 1000 rows before splitting, as the Keras 2 tutorial
        the course reproduces did (``StandardScaler().fit_transform`` on the
        whole set); all 1000 rows together then have mean 0 and standard
        deviation 1, each half only approximately.

    Returns
    -------
    Split
        ``x`` float32 of shape (500, 20), ``y`` float32 of shape (500,) per half.

    Raises
    ------
    ValueError
        If ``scale_with`` is not ``"train"`` or ``"all"``.

    Notes
    -----
    The two choices differ by a few per cent. The target's standard
    deviation is 142.8 on the training half and 152.7 on all rows, so the
    same error in the original units is 7 % larger in standardised units
    with the default than with ``"all"`` (an MSE 14 % larger). Comparisons
    between losses trained on the same split are unaffected.

    Examples
    --------
    >>> from lossbook import data
    >>> split = data.regression()
    >>> split
    Split('regression', train: x (500, 20), y (500,); test: x (500, 20), y (500,))
    >>> print(f"{split.y_train.mean():.3f} {split.y_train.std():.3f}")
    0.000 1.000
    """
    if scale_with not in _SCALE_WITH:
        raise ValueError(
            f"`scale_with` must be 'train' or 'all'; got {scale_with!r}. "
            "Use 'train' to standardise with the training half's statistics."
        )
    from sklearn.datasets import make_regression

    x, y = make_regression(n_samples=N_SAMPLES, n_features=20, noise=0.1, random_state=1)
    rows = slice(0, N_SAMPLES // 2) if scale_with == "train" else slice(None)
    x = (x - x[rows].mean(axis=0)) / x[rows].std(axis=0)
    y = (y - y[rows].mean()) / y[rows].std()
    return _halves(x.astype(np.float32), y.astype(np.float32), "regression")


def circles() -> Split:
    """The binary problem: two noisy concentric circles, labels 0 and 1.

    ``sklearn.datasets.make_circles(n_samples=1000, noise=0.1,
    random_state=1)``, not rescaled (the inputs already lie in about
    [-1.2, 1.2]); rows 0-499 train, rows 500-999 test. Label 1 is the inner
    circle.

    Returns
    -------
    Split
        ``x`` float32 of shape (500, 2), ``y`` int64 of shape (500,) per half.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import data
    >>> split = data.circles()
    >>> np.bincount(split.y_train)
    array([252, 248])
    """
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=N_SAMPLES, noise=0.1, random_state=1)
    return _halves(x.astype(np.float32), y.astype(np.int64), "circles")


def blobs() -> Split:
    """The multi-class problem: three overlapping Gaussian blobs, labels 0, 1, 2.

    ``sklearn.datasets.make_blobs(n_samples=1000, centers=3, n_features=2,
    cluster_std=2, random_state=2)``, not rescaled; rows 0-499 train, rows
    500-999 test.

    Returns
    -------
    Split
        ``x`` float32 of shape (500, 2), ``y`` int64 class indices of shape
        (500,) per half. Convert them with :func:`one_hot` for categorical
        cross-entropy and KL divergence.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import data
    >>> np.bincount(data.blobs().y_train)
    array([171, 162, 167])
    """
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n_samples=N_SAMPLES, centers=3, n_features=2, cluster_std=2, random_state=2)
    return _halves(x.astype(np.float32), y.astype(np.int64), "blobs")


def positive_skewed_regression(*, n_samples: int = N_SAMPLES, n_features: int = 5, noise: float = 0.25, seed: int = 1) -> Split:
    r"""A positive, right-skewed target: where mean squared logarithmic error belongs.

    The inputs are standard normal and the target is the exponential of a
    linear function plus Gaussian noise,

    .. math::

        y = \exp\left(1 + x^\top w + \sigma \varepsilon\right),
        \qquad \varepsilon \sim \mathcal N(0, 1),

    with a random weight vector :math:`w` of length 0.8. The target is
    log-normal: always positive, with a long right tail, and its noise is
    multiplicative (a given relative error is as likely for a large value as
    for a small one), which is what an error on :math:`\log(1 + y)` measures.
    It is not standardised, since MSLE needs non-negative targets. The first
    half of the rows trains, the second half tests.

    Parameters
    ----------
    n_samples : int, default 1000
        Number of rows, an even number of at least 4.
    n_features : int, default 5
        Number of inputs, at least 1.
    noise : float, default 0.25
        Standard deviation :math:`\sigma` of the noise on the log scale; >= 0.
    seed : int, default 1
        Seed of the NumPy generator that draws inputs, weights and noise.

    Returns
    -------
    Split
        ``x`` float32 of shape (n_samples / 2, n_features) and ``y`` float32
        of shape (n_samples / 2,) per half.

    Raises
    ------
    ValueError
        If an argument is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import data
    >>> split = data.positive_skewed_regression()
    >>> bool(split.y_train.min() > 0)
    True
    >>> print(f"median {np.median(split.y_train):.2f}, mean {split.y_train.mean():.2f}")
    median 2.65, mean 3.68
    """
    _check_int(n_samples, "n_samples", low=4, example=1000)
    if n_samples % 2:
        raise ValueError(
            f"`n_samples` must be even, so that the two halves have the same size; got {n_samples}. "
            f"Pass n_samples={n_samples + 1}."
        )
    _check_int(n_features, "n_features", low=1, example=5)
    _check_scalar(noise, "noise", example=0.25)
    if noise < 0:
        raise ValueError(f"`noise` must be >= 0; got {noise!r}. Pass e.g. noise=0.25.")
    _check_int(seed, "seed", low=0, example=1)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, n_features))
    w = rng.normal(size=n_features)
    w *= 0.8 / np.linalg.norm(w)
    y = np.exp(1.0 + x @ w + noise * rng.normal(size=n_samples))
    return _halves(x.astype(np.float32), y.astype(np.float32), "positive skewed")


def with_outliers(
    split: Split,
    *,
    count: int | None = None,
    fraction: float | None = None,
    scale: float = 10.0,
    seed: int = 0,
) -> Split:
    r"""Corrupt a few training targets; the test half stays clean.

    Picks ``count`` training rows at random (without replacement) and adds
    ``scale`` standard deviations of the training target to each,

    .. math::

        y_i \leftarrow y_i + \text{scale} \cdot s_y ,

    so the model is trained on gross errors in the target and judged on
    clean data. Compare the original and corrupted targets to find the rows:
    ``np.flatnonzero(new.y_train != split.y_train)``.

    Parameters
    ----------
    split : Split
        A regression split with real-valued targets of shape (n,) or (n, 1).
    count : int, optional
        Number of corrupted rows, from 1 to the number of training rows.
    fraction : float, optional
        Share of training rows to corrupt, in (0, 1]; rounded to the nearest
        count, at least 1. Give ``count`` or ``fraction``, not both.
    scale : float, default 10.0
        Size of the corruption in standard deviations of ``y_train``; a
        negative value shifts the targets down.
    seed : int, default 0
        Seed of the NumPy generator that picks the rows.

    Returns
    -------
    Split
        A new split; ``split`` itself is not modified.

    Raises
    ------
    ValueError
        If neither or both of ``count`` and ``fraction`` are given, one is out
        of range, ``scale`` is zero or not finite, or the targets are class
        labels.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import data
    >>> clean = data.regression()
    >>> dirty = data.with_outliers(clean, count=5, scale=10.0)
    >>> changed = np.flatnonzero(dirty.y_train != clean.y_train)
    >>> changed.size, dirty.name
    (5, 'regression, 5 outliers')
    >>> np.round(dirty.y_train[changed] - clean.y_train[changed], 3)
    array([10., 10., 10., 10., 10.], dtype=float32)
    """
    if not isinstance(split, Split):
        raise ValueError(
            f"`split` must be a lossbook.data.Split; got {type(split).__name__}. "
            "Build one with data.regression() or data.Split(...)."
        )
    y = np.asarray(split.y_train)
    if y.dtype.kind != "f" or not (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
        raise ValueError(
            f"`split` must have real-valued targets of shape (n,) or (n, 1); got dtype {y.dtype} and "
            f"shape {y.shape}. Outliers here are gross errors in a regression target, e.g. "
            "data.with_outliers(data.regression(), count=10)."
        )
    n = y.shape[0]
    if (count is None) == (fraction is None):
        raise ValueError(
            f"give exactly one of `count` and `fraction`; got count={count!r}, fraction={fraction!r}. "
            "For example count=10 or fraction=0.02."
        )
    if count is not None:
        _check_int(count, "count", low=1, high=n, example=10)
    else:
        _check_scalar(fraction, "fraction", low=0, low_open=True, example=0.02)
        if fraction > 1:
            raise ValueError(f"`fraction` must lie in (0, 1]; got {fraction!r}. Pass e.g. fraction=0.02.")
        count = max(1, int(round(fraction * n)))
    _check_scalar(scale, "scale", example=10.0)
    if scale == 0:
        raise ValueError("`scale` must not be 0 (that corrupts nothing); got 0. Pass e.g. scale=10.0.")
    _check_int(seed, "seed", low=0, example=0)
    rows = np.random.default_rng(seed).choice(n, size=count, replace=False)
    y = y.copy()
    y[rows] += y.dtype.type(scale * y.std())
    return Split(split.x_train, y, split.x_test, split.y_test, f"{split.name}, {count} outliers")


# ---------------------------------------------------------------------------
# Label formats
# ---------------------------------------------------------------------------


def for_loss(split: Split, loss: str) -> Split:
    """The split with its targets in the format a loss of the course expects.

    Class indices 0 / 1 become -1 / +1 for the hinge losses (:func:`to_signed`)
    and one-hot rows for the multi-class losses that take them
    (:func:`one_hot`, with as many classes as the labels of both halves
    name); other targets are returned as they are.

    Parameters
    ----------
    split : Split
        A split with real targets (regression) or integer class labels.
    loss : str
        A loss name or alias of :data:`lossbook.registry.LOSSES`.

    Examples
    --------
    >>> from lossbook import data
    >>> data.for_loss(data.circles(), "hinge").y_train[:4]
    array([ 1,  1, -1, -1])
    >>> data.for_loss(data.blobs(), "kld").y_train.shape
    (500, 3)
    """
    labels = _registry.lookup(loss).targets
    if labels == "signed":
        return split.map_targets(to_signed)
    if labels == "one-hot":
        n_classes = int(max(split.y_train.max(), split.y_test.max())) + 1
        return split.map_targets(lambda y: one_hot(y, n_classes))
    return split


def canonical(task: str) -> Split:
    """The split of the canonical experiment of a task (:data:`lossbook.registry.EXPERIMENTS`).

    >>> canonical("binary").name
    'circles'
    """
    if task not in _registry.EXPERIMENTS:
        raise ValueError(f"`task` must be one of {tuple(_registry.EXPERIMENTS)}; got {task!r}.")
    return globals()[_registry.EXPERIMENTS[task].dataset]()


def resampled(task: str, seed: int) -> Split:
    """A fresh draw of a canonical problem's 1000 rows, from the same distribution.

    The data-resampling arm of chapter 11: every seed gets its own dataset,
    drawn from the seed's data stream (:func:`lossbook.seeds.streams`), so
    that spread over seeds covers the data as well as the initial weights and
    the batch order. The *problem* stays the same: the circles' radii and
    noise, the blobs' three centres (those of ``random_state=2``), the
    regression's coefficients (those of ``random_state=1``, noise 0.1); only
    the rows are new. Regression data are standardised with the training
    half, as in :func:`regression`.

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}
    seed : int
        The run's seed.

    Returns
    -------
    Split
        Shaped and typed like :func:`canonical` of the task.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import data
    >>> a, b = data.resampled("binary", 0), data.resampled("binary", 1)
    >>> a.x_train.shape, bool(np.array_equal(a.x_train, b.x_train))
    ((500, 2), False)
    >>> np.array_equal(a.x_test, data.resampled("binary", 0).x_test)
    True
    """
    from sklearn.datasets import make_blobs, make_circles, make_regression

    if task not in _registry.EXPERIMENTS:
        raise ValueError(f"`task` must be one of {tuple(_registry.EXPERIMENTS)}; got {task!r}.")
    state = _seeds.streams(seed)["data"]
    if task == "binary":
        x, y = make_circles(n_samples=N_SAMPLES, noise=0.1, random_state=state)
        return _halves(x.astype(np.float32), y.astype(np.int64), f"circles, resample {seed}")
    if task == "multiclass":
        _, _, centers = make_blobs(
            n_samples=N_SAMPLES, centers=3, n_features=2, cluster_std=2, random_state=2, return_centers=True
        )
        x, y = make_blobs(n_samples=N_SAMPLES, centers=centers, cluster_std=2, random_state=state)
        return _halves(x.astype(np.float32), y.astype(np.int64), f"blobs, resample {seed}")
    _, _, coef = make_regression(n_samples=N_SAMPLES, n_features=20, noise=0.1, random_state=1, coef=True)
    rng = np.random.default_rng(state)
    x = rng.standard_normal((N_SAMPLES, 20))
    y = x @ coef + 0.1 * rng.standard_normal(N_SAMPLES)
    train = slice(0, N_SAMPLES // 2)
    x = (x - x[train].mean(axis=0)) / x[train].std(axis=0)
    y = (y - y[train].mean()) / y[train].std()
    return _halves(x.astype(np.float32), y.astype(np.float32), f"regression, resample {seed}")


def to_signed(y) -> np.ndarray:
    """Map binary labels 0 / 1 to -1 / +1, the labels of the hinge losses.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, k)
        Labels 0 and 1 (integers, whole floats or booleans).

    Returns
    -------
    numpy.ndarray
        ``2 * y - 1`` with the shape of ``y``: integers for integer or boolean
        input, floats for float input.

    Raises
    ------
    ValueError
        If ``y`` is empty, is not numbers, or holds any value other than 0
        and 1 (including labels that are already -1 / +1, and soft labels).

    Notes
    -----
    Keras' ``hinge`` and ``squared_hinge`` convert 0 / 1 labels to -1 / +1
    themselves, so training works either way; converting explicitly keeps
    the labels, the loss formula and any accuracy you compute by hand in
    agreement.

    Examples
    --------
    >>> from lossbook import data
    >>> data.to_signed([0, 1, 1, 0])
    array([-1,  1,  1, -1])
    """
    raw = _check_targets(
        "binary",
        y,
        caller="to_signed",
        fix="to_signed prepares 0 / 1 labels for the hinge losses, which take -1 / +1 as they are.",
    )
    _check_label_set(
        raw, "y", {0, 1}, fix="to_signed maps hard labels; threshold soft labels first, e.g. (y >= 0.5).astype(int)."
    )
    if raw.dtype.kind == "b":
        raw = raw.astype(np.int64)
    return 2 * raw - 1


def one_hot(y, n_classes: int) -> np.ndarray:
    """Turn class indices 0 .. K-1 into one-hot rows, the labels of categorical cross-entropy.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, 1)
        Class indices 0 .. ``n_classes`` - 1 (integers or whole floats).
    n_classes : int
        Number of classes K, at least 2. Given explicitly so that a half in
        which some class happens to be missing still gets K columns.

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)
        float32 rows with a single 1.

    Raises
    ------
    ValueError
        If ``y`` is empty or holds anything but whole numbers in 0 .. K-1, or
        is already 2-D with more than one column, or ``n_classes`` is not an
        integer >= 2.

    Examples
    --------
    >>> from lossbook import data
    >>> data.one_hot([0, 2, 1], 3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    labels = _check_targets("index", y, caller="one_hot", n_classes=n_classes, columns="the one-hot rows")
    return np.eye(n_classes, dtype=np.float32)[labels.reshape(-1).astype(np.int64)]
