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
