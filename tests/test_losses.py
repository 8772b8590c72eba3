"""Tests for lossbook.losses and the shared checks in lossbook._validation.

The registry ``registry.LOSSES`` drives the properties every loss must have;
the worked examples of the course brief are checked exactly; every deliberate
difference from Keras and scikit-learn is pinned down by a test that shows
both behaviours.
"""

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import special, stats
from sklearn import metrics

from lossbook import losses, optim, registry

keras = pytest.importorskip("keras")

# Any warning raised by lossbook, Keras or scikit-learn fails the test, unless
# the test expects it with pytest.warns.
pytestmark = pytest.mark.filterwarnings("error")

N, K = 6, 3
BITS = math.log(2.0)

#: Each loss's registry row with its NumPy functions, as the properties below read them.
LOSSES = {
    row.name: SimpleNamespace(
        **dataclasses.asdict(row), loss=losses.function(row), grad=losses.gradient(row), from_logits=row.accepts_logits
    )
    for row in registry.LOSSES.values()
}

#: Negative log-likelihoods whose smallest value is not 0 and can be negative.
UNBOUNDED = {"poisson", "gaussian_nll"}


# ---------------------------------------------------------------------------
# Random inputs for every loss, driven by the registry's metadata
# ---------------------------------------------------------------------------


def _targets(kind, shape, rng):
    if kind == "real":
        return rng.normal(size=shape)
    if kind == "non-negative":
        return rng.exponential(size=shape)
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype(float)
    if kind == "signed":
        return rng.choice([-1.0, 1.0], size=shape)
    if kind == "one-hot":
        return np.eye(shape[1])[rng.integers(0, shape[1], size=shape[0])]
    if kind == "distribution":
        return rng.dirichlet(np.ones(shape[1]), size=shape[0])
    if kind == "index":
        return rng.integers(0, K, size=shape).astype(float)
    raise AssertionError(f"unknown target kind {kind!r}")


def _predictions(info, shape, rng, from_logits):
    if from_logits:
        return rng.normal(scale=3.0, size=shape)
    kind = info.y_pred
    if kind == "real":
        return rng.normal(size=shape)
    if kind == "non-negative":
        return rng.exponential(size=shape)
    if kind == "probability":
        return rng.uniform(0.02, 0.98, size=shape)
    if kind == "score" and info.task == "multiclass":
        # Non-negative, like the softmax outputs categorical hinge is used with.
        return rng.uniform(0.0, 1.5, size=shape)
    if kind == "score":
        return rng.normal(scale=1.5, size=shape)
    if kind == "distribution":
        return special.softmax(rng.normal(size=shape), axis=1)
    if kind == "mean-log-variance":
        return np.column_stack([rng.normal(size=shape[0]), rng.normal(scale=0.7, size=shape[0])])
    raise AssertionError(f"unknown prediction kind {kind!r}")


def _true_shapes(info):
    if info.y_true == "index" or info.y_pred == "mean-log-variance":
        return [(N,), (N, 1)]
    if info.task == "multiclass":
        return [(N, K)]
    return [(N,), (N, 1), (N, K)]


#: Every loss, option and target shape the properties below are checked on,
#: by name: "binary_crossentropy-logits-6x1" is (name, from_logits, shape).
CASES = {
    f"{name}{'-logits' if from_logits else ''}-{'x'.join(map(str, shape))}": (name, from_logits, shape)
    for name, info in LOSSES.items()
    for from_logits in ((False, True) if info.from_logits else (False,))
    for shape in _true_shapes(info)
}


def _failures(cases, check):
    """Run ``check(*arguments)`` on every case; one line per failing case, starting with its name.

    A property is one test item that runs every loss, not one item per loss,
    option and shape: the suite stays small as losses are added, and a failure
    still names each broken case, all of them at once.
    """
    failures = []
    for case, arguments in cases.items():
        try:
            check(*arguments)
        except (Exception, pytest.fail.Exception) as error:  # noqa: BLE001 - reported below, with the case's name
            failures.append(f"{case}: {type(error).__name__}: {error}")
    return failures


def _assert_every(cases, check):
    failures = _failures(cases, check)
    if failures:
        pytest.fail(f"{len(failures)} of {len(cases)} cases fail:\n" + "\n".join(failures), pytrace=False)


def test_every_failing_case_is_named_and_only_those():
    """A broken loss fails a property in any of three ways: each of its cases is named, no other."""

    def check(name, from_logits, shape):
        if name == "huber":
            assert shape != (N, 1), "wrong value"
            if shape == (N,):
                with pytest.raises(ValueError):  # raises nothing
                    pass
            raise FloatingPointError("overflow")

    failures = _failures(CASES, check)
    assert [line.split(": ")[0] for line in failures] == [case for case in CASES if case.startswith("huber-")]
    assert [line.split(": ")[1] for line in failures] == ["Failed", "AssertionError", "FloatingPointError"]
    with pytest.raises(pytest.fail.Exception, match=rf"^3 of {len(CASES)} cases fail:\nhuber-6: Failed: DID NOT RAISE"):
        _assert_every(CASES, check)


def _make(name, from_logits, shape, seed=0):
    """Inputs for one case: info, y_true, y_pred and the keyword arguments."""
    info = LOSSES[name]
    rng = np.random.default_rng(seed)
    y_true = _targets(info.y_true, shape, rng)
    pred_shape = (N, K) if info.task == "multiclass" else (N, 2) if info.y_pred == "mean-log-variance" else shape
    y_pred = _predictions(info, pred_shape, rng, from_logits)
    kwargs = {"from_logits": True} if from_logits else {}
    return info, y_true, y_pred, kwargs


def _smoothed(y_true, label_smoothing=0.1):
    return y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[1]


def _perfect(info, y_true, from_logits, y_pred=None):
    """A prediction with the smallest possible loss for these targets (for a Gaussian, at y_pred's variances)."""
    if info.y_pred == "mean-log-variance":
        return np.column_stack([y_true.ravel(), y_pred[:, 1]])
    if info.name == "label_smoothed_categorical_crossentropy":
        smoothed = _smoothed(y_true)
        return np.log(smoothed) if from_logits else smoothed
    if info.y_true == "index":
        y_true = np.eye(K)[y_true.ravel().astype(int)]
    if from_logits:
        return 40.0 * (2.0 * y_true - 1.0)
    return y_true.copy()


