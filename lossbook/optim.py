"""Plain gradient descent, small enough to read in one sitting.

Chapter 1 uses these functions to watch an optimiser search for weights.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from lossbook._validation import check_scalar

__all__ = ["gradient_descent", "numerical_gradient"]


def _as_params(x, name):
    x = np.array(x, dtype=float)
    if x.size == 0:
        raise ValueError(f"`{name}` is empty; pass at least one parameter value.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or inf; pass finite starting values.")
    return x


def gradient_descent(
    grad: Callable[[np.ndarray], np.ndarray],
    x0,
    *,
    learning_rate: float,
    steps: int,
) -> np.ndarray:
    r"""Follow the negative gradient from ``x0`` for a fixed number of steps.

    Each step moves the parameters against the slope of the loss:

    .. math::

        w_{t+1} = w_t - \eta \, \nabla L(w_t)

    Parameters
    ----------
    grad : callable
        Function returning the gradient of the loss at a parameter value, with
        the same shape as that value.
    x0 : float or array_like
        Starting parameters.
    learning_rate : float
        Step size :math:`\eta`, a positive number.
    steps : int
        Number of updates, at least 1.

    Returns
    -------
    numpy.ndarray
        The path, of shape ``(steps + 1,) + numpy.shape(x0)``: the start followed
        by the parameters after each step.

    Raises
    ------
    ValueError
        If ``learning_rate`` or ``steps`` is not positive, if ``x0`` is empty or
        not finite, if ``grad`` returns the wrong shape, or if the parameters
        stop being finite (the descent diverged: lower the learning rate).

    Examples
    --------
    Minimise :math:`L(w) = (w - 3)^2`, whose gradient is :math:`2 (w - 3)`:

    >>> path = gradient_descent(lambda w: 2 * (w - 3), 0.0, learning_rate=0.25, steps=4)
    >>> path.round(4)
    array([0.    , 1.5   , 2.25  , 2.625 , 2.8125])
    """
    check_scalar(learning_rate, "learning_rate", low=0, low_open=True, example=0.1)
    check_scalar(steps, "steps", kind="integer", low=1, example=100)
    x = _as_params(x0, "x0")
    path = np.empty((steps + 1,) + x.shape)
    path[0] = x
    for t in range(1, steps + 1):
        g = np.asarray(grad(x), dtype=float)
        if g.shape != x.shape:
            raise ValueError(
                f"`grad` returned shape {g.shape} for parameters of shape {x.shape}; "
                "it must return one partial derivative per parameter."
            )
        with np.errstate(over="ignore", invalid="ignore"):  # reported just below
            x = x - learning_rate * g
        if not np.all(np.isfinite(x)):
            raise ValueError(
                f"gradient descent diverged at step {t}: the parameters are no longer finite. "
                f"Lower `learning_rate` (now {learning_rate!r})."
            )
        path[t] = x
    return path


def numerical_gradient(f: Callable[[np.ndarray], float], x, *, eps: float = 1e-6) -> np.ndarray:
    r"""Estimate a gradient with central differences.

    .. math::

        \frac{\partial f}{\partial x_i} \approx
        \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2 \varepsilon}

    Parameters
    ----------
    f : callable
        Scalar function of the parameters.
    x : float or array_like
        Where to evaluate the gradient.
    eps : float, default 1e-6
        Half-width of the difference.

    Returns
    -------
    numpy.ndarray
        Array with the shape of ``x``.

    Examples
    --------
    >>> numerical_gradient(lambda w: float((w ** 2).sum()), [1.0, -2.0]).round(6)
    array([ 2., -4.])
    """
    check_scalar(eps, "eps", low=0, low_open=True, example=1e-6)
    x = _as_params(x, "x")
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        with np.errstate(all="ignore"):  # a non-finite result is reported just below
            grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    if not np.all(np.isfinite(grad)):
        raise ValueError("`f` returned NaN or inf near `x`; check that f is defined there.")
    return grad
