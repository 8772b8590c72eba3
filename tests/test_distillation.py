"""lossbook.distillation: soft targets, the distillation loss and its gradient, and the trainer of many networks."""

import numpy as np
import pytest
from scipy import special
from sklearn import metrics

from lossbook import distillation


def _logits(n, k, seed, scale=2.0):
    rng = np.random.default_rng(seed)
    return scale * rng.normal(size=(n, k)), scale * rng.normal(size=(n, k)), rng.integers(0, k, n)


def _kl_by_loop(p, q):
    """KL(p || q) row by row, written out term by term."""
    return np.array([sum(pk * np.log(pk / qk) for pk, qk in zip(row_p, row_q)) for row_p, row_q in zip(p, q)])


# --------------------------------------------------------------------------- values


def test_soft_targets_are_the_softmax_of_the_logits_over_t():
    t, _, _ = _logits(5, 4, 0)
    for temperature in (0.5, 1.0, 3.0):
        expected = np.exp(t / temperature) / np.exp(t / temperature).sum(axis=1, keepdims=True)
        assert np.allclose(distillation.soft_targets(t, temperature), expected, rtol=1e-12)
    flat = distillation.soft_targets(t, 1e6)
    assert np.allclose(flat, 0.25, atol=1e-5)  # a very high temperature flattens every row


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0, 8.0])
def test_the_loss_is_t_squared_times_the_kl_of_softened_probabilities_plus_cross_entropy(temperature):
    t, s, y = _logits(7, 5, 1)
    p, q = special.softmax(t / temperature, axis=1), special.softmax(s / temperature, axis=1)
    soft = temperature**2 * _kl_by_loop(p, q)
    hard = -np.log(special.softmax(s, axis=1)[np.arange(y.size), y])
    for alpha in (0.0, 0.3, 1.0):
        got = distillation.distillation_loss(t, s, temperature=temperature, alpha=alpha, labels=y, reduction="none")
        assert np.allclose(got, alpha * soft + (1 - alpha) * hard, rtol=1e-10)
    assert distillation.distillation_loss(t, s, temperature=temperature, alpha=0.0, labels=y) == pytest.approx(
        metrics.log_loss(y, special.softmax(s, axis=1), labels=np.arange(5)), rel=1e-10
    )


def test_the_loss_is_zero_when_the_student_copies_the_teacher_and_positive_otherwise():
    t, s, _ = _logits(6, 3, 2)
    assert distillation.distillation_loss(t, t + 5.0, temperature=3.0) == pytest.approx(0.0, abs=1e-12)  # a shift is no change
    assert distillation.distillation_loss(t, s, temperature=3.0) > 0


def test_reductions_agree():
    t, s, y = _logits(9, 4, 3)
    kwargs = dict(temperature=2.0, alpha=0.5, labels=y)
    each = distillation.distillation_loss(t, s, reduction="none", **kwargs)
    assert distillation.distillation_loss(t, s, reduction="sum", **kwargs) == pytest.approx(each.sum(), rel=1e-12)
    assert distillation.distillation_loss(t, s, **kwargs) == pytest.approx(each.mean(), rel=1e-12)
    assert isinstance(distillation.distillation_loss(t, s, **kwargs), float)
    grad_sum = distillation.distillation_loss_grad(t, s, reduction="sum", **kwargs)
    assert np.allclose(distillation.distillation_loss_grad(t, s, **kwargs), grad_sum / 9, rtol=1e-12)
    assert np.allclose(distillation.distillation_loss_grad(t, s, reduction="none", **kwargs), grad_sum, rtol=1e-12)


# --------------------------------------------------------------------------- gradient


@pytest.mark.parametrize("temperature, alpha", [(1.0, 1.0), (2.0, 0.5), (4.0, 1.0), (8.0, 0.9), (0.5, 0.2), (3.0, 0.0)])
def test_gradient_equals_central_differences(temperature, alpha):
    t, s, y = _logits(4, 5, 4)
    analytic = distillation.distillation_loss_grad(t, s, temperature=temperature, alpha=alpha, labels=y)
    numeric, step = np.zeros_like(s), 1e-6
    for index in np.ndindex(s.shape):
        up, down = s.copy(), s.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (
            distillation.distillation_loss(t, up, temperature=temperature, alpha=alpha, labels=y)
            - distillation.distillation_loss(t, down, temperature=temperature, alpha=alpha, labels=y)
        ) / (2 * step)
    assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_without_t_squared_the_gradient_would_fall_like_one_over_t_squared():
    t, s, _ = _logits(400, 10, 5)
    size = {}
    for temperature in (4.0, 16.0):
        grad = distillation.distillation_loss_grad(t, s, temperature=temperature, reduction="none")
        size[temperature] = np.linalg.norm(grad, axis=1).mean()
    assert size[16.0] == pytest.approx(size[4.0], rel=0.05)  # with T^2: about the same size
    without = {temperature: size[temperature] / temperature**2 for temperature in size}
    assert without[4.0] / without[16.0] == pytest.approx(16.0, rel=0.05)