def _smallest(info, y_true, y_pred):
    """The mean loss at the perfect prediction, computed independently of lossbook."""
    if info.name == "poisson":
        y = y_true if y_true.ndim == 2 else y_true[:, None]
        return float(np.mean(np.mean(y - special.xlogy(y, y), axis=1)))
    if info.name == "gaussian_nll":
        return float(np.mean(-stats.norm.logpdf(0.0, 0.0, np.exp(y_pred[:, 1] / 2))))
    if info.name == "label_smoothed_categorical_crossentropy":
        return float(np.mean(stats.entropy(_smoothed(y_true), axis=1)))
    return 0.0


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------


def test_registry_lists_every_loss_with_its_gradient():
    public = [n for n in losses.__all__ if not n.endswith("_grad") and n.islower() and n not in ("function", "gradient")]
    assert sorted(registry.LOSSES) == sorted(public)
    assert len(registry.LOSSES) == 22
    for name, row in registry.LOSSES.items():
        assert losses.function(name) is losses.function(row) is getattr(losses, name)
        assert losses.function(name).__name__ == name
        assert losses.gradient(name) is losses.gradient(row) is getattr(losses, f"{name}_grad")
        for alias in row.aliases:
            assert losses.function(alias) is losses.function(name)
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        losses.function("nope")


def test_the_retired_records_answer_for_one_release_with_a_warning():
    with pytest.warns(DeprecationWarning, match=r"losses\.LOSSES is retired.*registry\.LOSSES.*losses\.function"):
        old = losses.LOSSES
    assert list(old) == list(registry.LOSSES)
    assert old["huber"].loss is losses.huber and old["huber"].grad is losses.huber_grad
    assert old["binary_crossentropy"].from_logits is True
    with pytest.warns(DeprecationWarning, match=r"losses\.LossInfo is retired"):
        assert isinstance(old["huber"], losses.LossInfo)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        losses.nothing  # noqa: B018


# Pinball, Gaussian NLL, weighted and symmetric cross-entropy and the classification MAE are not in Keras; label
# smoothing is an option of its CCE, and its generalised cross-entropy function has no default q.
KERAS_NAMED = [n for n, row in registry.LOSSES.items() if row.keras_class is not None and not row.keras_options]


def _check_keras_name(name):
    assert keras.losses.get(name) is getattr(keras.losses, name)


def test_registry_names_are_keras_loss_names():
    assert KERAS_NAMED
    _assert_every({name: (name,) for name in KERAS_NAMED}, _check_keras_name)


# ---------------------------------------------------------------------------
# Properties every loss has
# ---------------------------------------------------------------------------


def _reductions_are_consistent(name, from_logits, shape):
    info, y_true, y_pred, kw = _make(name, from_logits, shape)
    per_example = info.loss(y_true, y_pred, reduction="none", **kw)
    mean = info.loss(y_true, y_pred, reduction="mean", **kw)
    total = info.loss(y_true, y_pred, reduction="sum", **kw)
    assert per_example.shape == (N,) and per_example.dtype == np.float64
    assert type(mean) is float and type(total) is float
    assert mean == info.loss(y_true, y_pred, **kw)  # "mean" is the default
    assert total == pytest.approx(mean * N, rel=1e-12)
    assert total == pytest.approx(per_example.sum(), rel=1e-12)


def test_reductions_are_consistent():
    _assert_every(CASES, _reductions_are_consistent)


BOUNDED_CASES = {case: arguments for case, arguments in CASES.items() if arguments[0] not in UNBOUNDED}


def _loss_is_non_negative(name, from_logits, shape):
    for seed in range(5):
        info, y_true, y_pred, kw = _make(name, from_logits, shape, seed=seed)
        assert np.all(info.loss(y_true, y_pred, reduction="none", **kw) >= -1e-12)


def test_loss_is_non_negative():
    _assert_every(BOUNDED_CASES, _loss_is_non_negative)


def _no_example_costs_less_than_its_perfect_prediction(name, from_logits, shape):
    for seed in range(5):
        info, y_true, y_pred, kw = _make(name, from_logits, shape, seed=seed)
        best = info.loss(y_true, _perfect(info, y_true, from_logits, y_pred), reduction="none", **kw)
        assert np.all(info.loss(y_true, y_pred, reduction="none", **kw) >= best - 1e-12)


def test_no_example_costs_less_than_its_perfect_prediction():
    _assert_every(CASES, _no_example_costs_less_than_its_perfect_prediction)


def _loss_is_minimal_at_a_perfect_prediction(name, from_logits, shape):
    info, y_true, y_pred, kw = _make(name, from_logits, shape)
    best = info.loss(y_true, _perfect(info, y_true, from_logits, y_pred), **kw)
    assert best == pytest.approx(_smallest(info, y_true, y_pred), abs=1e-12)
    assert info.loss(y_true, y_pred, **kw) > best


def test_loss_is_minimal_at_a_perfect_prediction():
    _assert_every(CASES, _loss_is_minimal_at_a_perfect_prediction)


def _gradient_equals_central_differences(name, from_logits, shape, reduction):
    info, y_true, y_pred, kw = _make(name, from_logits, shape)

    def loss_at(p):
        return info.loss(y_true, p, reduction=reduction, **kw)

    numerical = optim.numerical_gradient(loss_at, y_pred, eps=1e-6)
    analytic = info.grad(y_true, y_pred, reduction=reduction, **kw)
    assert analytic.shape == y_pred.shape and analytic.dtype == np.float64
    np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-8)


def test_gradient_equals_central_differences():
    _assert_every(
        {f"{case}-{reduction}": (*arguments, reduction) for case, arguments in CASES.items() for reduction in ("mean", "sum")},
        _gradient_equals_central_differences,
    )


