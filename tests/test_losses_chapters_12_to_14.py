"""The losses of chapters 12 to 14, with their options: equal to Keras, scikit-learn and SciPy, gradients, bad options.

The properties every loss has (reductions, gradients at the defaults, bad
input) run in tests/test_losses.py from the registry; this file checks the
options and the relations each loss of chapters 12 to 14 is documented with.
"""

import math

import numpy as np
import pytest
from scipy import special, stats
from sklearn import metrics

from lossbook import losses, optim

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("error")

N = 8
RNG_SEED = 3


def _rng(seed=RNG_SEED):
    return np.random.default_rng(seed)


def _assert_gradient(loss, grad, y_true, y_pred, **kwargs):
    for reduction in ("mean", "sum"):
        numerical = optim.numerical_gradient(
            lambda p, reduction=reduction: loss(y_true, p, reduction=reduction, **kwargs), y_pred, eps=1e-6
        )
        analytic = grad(y_true, y_pred, reduction=reduction, **kwargs)
        assert analytic.shape == np.shape(y_pred)
        np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-8)


def _keras_mean(loss_object, y_true, y_pred, **kwargs):
    return float(np.asarray(loss_object(y_true, y_pred, **kwargs)))


# ---------------------------------------------------------------------------
# Pinball
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("quantile", [0.05, 0.1, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("shape", [(N,), (N, 3)])
def test_pinball_equals_scikit_learn_and_has_its_gradient(quantile, shape):
    rng = _rng()
    y, p = rng.normal(size=shape), rng.normal(size=shape)
    expected = metrics.mean_pinball_loss(y, p, alpha=quantile)
    assert losses.pinball_loss(y, p, quantile=quantile) == pytest.approx(expected, rel=1e-12)
    _assert_gradient(losses.pinball_loss, losses.pinball_loss_grad, y, p, quantile=quantile)


def test_pinball_at_the_median_is_half_the_absolute_error_and_its_minimiser_is_the_quantile():
    rng = _rng()
    y, p = rng.normal(size=N), rng.normal(size=N)
    assert losses.pinball_loss(y, p) == pytest.approx(losses.mean_absolute_error(y, p) / 2, rel=1e-12)
    sample = rng.exponential(size=201)
    grid = np.linspace(0.0, 5.0, 5001)
    costs = [losses.pinball_loss(sample, np.full_like(sample, c), quantile=0.9) for c in grid]
    assert grid[int(np.argmin(costs))] == pytest.approx(np.quantile(sample, 0.9), abs=1e-3)


@pytest.mark.parametrize("quantile", [0.0, 1.0, -0.1, 1.5, np.nan, "0.9", True])
def test_pinball_quantile_must_lie_strictly_between_0_and_1(quantile):
    for function in (losses.pinball_loss, losses.pinball_loss_grad):
        with pytest.raises(ValueError, match=r"`quantile` must be a number in \(0, 1\); got .*quantile=0\.9"):
            function([0.0], [1.0], quantile=quantile)


# ---------------------------------------------------------------------------
# Poisson
# ---------------------------------------------------------------------------


def _counts(rng, shape):
    rates = rng.exponential(scale=3.0, size=shape) + 0.05
    return rng.poisson(rates).astype(float), rates


@pytest.mark.parametrize("shape", [(N,), (N, 3)])
def test_poisson_equals_keras_up_to_its_epsilon(shape):
    y, rate = _counts(_rng(), shape)
    mine = losses.poisson(y, rate)
    assert mine == pytest.approx(_keras_mean(keras.losses.Poisson(), y, rate), rel=1e-6)  # the class: float32
    # Keras takes log(rate + 1e-7): in float64 the difference is about 1e-7 * y / rate ...
    keras_value = float(np.mean(keras.losses.poisson(y, rate)))
    assert mine == pytest.approx(keras_value, abs=1e-6) and mine != keras_value
    # ... and vanishes once the rates given to Keras are shifted by that epsilon.
    shifted = float(np.mean(keras.losses.poisson(y, rate - losses.EPSILON))) + losses.EPSILON
    assert mine == pytest.approx(shifted, rel=1e-12)


@pytest.mark.parametrize("shape", [(N,), (N, 3)])
def test_poisson_deviance_is_twice_the_excess_over_the_perfect_prediction(shape):
    y, rate = _counts(_rng(), shape)
    excess = losses.poisson(y, rate) - losses.poisson(y, y)
    assert 2 * excess == pytest.approx(metrics.mean_poisson_deviance(y.ravel(), rate.ravel()), rel=1e-12)
    # The same minimiser: both gradients vanish at rate = y > 0, and they differ by the factor 2 elsewhere.
    positive = y + 0.5
    np.testing.assert_allclose(losses.poisson_grad(positive, positive), 0.0, atol=1e-15)
    _assert_gradient(losses.poisson, losses.poisson_grad, y, rate)


def test_poisson_is_a_log_likelihood_without_its_constant():
    y, rate = _counts(_rng(), (N,))
    expected = -stats.poisson.logpmf(y, rate) - special.gammaln(y + 1)
    np.testing.assert_allclose(losses.poisson(y, rate, reduction="none"), expected, rtol=1e-12)
    assert losses.poisson([5.0], [5.0]) < 0  # y - y log y: negative for y > e


def test_poisson_rejects_negative_counts_and_rates():
    with pytest.raises(ValueError, match=r"^`y_true` must be >= 0; got y_true\[1\] = -1"):
        losses.poisson([2.0, -1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"^`y_pred` must be >= 0; got y_pred\[0\] = -0\.5.*softplus"):
        losses.poisson_grad([2.0, 1.0], [-0.5, 1.0])
    # A rate of exactly 0 costs a finite 16.118 per count, as in Keras.
    assert losses.poisson([2.0], [0.0]) == pytest.approx(-2 * math.log(losses.EPSILON))
    assert losses.poisson([0.0], [0.0]) == 0.0


# ---------------------------------------------------------------------------
# Gaussian negative log-likelihood
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("column", [False, True])
def test_gaussian_nll_equals_scipy_and_has_its_gradient(column):
    rng = _rng()
    y = rng.normal(size=N)
    mean, log_variance = rng.normal(size=N), rng.normal(scale=2.0, size=N)
    y_pred = np.column_stack([mean, log_variance])
    expected = -stats.norm.logpdf(y, mean, np.exp(log_variance / 2))
    y_true = y[:, None] if column else y
    np.testing.assert_allclose(losses.gaussian_nll(y_true, y_pred, reduction="none"), expected, rtol=1e-12)
    _assert_gradient(losses.gaussian_nll, losses.gaussian_nll_grad, y_true, y_pred)


def test_gaussian_nll_is_negative_for_a_small_spread():
    sigma = 0.1
    log_variance = math.log(sigma**2)
    perfect = losses.gaussian_nll([0.0], [[0.0, log_variance]])
    one_sigma = losses.gaussian_nll([0.1], [[0.0, log_variance]])
    assert perfect == pytest.approx(-stats.norm.logpdf(0.0, 0.0, sigma), rel=1e-12)
    assert (round(perfect, 3), round(one_sigma, 3)) == (-1.384, -0.884)
    # With a fixed variance of 1 it is half the squared error plus a constant.
    y, mu = np.array([0.5, -1.0, 2.0]), np.array([0.0, 0.0, 1.0])
    fixed = losses.gaussian_nll(y, np.column_stack([mu, np.zeros(3)]))
    assert fixed == pytest.approx(losses.mean_squared_error(y, mu) / 2 + 0.5 * math.log(2 * math.pi), rel=1e-12)


def test_gaussian_nll_gradient_moves_the_variance_towards_the_squared_error():
    g = losses.gaussian_nll_grad([0.0, 0.0], [[0.5, math.log(0.25)], [0.5, math.log(1.0)]], reduction="sum")
    assert g[0, 1] == pytest.approx(0.0, abs=1e-15)  # sigma equals the error
    assert g[1, 1] > 0  # sigma too large: the log-variance goes down


@pytest.mark.parametrize(
    "y_true, y_pred, message",
    [
        ([0.0, 1.0], [0.0, 1.0], r"`y_pred` must have shape \(n, 2\); got shape \(2,\)\. gaussian_nll takes"),
        ([0.0], [[0.0, 1.0, 2.0]], r"`y_pred` must have shape \(n, 2\); got shape \(1, 3\)\..*log-variance"),
        ([[0.0, 1.0]], [[0.0, 1.0]], r"`y_true` must have shape \(n,\) or \(n, 1\); got shape \(1, 2\)"),
        ([0.0, 1.0, 2.0], [[0.0, 1.0]] * 2, r"one label per row of `y_pred`; got 3 labels and 2 rows"),
        (1.0, [[0.0, 1.0]], r"`y_true` must have shape \(n,\) or \(n, 1\); got shape \(\)"),
    ],
)
def test_gaussian_nll_documented_errors(y_true, y_pred, message):
    for function in (losses.gaussian_nll, losses.gaussian_nll_grad):
        with pytest.raises(ValueError, match=message):
            function(y_true, y_pred)


def test_gaussian_nll_with_zero_error_stays_finite_for_a_vanishing_variance():
    values = losses.gaussian_nll([0.0, 0.0], [[0.0, -800.0], [1.0, -800.0]], reduction="none")
    assert values[0] == pytest.approx(0.5 * math.log(2 * math.pi) - 400.0)
    assert values[1] == np.inf  # not NaN
    assert not np.any(np.isnan(losses.gaussian_nll_grad([0.0, 0.0], [[0.0, -800.0], [1.0, -800.0]])))


# ---------------------------------------------------------------------------
# Class-weighted binary cross-entropy
# ---------------------------------------------------------------------------

WEIGHTS = [(1.0, 1.0), (3.0, 0.5), (0.0, 2.0)]


@pytest.mark.parametrize("pos_weight, neg_weight", WEIGHTS)
def test_weighted_bce_equals_keras_with_sample_weights_and_scikit_learn_renormalised(pos_weight, neg_weight):
    rng = _rng()
    y = rng.integers(0, 2, size=N).astype(float)
    y[:2] = [0.0, 1.0]
    p = rng.uniform(0.02, 0.98, size=N)
    w = np.where(y == 1.0, pos_weight, neg_weight)
    mine = losses.weighted_binary_crossentropy(y, p, pos_weight=pos_weight, neg_weight=neg_weight)
    keras_value = _keras_mean(keras.losses.BinaryCrossentropy(dtype="float64"), y[:, None], p[:, None], sample_weight=w)
    assert mine == pytest.approx(keras_value, rel=1e-9)  # Keras divides by n
    if w.sum() > 0:
        sklearn_value = metrics.log_loss(y, p, sample_weight=w)  # scikit-learn divides by the sum of the weights
        assert mine == pytest.approx(sklearn_value * w.sum() / N, rel=1e-12)
    logits = special.logit(p)
    assert losses.weighted_binary_crossentropy(
        y, logits, pos_weight=pos_weight, neg_weight=neg_weight, from_logits=True
    ) == pytest.approx(mine, rel=1e-12)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("pos_weight, neg_weight", WEIGHTS)
def test_weighted_bce_gradient(pos_weight, neg_weight, from_logits):
    rng = _rng()
    y = rng.integers(0, 2, size=(N, 2)).astype(float)
    y[0, 0] = 0.3  # a soft label
    p = rng.normal(scale=3.0, size=(N, 2)) if from_logits else rng.uniform(0.02, 0.98, size=(N, 2))
    _assert_gradient(
        losses.weighted_binary_crossentropy,
        losses.weighted_binary_crossentropy_grad,
        y,
        p,
        pos_weight=pos_weight,
        neg_weight=neg_weight,
        from_logits=from_logits,
    )


@pytest.mark.parametrize("option", ["pos_weight", "neg_weight"])
@pytest.mark.parametrize("value", [-1.0, np.inf, "2", None])
def test_weighted_bce_weights_must_be_non_negative_numbers(option, value):
    for function in (losses.weighted_binary_crossentropy, losses.weighted_binary_crossentropy_grad):
        with pytest.raises(ValueError, match=rf"`{option}` must be a finite number >= 0; got .*Pass e\.g\."):
            function([0, 1], [0.2, 0.7], **{option: value})


def test_weighted_bce_rejects_signed_labels_with_the_shared_words():
    with pytest.raises(ValueError, match=r"^weighted_binary_crossentropy expects labels 0 / 1; got -1 / \+1\."):
        losses.weighted_binary_crossentropy([-1, 1], [0.2, 0.7], pos_weight=2.0)


# ---------------------------------------------------------------------------
# Binary focal cross-entropy
# ---------------------------------------------------------------------------

FOCAL = [
    {"gamma": 2.0},
    {"gamma": 0.0},
    {"gamma": 0.5},
    {"gamma": 3.0, "apply_class_balancing": True, "alpha": 0.25},
    {"gamma": 1.0, "apply_class_balancing": True, "alpha": 0.8},
]


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("options", FOCAL, ids=str)
@pytest.mark.parametrize("shape", [(N,), (N, 3)])
def test_focal_equals_keras_and_has_its_gradient(options, from_logits, shape):
    rng = _rng()
    y = rng.integers(0, 2, size=shape).astype(float)
    p = rng.normal(scale=3.0, size=shape) if from_logits else rng.uniform(0.02, 0.98, size=shape)
    loss_object = keras.losses.BinaryFocalCrossentropy(from_logits=from_logits, reduction=None, dtype="float64", **options)
    y_keras, p_keras = (y[:, None], p[:, None]) if len(shape) == 1 else (y, p)
    expected = np.asarray(loss_object(y_keras, p_keras))
    actual = losses.binary_focal_crossentropy(y, p, from_logits=from_logits, reduction="none", **options)
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)
    _assert_gradient(
        losses.binary_focal_crossentropy, losses.binary_focal_crossentropy_grad, y, p, from_logits=from_logits, **options
    )


def test_focal_without_focusing_is_binary_crossentropy_and_shrinks_easy_examples():
    y, p = np.array([1.0, 1.0, 0.0]), np.array([0.95, 0.3, 0.4])
    bce = losses.binary_crossentropy(y, p, reduction="none")
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y, p, gamma=0.0, reduction="none"), bce, rtol=1e-15)
    ratio = losses.binary_focal_crossentropy(y, p, reduction="none") / bce
    np.testing.assert_allclose(ratio, [0.05**2, 0.7**2, 0.4**2], rtol=1e-12)
    # A perfect prediction: 0 loss, 0 gradient, also for gamma < 1 (where (1 - p_t)**(gamma - 1) is infinite).
    for gamma in (0.5, 2.0):
        assert losses.binary_focal_crossentropy([1.0, 0.0], [1.0, 0.0], gamma=gamma) == 0.0
        np.testing.assert_array_equal(losses.binary_focal_crossentropy_grad([1.0, 0.0], [1.0, 0.0], gamma=gamma), 0.0)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"gamma": -1.0}, r"`gamma` must be a finite number >= 0; got -1\.0\. Pass e\.g\. gamma=2\.0\."),
        ({"alpha": 1.5}, r"`alpha` must be a number in \[0, 1\]; got 1\.5\. Pass e\.g\. alpha=0\.25\."),
        ({"apply_class_balancing": 1}, r"`apply_class_balancing` must be True or False; got 1\."),
        ({"from_logits": "yes"}, r"`from_logits` must be True or False"),
    ],
)
def test_focal_options_are_checked(options, message):
    for function in (losses.binary_focal_crossentropy, losses.binary_focal_crossentropy_grad):
        with pytest.raises(ValueError, match=message):
            function([0, 1], [0.2, 0.7], **options)


