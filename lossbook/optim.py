"""Plain gradient descent and minibatch SGD, small enough to read in one sitting.

Chapter 1 uses these functions to watch an optimiser search for weights.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from lossbook._validation import check_scalar

__all__ = ["gradient_descent", "numerical_gradient", "sgd"]


def _as_params(x, name):
    x = np.array(x, dtype=float)
    if x.size == 0:
        raise ValueError(f"`{name}` is empty; pass at least one parameter value.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or inf; pass finite starting values.")
    return x


def _gradient(value, x: np.ndarray) -> np.ndarray:
    """What ``grad`` returned, as floats; it must have the parameters' shape."""
    g = np.asarray(value, dtype=float)
    if g.shape != x.shape:
        raise ValueError(
            f"`grad` returned shape {g.shape} for parameters of shape {x.shape}; "
            "it must return one partial derivative per parameter."
        )
    return g


def _check_finite(x: np.ndarray, what: str, fix: str) -> None:
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what}: the parameters are no longer finite. {fix}")


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
        g = _gradient(grad(x), x)
        with np.errstate(over="ignore", invalid="ignore"):  # reported just below
            x = x - learning_rate * g
        _check_finite(x, f"gradient descent diverged at step {t}", f"Lower `learning_rate` (now {learning_rate!r}).")
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


def sgd(
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x0,
    *,
    n_examples: int,
    batch_size: int,
    learning_rate: float,
    epochs: int,
    momentum: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    r"""Minibatch stochastic gradient descent, with optional (heavy-ball) momentum.

    Every epoch shuffles the example indices ``0, ..., n_examples - 1`` and cuts
    them into consecutive batches of ``batch_size`` (the last one smaller when
    the size does not divide ``n_examples``, as in Keras' ``fit``). Each batch
    :math:`B` gives one step:

    .. math::

        g_t = \frac{1}{|B|} \sum_{i \in B} \nabla \ell_i(w_t), \qquad
        v_{t+1} = \beta \, v_t + g_t, \qquad
        w_{t+1} = w_t - \eta \, v_{t+1}

    with :math:`v_0 = 0`. With ``momentum=0`` (:math:`\beta = 0`) this is plain
    SGD; with ``batch_size=n_examples`` it is full-batch gradient descent. For a
    constant learning rate it is the update of ``keras.optimizers.SGD``.

    Parameters
    ----------
    grad : callable
        ``grad(w, batch)`` returns the mean gradient of the per-example losses
        over the examples whose indices are in the integer array ``batch``, with
        the shape of ``w``.
    x0 : float or array_like
        Starting parameters.
    n_examples : int
        Number of training examples, at least 1.
    batch_size : int
        Examples per step, between 1 and ``n_examples``.
    learning_rate : float
        Step size :math:`\eta`, a positive number.
    epochs : int
        Number of passes over the examples, at least 1.
    momentum : float, default 0.0
        :math:`\beta` in :math:`[0, 1)`.
    seed : int, default 0
        Seed of the shuffling, so that a run can be repeated exactly.

    Returns
    -------
    numpy.ndarray
        The path, of shape ``(steps + 1,) + numpy.shape(x0)`` with
        ``steps = epochs * ceil(n_examples / batch_size)``: the start followed
        by the parameters after each step.

    Raises
    ------
    ValueError
        If a setting is out of range, if ``x0`` is empty or not finite, if
        ``grad`` returns the wrong shape, or if the parameters stop being finite
        (the descent diverged: lower the learning rate or the momentum).

    Examples
    --------
    Find the mean of four numbers by minimising the mean of :math:`(w - d_i)^2`,
    two numbers per step:

    >>> data = np.array([1.0, 2.0, 3.0, 4.0])
    >>> def grad(w, batch):
    ...     return 2 * np.mean(w - data[batch])
    >>> path = sgd(grad, 0.0, n_examples=4, batch_size=2, learning_rate=0.25, epochs=3)
    >>> path.shape
    (7,)
    >>> path.round(3)
    array([0.   , 1.   , 2.   , 2.75 , 2.125, 2.562, 2.281])

    With one batch of all the examples, it is gradient descent:

    >>> full = sgd(grad, 0.0, n_examples=4, batch_size=4, learning_rate=0.25, epochs=3)
    >>> bool(np.allclose(full, gradient_descent(lambda w: 2 * (w - 2.5), 0.0, learning_rate=0.25, steps=3)))
    True
    """
    check_scalar(n_examples, "n_examples", kind="integer", low=1, example=500)
    check_scalar(batch_size, "batch_size", kind="integer", low=1, high=n_examples, example=32)
    check_scalar(learning_rate, "learning_rate", low=0, low_open=True, example=0.01)
    check_scalar(epochs, "epochs", kind="integer", low=1, example=100)
    check_scalar(momentum, "momentum", low=0, high=1, high_open=True, example=0.9)
    x = _as_params(x0, "x0")
    rng = np.random.default_rng(seed)
    per_epoch = -(-n_examples // batch_size)
    path = np.empty((epochs * per_epoch + 1,) + x.shape)
    path[0] = x
    velocity = np.zeros_like(x)
    t = 0
    for _ in range(epochs):
        order = rng.permutation(n_examples)
        for start in range(0, n_examples, batch_size):
            t += 1
            g = _gradient(grad(x, order[start : start + batch_size]), x)
            with np.errstate(over="ignore", invalid="ignore"):  # reported just below
                velocity = momentum * velocity + g
                x = x - learning_rate * velocity
            _check_finite(
                x, f"SGD diverged at step {t}", f"Lower `learning_rate` (now {learning_rate!r}) or `momentum` (now {momentum!r})."
            )
            path[t] = x
    return path