def _gradient_reductions(name, from_logits, shape):
    # "none" holds d(loss of example i)/d(y_pred[i, ...]), which equals the
    # gradient of the sum; "mean" is that divided by the number of examples.
    info, y_true, y_pred, kw = _make(name, from_logits, shape)
    g_none = info.grad(y_true, y_pred, reduction="none", **kw)
    g_sum = info.grad(y_true, y_pred, reduction="sum", **kw)
    g_mean = info.grad(y_true, y_pred, **kw)
    np.testing.assert_array_equal(g_none, g_sum)
    np.testing.assert_allclose(g_mean * N, g_sum, rtol=1e-12, atol=1e-15)


def test_gradient_reductions():
    _assert_every(CASES, _gradient_reductions)


# Keras' log_cosh subtracts log(2) computed in float32 (off by 2e-9).
KERAS_ATOL = {"log_cosh": 1e-8}


def _keras_function(name):
    """The Keras function giving the same per-example values as lossbook's loss ``name`` (with its defaults)."""
    from lossbook import keras_losses

    if name == "poisson":  # Keras takes log(y_pred + 1e-7), lossbook log(y_pred)
        return lambda y, p: keras.losses.poisson(y, p - losses.EPSILON) + losses.EPSILON
    if name == "label_smoothed_categorical_crossentropy":
        return lambda y, p, **kw: keras.losses.categorical_crossentropy(y, p, label_smoothing=0.1, **kw)
    if name == "generalized_cross_entropy":  # Keras takes probabilities only, and labels of shape (n,)
        return lambda y, p, from_logits=False: keras.losses.categorical_generalized_cross_entropy(
            y.ravel(), special.softmax(p, axis=1) if from_logits else p, q=0.5
        )
    if registry.LOSSES[name].keras_class is None:  # lossbook's own Keras version
        return getattr(keras_losses, name)
    return getattr(keras.losses, name)


def _equals_keras(name, from_logits, shape):
    info, y_true, y_pred, kw = _make(name, from_logits, shape)
    expected = np.asarray(_keras_function(name)(y_true, y_pred, **kw))
    if expected.ndim == 0:  # Keras averages a 1-D input to one number
        actual = info.loss(y_true, y_pred, **kw)
    else:
        actual = info.loss(y_true, y_pred, reduction="none", **kw)
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=KERAS_ATOL.get(name, 1e-12))


def test_equals_keras():
    _assert_every(CASES, _equals_keras)


def _probabilities(y_pred, from_logits, multiclass):
    if not from_logits:
        return y_pred
    return special.softmax(y_pred, axis=1) if multiclass else special.expit(y_pred)


def _labels(y_true):
    return y_true.argmax(axis=1) if y_true.shape[1:] == (K,) else y_true.ravel()


# name -> function(y_true, y_pred, from_logits) giving the library's mean loss.
REFERENCE = {
    "mean_squared_error": lambda y, p, logits: metrics.mean_squared_error(y, p),
    "mean_absolute_error": lambda y, p, logits: metrics.mean_absolute_error(y, p),
    "mean_squared_logarithmic_error": lambda y, p, logits: metrics.mean_squared_log_error(y, p),
    "binary_crossentropy": lambda y, p, logits: metrics.log_loss(y.ravel(), _probabilities(p, logits, False).ravel()),
    "hinge": lambda y, p, logits: metrics.hinge_loss(y.ravel(), p.ravel()),
    "categorical_crossentropy": lambda y, p, logits: metrics.log_loss(
        _labels(y), _probabilities(p, logits, True), labels=range(K)
    ),
    "sparse_categorical_crossentropy": lambda y, p, logits: metrics.log_loss(
        _labels(y), _probabilities(p, logits, True), labels=range(K)
    ),
    "kl_divergence": lambda y, p, logits: stats.entropy(y, p, axis=1).mean(),
    "categorical_hinge": lambda y, p, logits: metrics.hinge_loss(_labels(y), p, labels=range(K)),
    "pinball_loss": lambda y, p, logits: metrics.mean_pinball_loss(y, p, alpha=0.5),
    "gaussian_nll": lambda y, p, logits: -stats.norm.logpdf(y.ravel(), p[:, 0], np.exp(p[:, 1] / 2)).mean(),
    "weighted_binary_crossentropy": lambda y, p, logits: metrics.log_loss(y.ravel(), _probabilities(p, logits, False).ravel()),
    # scikit-learn averages over the K columns; the loss sums them.
    "classification_mae": lambda y, p, logits: (
        K * metrics.mean_absolute_error(np.eye(K)[y.ravel().astype(int)], _probabilities(p, logits, True))
    ),
    # cross-entropy = entropy + KL divergence
    "label_smoothed_categorical_crossentropy": lambda y, p, logits: np.mean(
        stats.entropy(_smoothed(y), axis=1) + stats.entropy(_smoothed(y), _probabilities(p, logits, True), axis=1)
    ),
}
# log_loss and hinge_loss have no multi-output (n, k) binary form.
REFERENCE_CASES = {
    case: (name, from_logits, shape)
    for case, (name, from_logits, shape) in CASES.items()
    if name in REFERENCE and not (name in {"binary_crossentropy", "hinge", "weighted_binary_crossentropy"} and shape == (N, K))
}


def _equals_scikit_learn_or_scipy(name, from_logits, shape):
    info, y_true, y_pred, kw = _make(name, from_logits, shape)
    expected = REFERENCE[name](y_true, y_pred, from_logits)
    assert info.loss(y_true, y_pred, **kw) == pytest.approx(expected, rel=1e-9)


def test_equals_scikit_learn_or_scipy():
    _assert_every(REFERENCE_CASES, _equals_scikit_learn_or_scipy)


def _lists_ints_and_float32_are_computed_in_float64(name, from_logits, shape):
    info, y_true, y_pred, kw = _make(name, from_logits, shape)
    reference = info.loss(y_true, y_pred, **kw)
    assert info.loss(y_true.tolist(), y_pred.tolist(), **kw) == reference
    np.testing.assert_array_equal(info.grad(y_true.tolist(), y_pred.tolist(), **kw), info.grad(y_true, y_pred, **kw))
    if np.all(y_true == np.round(y_true)):
        assert info.loss(y_true.astype(int), y_pred, **kw) == reference
    y32, p32 = y_true.astype(np.float32), y_pred.astype(np.float32)
    expected = info.loss(y32.astype(np.float64), p32.astype(np.float64), **kw)
    assert info.loss(y32, p32, **kw) == expected
    assert info.grad(y32, p32, **kw).dtype == np.float64