# ---------------------------------------------------------------------------
# Label-smoothed categorical cross-entropy
# ---------------------------------------------------------------------------


def _class_rows(from_logits, classes=4):
    """One-hot targets of N examples, and rows of predicted probabilities or, with ``from_logits``, their logits."""
    rng = _rng()
    y = np.eye(classes)[rng.integers(0, classes, size=N)]
    z = rng.normal(scale=2.0, size=(N, classes))
    return y, z if from_logits else special.softmax(z, axis=1)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.3, 0.9])
def test_label_smoothing_equals_keras_and_has_its_gradient(label_smoothing, from_logits):
    y, p = _class_rows(from_logits)
    loss_object = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing, from_logits=from_logits, dtype="float64")
    kwargs = {"label_smoothing": label_smoothing, "from_logits": from_logits}
    actual = losses.label_smoothed_categorical_crossentropy(y, p, **kwargs)
    assert actual == pytest.approx(_keras_mean(loss_object, y, p), rel=1e-9)
    _assert_gradient(
        losses.label_smoothed_categorical_crossentropy, losses.label_smoothed_categorical_crossentropy_grad, y, p, **kwargs
    )
    if label_smoothing == 0.0:
        assert actual == losses.categorical_crossentropy(y, p, from_logits=from_logits)