# --------------------------------------------------------------------------- Keras


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0, 8.0])
def test_the_soft_part_equals_keras_kl_divergence_of_softened_probabilities_times_t_squared(temperature):
    import lossbook

    lossbook.setup(seed=0, keras=True)
    import keras

    t, s, _ = _logits(8, 4, 6, scale=1.5)  # no probability below Keras' clipping constant 1e-7
    p, q = distillation.soft_targets(t, temperature), distillation.soft_targets(s, temperature)
    assert p.min() > 1e-6 and q.min() > 1e-6
    theirs = keras.ops.convert_to_numpy(keras.losses.KLDivergence(reduction=None)(p, q)) * temperature**2
    ours = distillation.distillation_loss(t, s, temperature=temperature, reduction="none")
    assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-7)
    mean = float(keras.ops.convert_to_numpy(keras.losses.KLDivergence()(p, q))) * temperature**2
    assert distillation.distillation_loss(t, s, temperature=temperature) == pytest.approx(mean, rel=1e-5)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(temperature=0.0), r"`temperature` must be a positive, finite number; got 0.0. Pass e.g. temperature=4.0"),
        (dict(temperature=-2.0), r"`temperature` must be a positive"),
        (dict(temperature=float("nan")), r"`temperature` must be a positive"),
        (dict(temperature="4"), r"`temperature` must be a positive"),
        (dict(temperature=2.0, alpha=1.5), r"`alpha` must be a number in \[0, 1\]"),
        (dict(temperature=2.0, alpha=0.5), r"`labels` are needed when alpha < 1.*alpha=1.0"),
        (dict(temperature=2.0, reduction="batch"), r"`reduction` must be one of"),
        (dict(temperature=2.0, alpha=0.5, labels=[0, 1]), r"one class per row of the logits; got 2 labels and 3 rows"),
        (dict(temperature=2.0, alpha=0.5, labels=[0, 1, 4]), r"labels"),
    ],
)
def test_bad_settings_are_named_with_a_fix(kwargs, message):
    t, s, _ = _logits(3, 3, 7)
    for function in (distillation.distillation_loss, distillation.distillation_loss_grad):
        with pytest.raises(ValueError, match=message):
            function(t, s, **kwargs)


@pytest.mark.parametrize(
    "teacher, student, message",
    [
        (np.zeros((3, 4)), np.zeros((3, 5)), r"must have the same shape.*got \(3, 4\) and \(3, 5\)"),
        (np.zeros(4), np.zeros(4), r"`teacher_logits` must have shape \(n, K\).*got shape \(4,\)"),
        (np.zeros((3, 1)), np.zeros((3, 1)), r"K >= 2"),
        (np.zeros((0, 3)), np.zeros((0, 3)), r"is empty"),
        (np.array([[0.0, np.nan]]), np.zeros((1, 2)), r"`teacher_logits` must be finite"),
        (np.zeros((1, 2)), np.array([["a", "b"]]), r"`student_logits` must hold real numbers"),
    ],
)
def test_bad_logits_are_named_with_a_fix(teacher, student, message):
    with pytest.raises(ValueError, match=message):
        distillation.distillation_loss(teacher, student, temperature=2.0)
    with pytest.raises(ValueError, match=r"must|empty|finite"):
        distillation.soft_targets(student if student.ndim != 2 or student.shape[1] < 2 else np.zeros(3), 2.0)


# --------------------------------------------------------------------------- fit


def _blobs(replicas, n=120, seed=0):
    rng = np.random.default_rng(seed)
    centres = 3 * rng.normal(size=(3, 4))
    y = rng.integers(0, 3, (replicas, n))
    return centres[y] + rng.normal(size=(replicas, n, 4)), y