def test_lists_ints_and_float32_are_computed_in_float64():
    _assert_every(CASES, _lists_ints_and_float32_are_computed_in_float64)


def _extreme(info, from_logits, rng):
    """Logits of +-1000, or probabilities of exactly 0 and 1."""
    multiclass = info.task == "multiclass"
    shape = (N, K) if multiclass else (N,)
    if info.y_pred == "mean-log-variance":  # means of +-1000, standard deviations from 3e-7 to 3e6
        return np.column_stack([rng.choice([-1000.0, 1000.0], size=N), rng.choice([-30.0, 30.0], size=N)])
    if from_logits:
        return rng.choice([-1000.0, 1000.0], size=shape)
    if info.y_pred == "probability":
        return rng.choice([0.0, 1.0], size=shape)
    if info.y_pred == "distribution":
        return np.eye(K)[rng.integers(0, K, size=N)]
    if info.y_pred == "non-negative":
        return rng.choice([0.0, 1000.0], size=shape)
    return rng.choice([-1000.0, 1000.0], size=shape)


FIRST_SHAPE_CASES = {
    case: (name, from_logits, shape)
    for case, (name, from_logits, shape) in CASES.items()
    if shape == _true_shapes(LOSSES[name])[0]
}


def _extreme_predictions_give_finite_loss_and_gradient(name, from_logits, shape):
    info, y_true, _, kw = _make(name, from_logits, shape)
    y_pred = _extreme(info, from_logits, np.random.default_rng(1))
    assert np.all(np.isfinite(info.loss(y_true, y_pred, reduction="none", **kw)))
    assert np.all(np.isfinite(info.grad(y_true, y_pred, **kw)))


def test_extreme_predictions_give_finite_loss_and_gradient():
    _assert_every(FIRST_SHAPE_CASES, _extreme_predictions_give_finite_loss_and_gradient)


# ---------------------------------------------------------------------------
# The course brief's worked examples
# ---------------------------------------------------------------------------

REGRESSION_Y = [-3, -1, -2, 1, -1, 1, 2, 1, 3, 4, 3, 5]
REGRESSION_YHAT = [-2, 1, -1, 0, -1, 1, 2, 2, 3, 3, 3, 5]
BINARY_Y = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
BINARY_P = [0.7, 0.9, 0.8, 0.8, 0.6, 0.2, 0.1, 0.4, 0.1, 0.3]
COLOURS_P = np.array([0.10, 0.30, 0.05, 0.90, 0.65, 0.21])
COLOURS_Q = np.array([0.70, 0.55, 0.15, 0.04, 0.25, 0.45])


def test_mse_and_mae_worked_example():
    assert losses.mean_squared_error(REGRESSION_Y, REGRESSION_YHAT) == 0.75
    assert losses.mean_absolute_error(REGRESSION_Y, REGRESSION_YHAT) == pytest.approx(7 / 12)
    assert metrics.mean_squared_error(REGRESSION_Y, REGRESSION_YHAT) == 0.75
    assert losses.mean_squared_error([2.89], [3.07]) == pytest.approx(0.0324)


def test_binary_crossentropy_worked_example():
    per_example = losses.binary_crossentropy(BINARY_Y, BINARY_P, reduction="none")
    np.testing.assert_array_equal(
        np.round(per_example, 3),
        [0.357, 0.105, 0.223, 0.223, 0.511, 0.223, 0.105, 0.511, 0.105, 0.357],
    )
    mean = losses.binary_crossentropy(BINARY_Y, BINARY_P)
    assert round(mean, 3) == 0.272
    assert mean == pytest.approx(metrics.log_loss(BINARY_Y, BINARY_P), rel=1e-12)


def _in_nats_and_bits(loss, y_true, y_pred, nats, bits):
    value = loss(y_true, y_pred)
    assert round(value, 3) == nats
    assert round(value / BITS, 3) == bits


def test_cross_entropy_in_nats_and_bits():
    _assert_every(
        {
            "bce-1-0.8": (losses.binary_crossentropy, 1, 0.8, 0.223, 0.322),
            "bce-0-0.1": (losses.binary_crossentropy, 0, 0.1, 0.105, 0.152),
            "cce-0.7": (losses.categorical_crossentropy, [[1, 0, 0]], [[0.7, 0.2, 0.1]], 0.357, 0.515),
        },
        _in_nats_and_bits,
    )


def test_kl_divergence_colours_example():
    p, q = COLOURS_P / COLOURS_P.sum(), COLOURS_Q / COLOURS_Q.sum()
    forward, backward = losses.kl_divergence([p], [q]), losses.kl_divergence([q], [p])
    assert (round(forward, 3), round(forward / BITS, 3)) == (1.249, 1.802)
    assert (round(backward, 3), round(backward / BITS, 3)) == (0.892, 1.287)
    # The reported "2.832 bits" is a natural-log sum over the unnormalised
    # vectors; lossbook refuses them.
    assert round(special.rel_entr(COLOURS_P, COLOURS_Q).sum(), 3) == 2.832
    with pytest.raises(ValueError, match=r"`y_true` rows must each sum to 1.*2\.21"):
        losses.kl_divergence([COLOURS_P], [COLOURS_Q])


def test_rows_not_summing_to_one_are_rejected_where_others_differ():
    y = np.eye(3)
    p = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.2], [0.1, 0.2, 0.7]])
    with pytest.raises(ValueError, match=r"row 1 summing to 1\.1.*from_logits=True"):
        losses.categorical_crossentropy(y, p)
    # scikit-learn 1.9 warns and uses the rows as given ...
    with pytest.warns(UserWarning, match="do not sum to one"):
        assert round(metrics.log_loss([0, 1, 2], p), 4) == 0.2284
    # ... while Keras (and scikit-learn up to 1.4) renormalise each row.
    assert round(float(np.mean(keras.losses.categorical_crossentropy(y, p))), 4) == 0.2602
    normalised = p / p.sum(axis=1, keepdims=True)
    assert round(losses.categorical_crossentropy(y, normalised), 4) == 0.2602