def test_label_smoothing_is_minimal_at_the_smoothed_targets_with_finite_logits():
    y = np.eye(3)
    smoothed = y * 0.9 + 0.1 / 3
    best = losses.label_smoothed_categorical_crossentropy(y, smoothed)
    assert best == pytest.approx(stats.entropy(smoothed[0]), rel=1e-12)
    assert losses.label_smoothed_categorical_crossentropy(y, np.log(smoothed), from_logits=True) == pytest.approx(best)
    np.testing.assert_allclose(
        losses.label_smoothed_categorical_crossentropy_grad(y, np.log(smoothed), from_logits=True), 0.0, atol=1e-15
    )
    # Ever larger logits for the true class now cost more, not less.
    confident = 20.0 * y
    assert losses.label_smoothed_categorical_crossentropy(y, confident, from_logits=True) > best + 1.0


@pytest.mark.parametrize("label_smoothing", [1.0, -0.1, 2, np.nan, "0.1"])
def test_label_smoothing_must_lie_in_0_1(label_smoothing):
    for function in (losses.label_smoothed_categorical_crossentropy, losses.label_smoothed_categorical_crossentropy_grad):
        with pytest.raises(ValueError, match=r"`label_smoothing` must be a number in \[0, 1\); got .*label_smoothing=0\.1"):
            function(np.eye(2), [[0.6, 0.4], [0.3, 0.7]], label_smoothing=label_smoothing)