def test_fit_learns_and_a_replica_is_its_own_single_run():
    x, y = _blobs(3)
    many = distillation.fit(x, y, hidden=(8,), seeds=[0, 1, 2], learning_rate=[0.01, 0.03, 0.1], epochs=15, n_classes=3)
    assert ((many.logits(x).argmax(-1) == y).mean(axis=1) > 0.9).all()
    one = distillation.fit(x[1:2], y[1:2], hidden=(8,), seeds=[1], learning_rate=0.03, epochs=15, n_classes=3)
    assert np.allclose(one.logits(x[1:2])[0], many.logits(x)[1], rtol=1e-9, atol=1e-9)
    assert np.allclose(one.logits(x[1])[0], many.logits(x)[1], rtol=1e-9, atol=1e-9)  # the same rows for all


def test_one_step_of_fit_is_sgd_on_the_distillation_loss():
    x, y = _blobs(1, n=32, seed=1)
    teacher = np.random.default_rng(2).normal(size=(1, 32, 3))
    start = distillation.fit(x, y, hidden=(5,), seeds=[4], learning_rate=1e-300, epochs=1, n_classes=3)  # no step
    after = distillation.fit(
        x, y, hidden=(5,), seeds=[4], learning_rate=0.1, epochs=1, n_classes=3, teacher_logits=teacher, temperature=3.0, alpha=0.7
    )
    w = [a[0] for a in start.weights]

    def loss(flat):
        sizes = np.cumsum([0] + [a.size for a in w])
        k1, b1, k2, b2 = (flat[i:j].reshape(a.shape) for i, j, a in zip(sizes[:-1], sizes[1:], w))
        z = np.maximum(x[0] @ k1 + b1, 0) @ k2 + b2
        return distillation.distillation_loss(teacher[0], z, temperature=3.0, alpha=0.7, labels=y[0])

    flat, step = np.concatenate([a.ravel() for a in w]), 1e-6
    numeric = np.array([(loss(flat + step * e) - loss(flat - step * e)) / (2 * step) for e in np.eye(flat.size)])
    moved = np.concatenate([a[0].ravel() for a in after.weights]) - flat
    assert np.allclose(moved, -0.1 * numeric, rtol=1e-5, atol=1e-9)  # one batch, zero velocity: w - rate * gradient


def test_alpha_zero_needs_no_teacher_and_ignores_the_temperature():
    x, y = _blobs(2)
    a = distillation.fit(x, y, hidden=(6,), seeds=[0, 1], learning_rate=0.05, epochs=3, n_classes=3)
    b = distillation.fit(
        x,
        y,
        hidden=(6,),
        seeds=[0, 1],
        learning_rate=0.05,
        epochs=3,
        n_classes=3,
        temperature=5.0,
        teacher_logits=np.ones((2, 120, 3)),
    )
    assert all(np.array_equal(u, v) for u, v in zip(a.weights, b.weights))


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(x=np.zeros((10, 4))), r"`x` must have shape \(R, n, d\)"),
        (dict(labels=np.zeros((2, 10), dtype=int) + 3), r"`labels` must be integers 0..2"),
        (dict(hidden=16), r"`hidden` must be a sequence of positive layer sizes"),
        (dict(seeds=[0]), r"`seeds` must be 2 non-negative integers"),
        (dict(learning_rate=[0.1, -0.1]), r"`learning_rate` must be one number positive"),
        (dict(alpha=0.5), r"`teacher_logits` are needed where alpha > 0"),
        (dict(alpha=0.5, teacher_logits=np.zeros((2, 10, 4))), r"`teacher_logits` must have shape \(2, 10, 3\)"),
        (dict(alpha=2.0), r"`alpha` must be one number in \[0, 1\]"),
        (dict(epochs=0), r"`epochs` must be an integer >= 1"),
    ],
)
def test_fit_rejects_bad_input_with_a_fix(changes, message):
    kwargs = (
        dict(
            x=np.zeros((2, 10, 4)),
            labels=np.zeros((2, 10), dtype=int),
            hidden=(4,),
            seeds=[0, 1],
            learning_rate=0.1,
            epochs=1,
            n_classes=3,
        )
        | changes
    )
    with pytest.raises(ValueError, match=message):
        distillation.fit(kwargs.pop("x"), kwargs.pop("labels"), **kwargs)


def test_networks_logits_reject_inputs_of_the_wrong_width():
    x, y = _blobs(2)
    nets = distillation.fit(x, y, hidden=(4,), seeds=[0, 1], learning_rate=0.05, epochs=1, n_classes=3)
    with pytest.raises(ValueError, match=r"`x` must have shape \(n, 4\) or \(2, n, 4\)"):
        nets.logits(np.zeros((5, 3)))