def test_keras_docstring_examples():
    assert round(losses.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 3) == 0.155
    assert round(losses.log_cosh([[0, 1], [0, 0]], [[1, 1], [0, 0]]), 3) == 0.108
    bce = losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], reduction="none")
    np.testing.assert_allclose(bce, [0.916, 0.714], atol=1e-3)
    scce = losses.sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], reduction="none")
    np.testing.assert_allclose(scce, [0.0513, 2.303], atol=1e-3)


def test_hinge_is_zero_beyond_margin_one_and_linear_inside():
    values = losses.hinge([1, 1, 1, 1], [2.0, 1.0, 0.5, -1.0], reduction="none")
    np.testing.assert_array_equal(values, [0.0, 0.0, 0.5, 2.0])
    squared = losses.squared_hinge([1, 1, 1, 1], [2.0, 1.0, 0.5, -1.0], reduction="none")
    np.testing.assert_array_equal(squared, [0.0, 0.0, 0.25, 4.0])


def test_huber_is_quadratic_inside_delta_and_its_gradient_is_clipped():
    errors = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    values = losses.huber(np.zeros(5), errors, delta=2.0, reduction="none")
    np.testing.assert_allclose(values, [4.0, 0.125, 0.0, 0.125, 4.0])
    grads = losses.huber_grad(np.zeros(5), errors, delta=2.0, reduction="sum")
    np.testing.assert_array_equal(grads, [-2.0, -0.5, 0.0, 0.5, 2.0])


def test_mae_gradient_has_constant_magnitude():
    grads = losses.mean_absolute_error_grad(np.zeros(4), [-100.0, -0.01, 0.01, 100.0])
    np.testing.assert_array_equal(grads, [-0.25, -0.25, 0.25, 0.25])


def test_kl_divergence_is_cross_entropy_minus_entropy():
    rng = np.random.default_rng(0)
    y = rng.dirichlet(np.ones(K), size=N)
    p = rng.dirichlet(np.ones(K), size=N)
    cross = losses.categorical_crossentropy(y, p, reduction="none")
    np.testing.assert_allclose(losses.kl_divergence(y, p, reduction="none"), cross - stats.entropy(y, axis=1))


def test_sparse_equals_categorical_with_one_hot_rows():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, K, size=N)
    logits = rng.normal(size=(N, K))
    for from_logits, y_pred in ((True, logits), (False, special.softmax(logits, axis=1))):
        one_hot = np.eye(K)[labels]
        assert losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits) == pytest.approx(
            losses.categorical_crossentropy(one_hot, y_pred, from_logits=from_logits)
        )
        np.testing.assert_allclose(
            losses.sparse_categorical_crossentropy_grad(labels, y_pred, from_logits=from_logits),
            losses.categorical_crossentropy_grad(one_hot, y_pred, from_logits=from_logits),
        )


# ---------------------------------------------------------------------------
# Numerical stability
# ---------------------------------------------------------------------------


def test_binary_crossentropy_with_logits_of_1000():
    y, z = [1, 0, 1, 0], [1000.0, -1000.0, -1000.0, 1000.0]
    values = losses.binary_crossentropy(y, z, from_logits=True, reduction="none")
    np.testing.assert_array_equal(values, [0.0, 0.0, 1000.0, 1000.0])
    grads = losses.binary_crossentropy_grad(y, z, from_logits=True, reduction="sum")
    np.testing.assert_array_equal(grads, [0.0, 0.0, -1.0, 1.0])
    keras_values = keras.losses.binary_crossentropy(np.array(y, float)[:, None], np.array(z)[:, None], from_logits=True)
    np.testing.assert_array_equal(values, np.asarray(keras_values))


def test_categorical_crossentropy_with_logits_of_1000():
    z = np.array([[1000.0, -1000.0, 0.0]] * 3)
    y = np.eye(3)
    values = losses.categorical_crossentropy(y, z, from_logits=True, reduction="none")
    np.testing.assert_array_equal(values, [0.0, 2000.0, 1000.0])
    sparse = losses.sparse_categorical_crossentropy([0, 1, 2], z, from_logits=True, reduction="none")
    np.testing.assert_array_equal(sparse, values)
    grads = losses.categorical_crossentropy_grad(y, z, from_logits=True, reduction="sum")
    np.testing.assert_array_equal(grads, [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0], [1.0, 0.0, -1.0]])
    keras_values = keras.losses.categorical_crossentropy(y, z, from_logits=True)
    np.testing.assert_allclose(values, np.asarray(keras_values), atol=1e-9)


def test_probabilities_of_exactly_zero_and_one():
    floor = -math.log(losses.EPSILON)  # 16.118
    values = losses.binary_crossentropy([1, 0, 1, 0], [1.0, 0.0, 0.0, 1.0], reduction="none")
    np.testing.assert_allclose(values, [0.0, 0.0, floor, floor], rtol=1e-15)
    assert values[0] == 0.0 and values[1] == 0.0
    grads = losses.binary_crossentropy_grad([1, 0, 1, 0], [1.0, 0.0, 0.0, 1.0], reduction="sum")
    np.testing.assert_array_equal(grads, [-1.0, 1.0, 0.0, 0.0])
    one_hot = np.eye(3)
    assert losses.categorical_crossentropy(one_hot, one_hot) == 0.0
    wrong = losses.categorical_crossentropy(one_hot, one_hot[[1, 2, 0]], reduction="none")
    np.testing.assert_allclose(wrong, [floor] * 3, rtol=1e-15)
    assert losses.kl_divergence(one_hot, one_hot) == 0.0
    assert np.all(np.isfinite(losses.kl_divergence_grad(one_hot, one_hot[[1, 2, 0]])))