def test_label_smoothing_needs_rows_like_categorical_crossentropy():
    with pytest.raises(ValueError, match=r"^label_smoothed_categorical_crossentropy expects one-hot rows"):
        losses.label_smoothed_categorical_crossentropy([0, 1], [[0.6, 0.4], [0.3, 0.7]])
    with pytest.raises(ValueError, match=r"`y_pred` rows must each sum to 1.*from_logits=True"):
        losses.label_smoothed_categorical_crossentropy(np.eye(2), [[0.6, 0.6], [0.3, 0.7]])


# ---------------------------------------------------------------------------
# Categorical focal cross-entropy
# ---------------------------------------------------------------------------

CATEGORICAL_FOCAL = [
    {},  # Keras' defaults, alpha=0.25 and gamma=2
    {"alpha": 1.0, "gamma": 0.0},
    {"alpha": 0.5, "gamma": 0.5},
    {"alpha": 1.0, "gamma": 1.0},
    {"alpha": 2.0, "gamma": 3.0},
]


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("options", CATEGORICAL_FOCAL, ids=str)
def test_categorical_focal_equals_keras_and_has_its_gradient(options, from_logits):
    y, p = _class_rows(from_logits)
    loss_object = keras.losses.CategoricalFocalCrossentropy(from_logits=from_logits, reduction=None, dtype="float64", **options)
    expected = np.asarray(loss_object(y, p))
    actual = losses.categorical_focal_crossentropy(y, p, from_logits=from_logits, reduction="none", **options)
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)
    assert losses.categorical_focal_crossentropy(y, p, from_logits=from_logits, **options) == pytest.approx(
        _keras_mean(keras.losses.CategoricalFocalCrossentropy(from_logits=from_logits, dtype="float64", **options), y, p),
        rel=1e-9,
    )
    _assert_gradient(
        losses.categorical_focal_crossentropy,
        losses.categorical_focal_crossentropy_grad,
        y,
        p,
        from_logits=from_logits,
        **options,
    )


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_focal_without_focusing_is_categorical_crossentropy(from_logits):
    y, p = _class_rows(from_logits, classes=3)
    y[:2] = _rng(4).dirichlet(np.ones(3), size=2)  # soft targets too
    kwargs = {"alpha": 1.0, "gamma": 0.0, "from_logits": from_logits}
    cce = losses.categorical_crossentropy(y, p, from_logits=from_logits, reduction="none")
    np.testing.assert_array_equal(losses.categorical_focal_crossentropy(y, p, reduction="none", **kwargs), cce)
    np.testing.assert_allclose(
        losses.categorical_focal_crossentropy_grad(y, p, **kwargs),
        losses.categorical_crossentropy_grad(y, p, from_logits=from_logits),
        rtol=1e-12,
        atol=1e-15,
    )
    # alpha multiplies the loss and the gradient, nothing else.
    np.testing.assert_allclose(
        losses.categorical_focal_crossentropy(y, p, alpha=0.25, gamma=0.0, from_logits=from_logits, reduction="none"),
        0.25 * cce,
        rtol=1e-15,
    )


