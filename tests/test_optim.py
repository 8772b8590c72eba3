"""lossbook.optim: gradient descent and finite differences."""

import numpy as np
import pytest

from lossbook import optim


def test_descent_on_a_parabola_matches_the_closed_form():
    # L(w) = (w - 3)^2 with step 0.25 halves the distance to 3 at every step.
    path = optim.gradient_descent(lambda w: 2 * (w - 3), 0.0, learning_rate=0.25, steps=10)
    assert path.shape == (11,)
    np.testing.assert_allclose(3 - path, 3 * 0.5 ** np.arange(11))


def test_descent_keeps_the_shape_of_the_parameters():
    target = np.array([[1.0, -2.0], [0.5, 4.0]])
    path = optim.gradient_descent(lambda w: 2 * (w - target), np.zeros((2, 2)), learning_rate=0.1, steps=200)
    assert path.shape == (201, 2, 2)
    np.testing.assert_allclose(path[-1], target, atol=1e-12)


def test_descent_reports_divergence():
    with pytest.raises(ValueError, match="diverged at step .* Lower `learning_rate`"):
        optim.gradient_descent(lambda w: 2 * w, 1.0, learning_rate=1e155, steps=10)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"learning_rate": 0.0, "steps": 3}, "`learning_rate` must be a positive"),
        ({"learning_rate": -1.0, "steps": 3}, "`learning_rate` must be a positive"),
        ({"learning_rate": float("nan"), "steps": 3}, "`learning_rate` must be a positive"),
        ({"learning_rate": 0.1, "steps": 0}, "`steps` must be an integer >= 1"),
        ({"learning_rate": 0.1, "steps": 2.5}, "`steps` must be an integer >= 1"),
    ],
)
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.gradient_descent(lambda w: w, 1.0, **kwargs)


def test_bad_start_and_bad_gradient_are_rejected():
    with pytest.raises(ValueError, match="`x0` contains NaN or inf"):
        optim.gradient_descent(lambda w: w, [1.0, np.nan], learning_rate=0.1, steps=2)
    with pytest.raises(ValueError, match="`x0` is empty"):
        optim.gradient_descent(lambda w: w, [], learning_rate=0.1, steps=2)
    with pytest.raises(ValueError, match=r"returned shape \(3,\) for parameters of shape \(2,\)"):
        optim.gradient_descent(lambda w: np.ones(3), [1.0, 2.0], learning_rate=0.1, steps=2)


def test_numerical_gradient_matches_an_analytic_gradient():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))

    def f(w):
        return float(np.sin(w) @ a @ np.cos(w))

    def grad(w):
        return np.cos(w) * (a @ np.cos(w)) - np.sin(w) * (a.T @ np.sin(w))

    w = rng.normal(size=3)
    np.testing.assert_allclose(optim.numerical_gradient(f, w), grad(w), rtol=1e-6, atol=1e-8)


def test_numerical_gradient_rejects_undefined_functions():
    with pytest.raises(ValueError, match="returned NaN or inf"):
        optim.numerical_gradient(lambda w: float(np.log(w[0])), [0.0])
    with pytest.raises(ValueError, match="`eps` must be a positive"):
        optim.numerical_gradient(lambda w: 0.0, [1.0], eps=0)


def _mean_grad(data):
    def grad(w, batch):
        return 2 * np.mean(w - data[batch])

    return grad


def test_sgd_with_one_full_batch_is_gradient_descent():
    data = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    path = optim.sgd(_mean_grad(data), 0.0, n_examples=5, batch_size=5, learning_rate=0.1, epochs=20)
    expected = optim.gradient_descent(lambda w: 2 * (w - 4.0), 0.0, learning_rate=0.1, steps=20)
    np.testing.assert_allclose(path, expected)


def test_sgd_visits_every_example_once_per_epoch_in_batches():
    seen = []

    def grad(w, batch):
        seen.append(np.asarray(batch).copy())
        return np.zeros_like(w)

    path = optim.sgd(grad, [0.0, 0.0], n_examples=10, batch_size=4, learning_rate=0.1, epochs=3, seed=5)
    assert path.shape == (3 * 3 + 1, 2)
    assert [b.size for b in seen] == [4, 4, 2] * 3
    for epoch in range(3):
        assert sorted(np.concatenate(seen[3 * epoch : 3 * epoch + 3])) == list(range(10))
    assert not np.array_equal(np.concatenate(seen[:3]), np.concatenate(seen[3:6]))


def test_sgd_is_repeatable_with_a_seed_and_noisy_across_seeds():
    data = np.random.default_rng(0).normal(size=40)
    runs = [optim.sgd(_mean_grad(data), 3.0, n_examples=40, batch_size=4, learning_rate=0.1, epochs=5, seed=s) for s in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])
    # The noise does not bias the search: every path ends near the mean.
    assert all(abs(r[-1] - data.mean()) < 0.3 for r in runs)


def test_sgd_momentum_matches_the_heavy_ball_recursion():
    # A constant gradient g: v_t = g (1 + beta + ... + beta^(t-1)), so steps grow towards g / (1 - beta).
    path = optim.sgd(lambda w, b: np.ones_like(w), 0.0, n_examples=1, batch_size=1, learning_rate=0.1, epochs=60, momentum=0.9)
    steps = -np.diff(path)
    np.testing.assert_allclose(steps, 0.1 * (1 - 0.9 ** np.arange(1, 61)) / (1 - 0.9))
    assert steps[-1] == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "`batch_size` must be an integer"),
        ({"batch_size": 11}, "`batch_size` must be an integer"),
        ({"momentum": 1.0}, "`momentum` must be"),
        ({"momentum": -0.1}, "`momentum` must be"),
        ({"epochs": 0}, "`epochs` must be an integer >= 1"),
        ({"learning_rate": 0.0}, "`learning_rate` must be a positive"),
    ],
)
def test_sgd_rejects_bad_settings(kwargs, message):
    settings = {"n_examples": 10, "batch_size": 2, "learning_rate": 0.1, "epochs": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        optim.sgd(lambda w, b: w, 1.0, **settings)


def test_sgd_reports_divergence_and_bad_gradients():
    with pytest.raises(ValueError, match="SGD diverged at step .* Lower `learning_rate`"):
        optim.sgd(lambda w, b: 2 * w, 1.0, n_examples=4, batch_size=2, learning_rate=1e155, epochs=5)
    with pytest.raises(ValueError, match=r"returned shape \(3,\) for parameters of shape \(2,\)"):
        optim.sgd(lambda w, b: np.ones(3), [1.0, 2.0], n_examples=4, batch_size=2, learning_rate=0.1, epochs=1)