def test_wrong_label_losses_at_probabilities_of_exactly_zero_and_one():
    from lossbook import keras_losses

    y, p = np.array([0, 1]), np.array([[0.0, 1.0], [0.0, 1.0]])  # a label contradicted completely, and one fitted
    floor = -math.log(losses.EPSILON)  # 16.118
    sce = losses.symmetric_cross_entropy(y, p, reduction="none")
    np.testing.assert_allclose(sce, [0.1 * floor + 4.0, 0.0], rtol=1e-15)
    np.testing.assert_allclose(np.asarray(keras_losses.symmetric_cross_entropy(y, p)), sce, rtol=1e-12)
    # The floor holds the cross-entropy term's derivative at 0; the reverse term pulls with -beta * log_zero.
    np.testing.assert_array_equal(losses.symmetric_cross_entropy_grad(y, p, reduction="sum"), [[0.0, 4.0], [4.0, -0.1]])
    np.testing.assert_array_equal(losses.generalized_cross_entropy(y, p, q=0.5, reduction="none"), [2.0, 0.0])
    np.testing.assert_array_equal(losses.classification_mae(y, p, reduction="none"), [2.0, 0.0])


def test_wrong_label_keras_classes_take_the_settings_of_the_numpy_losses():
    from lossbook import keras_losses

    rng = np.random.default_rng(3)
    y, z = rng.integers(0, K, size=N), rng.normal(scale=3.0, size=(N, K))
    p = special.softmax(z, axis=1)
    pairs = [
        (
            keras.losses.CategoricalGeneralizedCrossEntropy(q=0.7, reduction=None, dtype="float64")(y, p),
            losses.generalized_cross_entropy(y, p, q=0.7, reduction="none"),
        ),
        (
            keras_losses.SymmetricCrossentropy(
                alpha=1.0, beta=0.5, log_zero=-2.0, from_logits=True, reduction=None, dtype="float64"
            )(y, z),
            losses.symmetric_cross_entropy(y, z, alpha=1.0, beta=0.5, log_zero=-2.0, from_logits=True, reduction="none"),
        ),
        (
            keras_losses.ClassificationMAE(from_logits=True, reduction=None, dtype="float64")(y, z),
            losses.classification_mae(y, z, from_logits=True, reduction="none"),
        ),
    ]
    for keras_values, numpy_values in pairs:
        np.testing.assert_allclose(np.asarray(keras_values), numpy_values, rtol=1e-9, atol=1e-12)


def test_log_cosh_of_huge_errors():
    assert losses.log_cosh([0.0], [1000.0]) == pytest.approx(1000.0 - math.log(2.0))
    assert losses.log_cosh([0.0], [-1000.0]) == pytest.approx(1000.0 - math.log(2.0))
    np.testing.assert_array_equal(losses.log_cosh_grad([0.0, 0.0], [-1000.0, 1000.0], reduction="sum"), [-1.0, 1.0])


# ---------------------------------------------------------------------------
# Deliberate differences from Keras and scikit-learn
# ---------------------------------------------------------------------------


def test_msle_rejects_negative_values_that_keras_clamps():
    y_true, y_pred = np.array([[0.5]]), np.array([[-0.5]])
    keras_value = float(np.asarray(keras.losses.mean_squared_logarithmic_error(y_true, y_pred))[0])
    clamped = (math.log1p(1e-7) - math.log1p(0.5)) ** 2
    assert keras_value == pytest.approx(clamped)  # Keras: -0.5 becomes 1e-7
    assert metrics.mean_squared_log_error([0.5], [-0.5]) == pytest.approx(
        (math.log1p(-0.5) - math.log1p(0.5)) ** 2
    )  # scikit-learn: anything above -1 is taken
    with pytest.raises(ValueError, match=r"`y_pred` must be >= 0.*silently clip"):
        losses.mean_squared_logarithmic_error(y_true, y_pred)
    with pytest.raises(ValueError, match=r"`y_true` must be >= 0"):
        losses.mean_squared_logarithmic_error_grad(-y_true, -y_pred)
    # For an exact zero Keras takes log1p(1e-7), lossbook log1p(0) = 0.
    lossbook_zero = losses.mean_squared_logarithmic_error([0.0], [1.0])
    keras_zero = float(keras.losses.mean_squared_logarithmic_error(np.array([0.0]), np.array([1.0])))
    assert lossbook_zero == math.log1p(1.0) ** 2
    assert 0 < lossbook_zero - keras_zero < 1e-6


def test_column_and_flat_shapes_are_not_mixed():
    y, p = np.arange(4.0), np.arange(4.0)[:, None] + 1.0
    assert float(keras.losses.mean_squared_error(y, p).numpy().mean()) == 1.0  # squeezed
    assert metrics.mean_squared_error(y, p) == 1.0
    with pytest.raises(ValueError, match=r"same shape.*y_true.shape=\(4,\).*\.ravel\(\)"):
        losses.mean_squared_error(y, p)
    assert losses.mean_squared_error(y, p.ravel()) == 1.0


def test_probability_ends_floor_the_log_not_the_probability():
    y, p = np.array([1.0, 1.0]), np.array([1.0, 0.0])
    lossbook_values = losses.binary_crossentropy(y, p, reduction="none")
    keras_values = np.asarray(keras.losses.binary_crossentropy(y[:, None], p[:, None]))
    assert lossbook_values[0] == 0.0
    assert keras_values[0] == pytest.approx(1e-7, rel=1e-3)  # clipped to 1 - 1e-7
    assert lossbook_values[1] == pytest.approx(keras_values[1]) == pytest.approx(16.118, abs=1e-3)
    # scikit-learn clips at float64 machine epsilon instead of 1e-7.
    sklearn_value = metrics.log_loss([1], [0.0], labels=[0, 1])
    assert sklearn_value == pytest.approx(-math.log(np.finfo(float).eps))
    assert round(sklearn_value, 2) == 36.04


def test_kl_divergence_zero_targets_add_nothing():
    y = np.eye(3)
    p = special.softmax(np.random.default_rng(0).normal(size=(3, 3)), axis=1)
    lossbook_values = losses.kl_divergence(y, p, reduction="none")
    np.testing.assert_array_equal(lossbook_values, losses.categorical_crossentropy(y, p, reduction="none"))
    keras_values = np.asarray(keras.losses.kl_divergence(y, p))  # y clipped to 1e-7
    assert np.all(np.abs(lossbook_values - keras_values) > 1e-7)
    np.testing.assert_allclose(lossbook_values, keras_values, atol=1e-5)