def test_categorical_focal_shrinks_easy_examples_and_is_zero_at_a_perfect_prediction():
    y = np.eye(3)[[0, 1]]
    p = np.array([[0.95, 0.03, 0.02], [0.3, 0.4, 0.3]])
    cce = losses.categorical_crossentropy(y, p, reduction="none")
    ratio = losses.categorical_focal_crossentropy(y, p, alpha=1.0, reduction="none") / cce
    np.testing.assert_allclose(ratio, [0.05**2, 0.6**2], rtol=1e-12)
    # 0 loss and 0 gradient, also for gamma < 1 (where (1 - p)**(gamma - 1) is infinite), and from logits of +-40.
    for gamma in (0.5, 2.0):
        assert losses.categorical_focal_crossentropy(np.eye(3), np.eye(3), gamma=gamma) == 0.0
        np.testing.assert_array_equal(losses.categorical_focal_crossentropy_grad(np.eye(3), np.eye(3), gamma=gamma), 0.0)
        logits = 40.0 * (2.0 * np.eye(3) - 1.0)
        assert losses.categorical_focal_crossentropy(np.eye(3), logits, gamma=gamma, from_logits=True) < 1e-30
        np.testing.assert_allclose(
            losses.categorical_focal_crossentropy_grad(np.eye(3), logits, gamma=gamma, from_logits=True), 0.0, atol=1e-30
        )