def test_hinge_labels_zero_one_are_converted_and_mixtures_rejected():
    scores = np.array([0.3, 0.8, -0.5])
    signed = losses.hinge([-1, 1, 1], scores)
    assert losses.hinge([0, 1, 1], scores) == signed
    assert float(keras.losses.hinge(np.array([0.0, 1.0, 1.0]), scores)) == pytest.approx(signed)
    assert metrics.hinge_loss([0, 1, 1], scores) == pytest.approx(signed)
    # Keras leaves a mixture unconverted and returns a number.
    assert float(keras.losses.hinge(np.array([-1.0, 0.0, 1.0]), scores)) == pytest.approx((1.3 + 1.0 + 1.5) / 3)
    with pytest.raises(
        ValueError, match=r"^hinge expects labels -1 / \+1 \(or 0 / 1, converted to -1 / \+1\); got \{-1, 0, 1\}\."
    ):
        losses.hinge([-1, 0, 1], scores)
    with pytest.raises(ValueError, match=r"^squared_hinge expects labels -1 / \+1 .*; got \{-1, 0\.3, 1\}\. Hinge losses"):
        losses.squared_hinge_grad([1, 0.3, -1], scores)


def test_sparse_labels_are_not_truncated():
    p = np.array([[0.2, 0.3, 0.5]])
    keras_half = float(keras.losses.sparse_categorical_crossentropy(np.array([0.5]), p)[0])
    assert keras_half == pytest.approx(-math.log(0.2))  # 0.5 became class 0
    with pytest.raises(ValueError, match=r"integer class indices 0\.\.2; got y_true\[0\] = 0\.5"):
        losses.sparse_categorical_crossentropy([0.5], p)
    import tensorflow as tf

    with pytest.raises(tf.errors.InvalidArgumentError):
        keras.losses.sparse_categorical_crossentropy(np.array([3]), p)
    with pytest.raises(ValueError, match=r"one per column.*got y_true\[0\] = 3.*y_true - 1"):
        losses.sparse_categorical_crossentropy([3], p)


def test_categorical_hinge_with_negative_scores():
    y = np.eye(3)[[0]]
    non_negative, negative = np.array([[0.7, 0.2, 0.1]]), np.array([[0.2, -0.3, -0.6]])
    for scores in (non_negative, negative):
        expected = float(keras.losses.categorical_hinge(y, scores)[0])
        assert losses.categorical_hinge(y, scores) == pytest.approx(expected)
    assert losses.categorical_hinge(y, non_negative) == pytest.approx(metrics.hinge_loss([0], non_negative, labels=[0, 1, 2]))
    # Wrong-class scores all negative: Keras and lossbook floor them at 0,
    # scikit-learn's Crammer-Singer hinge uses the largest (-0.3).
    assert losses.categorical_hinge(y, negative) == pytest.approx(0.8)
    assert metrics.hinge_loss([0], negative, labels=[0, 1, 2]) == pytest.approx(0.5)
    with pytest.raises(
        ValueError, match=r"`y_true` must hold labels from \{0, 1\}; got y_true\[0, 0\] = 0\.5.*not probabilities"
    ):
        losses.categorical_hinge([[0.5, 0.5, 0.0]], non_negative)
    with pytest.raises(ValueError, match=r"`y_true` rows must each sum to 1.*one-hot"):
        losses.categorical_hinge([[1, 1, 0]], non_negative)


def test_categorical_losses_need_rows():
    row = np.array([0.7, 0.2, 0.1])
    keras_value = float(keras.losses.categorical_crossentropy(np.array([1.0, 0.0, 0.0]), row))
    assert losses.categorical_crossentropy([[1, 0, 0]], [row]) == pytest.approx(keras_value)
    with pytest.raises(ValueError, match=r"got integer class labels of shape \(3,\).*one_hot.*sparse_categorical_crossentropy"):
        losses.categorical_crossentropy([0, 2, 1], [row] * 3)
    with pytest.raises(ValueError, match=r"`y_pred` must have shape \(n, K\); got shape \(3,\).*\[row\]"):
        losses.categorical_crossentropy([1, 0, 0], row)
    with pytest.raises(ValueError, match=r"`y_pred` must have shape \(n, K\).*\[row\]"):
        losses.kl_divergence([[1, 0, 0]], row)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def _valid(info):
    """Small valid inputs for a loss."""
    if info.task == "multiclass":
        y_true = [0, 1] if info.y_true == "index" else [[1.0, 0.0], [0.0, 1.0]]
        return y_true, [[0.6, 0.4], [0.3, 0.7]]
    if info.y_pred == "mean-log-variance":
        return [1.0, 0.0], [[0.6, 0.0], [0.3, -1.0]]
    if info.y_true == "signed":
        return [1.0, -1.0], [0.5, -0.5]
    return [1.0, 0.0], [0.6, 0.3]


def _with(values, value):
    bad = np.array(values, dtype=float)
    bad.flat[0] = value
    return bad


BAD_INPUTS = {
    "nan": (lambda y, p: (y, _with(p, np.nan)), r"`y_pred` must be finite; got 1 NaN and 0 inf"),
    "inf": (lambda y, p: (_with(y, np.inf), p), r"`y_true` must be finite; got 0 NaN and 1 inf"),
    "empty": (lambda y, p: ([], p), r"`y_true` is empty.*at least one example"),
    "text": (lambda y, p: (y, [str(v) for v in p]), r"must hold real numbers.*dtype=float"),
    "ragged": (lambda y, p: (y, [[1.0, 2.0], [3.0]]), r"could not be read as an array"),
    "three_d": (lambda y, p: (y, np.zeros((2, 2, 2))), r"`y_pred` must have shape"),
    "fewer_rows": (lambda y, p: (y, np.asarray(p)[:1]), r"same shape|one label per row"),
}


def _rejects_bad_input(name, part, bad):
    info = LOSSES[name]
    function = getattr(info, part)
    function(*_valid(info))  # the valid inputs pass
    make, message = BAD_INPUTS[bad]
    with pytest.raises(ValueError, match=message):
        function(*make(*_valid(info)))