@pytest.mark.parametrize(
    "options, message",
    [
        ({"gamma": -1.0}, r"`gamma` must be a finite number >= 0; got -1\.0\. Pass e\.g\. gamma=2\.0\."),
        ({"gamma": np.inf}, r"`gamma` must be a finite number >= 0; got inf\."),
        ({"alpha": 0.0}, r"`alpha` must be a positive, finite number; got 0\.0\. Pass e\.g\. alpha=0\.25\."),
        ({"alpha": -0.25}, r"`alpha` must be a positive, finite number; got -0\.25\."),
        ({"alpha": [0.25, 0.5]}, r"`alpha` must be a positive, finite number; got \[0\.25, 0\.5\]\."),
        ({"alpha": True}, r"`alpha` must be a positive, finite number; got True\."),
        ({"from_logits": "yes"}, r"`from_logits` must be True or False"),
        ({"reduction": "sum_over_batch_size"}, r"'mean', 'sum' or 'none'"),
    ],
)
def test_categorical_focal_options_are_checked(options, message):
    for function in (losses.categorical_focal_crossentropy, losses.categorical_focal_crossentropy_grad):
        with pytest.raises(ValueError, match=message):
            function(np.eye(2), [[0.6, 0.4], [0.3, 0.7]], **options)


def test_categorical_focal_needs_rows_like_categorical_crossentropy():
    with pytest.raises(ValueError, match=r"^categorical_focal_crossentropy expects one-hot rows"):
        losses.categorical_focal_crossentropy([0, 1], [[0.6, 0.4], [0.3, 0.7]])
    with pytest.raises(ValueError, match=r"`y_pred` rows must each sum to 1.*from_logits=True"):
        losses.categorical_focal_crossentropy(np.eye(2), [[0.6, 0.6], [0.3, 0.7]])


# ---------------------------------------------------------------------------
# lossbook's Keras versions of the losses Keras lacks
# ---------------------------------------------------------------------------


def test_keras_versions_equal_the_numpy_losses():
    from lossbook import keras_losses

    rng = _rng()
    y = rng.normal(size=N)
    p = rng.normal(size=N)
    assert _keras_mean(keras_losses.PinballLoss(quantile=0.8, dtype="float64"), y, p[:, None]) == pytest.approx(
        losses.pinball_loss(y, p, quantile=0.8), rel=1e-12
    )
    y_pred = np.column_stack([p, rng.normal(size=N)])
    assert _keras_mean(keras_losses.GaussianNLL(dtype="float64"), y, y_pred) == pytest.approx(
        losses.gaussian_nll(y, y_pred), rel=1e-12
    )
    labels = rng.integers(0, 2, size=N).astype(float)
    probabilities = rng.uniform(0.02, 0.98, size=N)
    for from_logits, prediction in ((False, probabilities), (True, special.logit(probabilities))):
        loss_object = keras_losses.WeightedBinaryCrossentropy(
            pos_weight=3.0, neg_weight=0.5, from_logits=from_logits, dtype="float64"
        )
        expected = losses.weighted_binary_crossentropy(
            labels, prediction, pos_weight=3.0, neg_weight=0.5, from_logits=from_logits
        )
        assert _keras_mean(loss_object, labels, prediction[:, None]) == pytest.approx(expected, rel=1e-12)


def test_keras_versions_survive_a_config_round_trip():
    from lossbook import keras_losses

    loss_object = keras_losses.WeightedBinaryCrossentropy(pos_weight=3.0)
    again = keras.losses.deserialize(keras.losses.serialize(loss_object))
    assert type(again) is keras_losses.WeightedBinaryCrossentropy and again.options["pos_weight"] == 3.0
    assert keras.losses.deserialize(keras.losses.serialize(keras_losses.PinballLoss(0.1))).options == {"quantile": 0.1}