def test_every_loss_and_gradient_reject_bad_input():
    _assert_every(
        {
            f"{name}{'_grad' if part == 'grad' else ''}-{bad}": (name, part, bad)
            for name in LOSSES
            for part in ("loss", "grad")
            for bad in BAD_INPUTS
        },
        _rejects_bad_input,
    )


def _rejects_unknown_reduction(name, reduction):
    info = LOSSES[name]
    for function in (info.loss, info.grad):
        with pytest.raises(ValueError, match=r"'mean', 'sum' or 'none'.*sum_over_batch_size"):
            function(*_valid(info), reduction=reduction)


def test_unknown_reduction():
    _assert_every(
        {
            f"{name}-{reduction!r}": (name, reduction)
            for name in LOSSES
            for reduction in ("avg", "sum_over_batch_size", None, "MEAN")
        },
        _rejects_unknown_reduction,
    )


def _from_logits_must_be_a_bool(name):
    with pytest.raises(ValueError, match=r"`from_logits` must be True or False; got 'yes'"):
        LOSSES[name].loss(*_valid(LOSSES[name]), from_logits="yes")


def test_from_logits_must_be_a_bool():
    _assert_every({name: (name,) for name, info in LOSSES.items() if info.from_logits}, _from_logits_must_be_a_bool)


def _huber_rejects_delta(delta):
    for function in (losses.huber, losses.huber_grad):
        with pytest.raises(ValueError, match=r"`delta` must be a positive, finite number"):
            function([0.0], [1.0], delta=delta)


def test_huber_delta_must_be_positive():
    _assert_every({repr(delta): (delta,) for delta in (0.0, -1.0, np.nan, "1", True)}, _huber_rejects_delta)


#: Calls with bad input, each with the message (a regular expression) that must name the problem and the fix.
DOCUMENTED_ERRORS = [
    (
        lambda: losses.mean_squared_error([1.0, 2.0, 3.0], [1.0, 2.0]),
        r"y_true.shape=\(3,\) and y_pred.shape=\(2,\).*different numbers of values",
    ),
    (
        lambda: losses.binary_crossentropy([0, 1, 2], [0.2, 0.7, 0.9]),
        r"`y_true` must lie in \[0, 1\]; got y_true\[2\] = 2.*sparse_categorical",
    ),
    (
        lambda: losses.binary_crossentropy([-1, 1], [0.2, 0.7]),
        r"^binary_crossentropy expects labels 0 / 1; got -1 / \+1\. Map them with \(y_true \+ 1\) // 2\.$",
    ),
    (
        lambda: losses.binary_crossentropy([0, 1], [-2.3, 1.7]),
        r"`y_pred` must lie in \[0, 1\]; got y_pred\[0\] = -2\.3.*from_logits=True",
    ),
    (
        lambda: losses.binary_crossentropy_grad([0, 1], [0.3, 1.5]),
        r"`y_pred` must lie in \[0, 1\].*from_logits=True",
    ),
    (
        lambda: losses.categorical_crossentropy(np.eye(2), [[2.0, -1.0], [0.5, 0.5]]),
        r"`y_pred` must lie in \[0, 1\].*from_logits=True",
    ),
    (
        lambda: losses.categorical_crossentropy(np.eye(2), [[0.5, 0.6], [0.5, 0.5]]),
        r"`y_pred` rows must each sum to 1 \(within 1e-05\).*row 0 summing to 1\.1"
        r".*from_logits=True.*y_pred\.sum\(axis=1, keepdims=True\)",
    ),
    (
        lambda: losses.categorical_crossentropy([[1, 1], [0, 1]], [[0.5, 0.5]] * 2),
        r"`y_true` rows must each sum to 1.*row 0 summing to 2.*np\.eye\(K\)\[labels\]",
    ),
    (
        lambda: losses.sparse_categorical_crossentropy_grad([0, 1], [[0.5, 0.6]] * 2),
        r"`y_pred` rows must each sum to 1.*\(1 more row\(s\) too\)",
    ),
    (
        lambda: losses.kl_divergence([[0.5, 0.5]], [[0.2, 0.2]]),
        r"`y_pred` rows must each sum to 1.*defined between distributions",
    ),
    (
        lambda: losses.kl_divergence([[0.5, 0.5]], [[1.5, -0.5]]),
        r"`y_pred` must lie in \[0, 1\].*softmax",
    ),
    (
        lambda: losses.sparse_categorical_crossentropy([1, 2, 3], [[0.2, 0.3, 0.5]] * 3),
        r"integer class indices 0\.\.2, one per column of `y_pred` \(3 classes\); "
        r"got y_true\[2\] = 3.*y_true - 1",
    ),
    (
        lambda: losses.sparse_categorical_crossentropy([0, 1, 2], [[0.2, 0.3, 0.5]] * 2),
        r"one label per row of `y_pred`; got 3 labels and 2 rows",
    ),
    (
        lambda: losses.sparse_categorical_crossentropy(np.eye(3), [[0.2, 0.3, 0.5]] * 3),
        r"^sparse_categorical_crossentropy expects integer class labels of shape \(n,\) or \(n, 1\); "
        r"got rows of shape \(3, 3\).*argmax\(axis=1\).*categorical_crossentropy",
    ),
    (
        lambda: losses.sparse_categorical_crossentropy([0, 0], [[1.0], [1.0]]),
        r"at least 2 columns.*binary_crossentropy",
    ),
    (
        lambda: losses.categorical_crossentropy([[1.0], [1.0]], [[1.0], [1.0]]),
        r"at least 2 columns.*binary_crossentropy",
    ),
    (
        lambda: losses.hinge([[1, -1]], [[0.5, 2.0, 1.0]]),
        r"same shape.*different numbers of values",
    ),
]


def _raises_documented_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_documented_errors():
    _assert_every(
        {f"{i}: {message[:40]}": (call, message) for i, (call, message) in enumerate(DOCUMENTED_ERRORS)}, _raises_documented_error
    )


def test_scalars_count_as_one_example():
    assert losses.mean_squared_error(2.0, 3.0) == 1.0
    assert losses.binary_crossentropy(1, 1.0, reduction="none").shape == (1,)
    assert losses.mean_squared_error_grad(2.0, 3.0).shape == ()
