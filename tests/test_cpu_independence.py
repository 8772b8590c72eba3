"""Which float32 results depend on the processor beyond the kernels lossbook.setup() pins, and how float64 avoids it.

TensorFlow's CPU softmax multiplies by a reciprocal that Eigen computes, in
float32, from the processor's approximate-reciprocal instruction (``rcpps``)
refined by one Newton step. That instruction's result is the processor's own:
Intel and AMD CPUs return different bits for the same input, and no
environment variable chooses it, so ``make portability`` (which varies the
pinned kernels on one machine) cannot see it. These tests stand in for a
second processor by training with a softmax that divides exactly.
"""

import numpy as np
import pytest

import lossbook
from lossbook import data, registry, replicas

lossbook.setup(keras=True)

import keras  # noqa: E402  (after setup, which silences TensorFlow's import)
import tensorflow as tf  # noqa: E402


def _positive_floats(dtype, n=200_000):
    """Numbers spread over many binades, where any approximate reciprocal shows."""
    exponents = np.random.default_rng(0).uniform(-20, 20, n)
    return np.exp2(exponents).astype(dtype)


@pytest.mark.upstream
def test_tensorflow_float32_reciprocal_is_approximate():
    # The cause: if TensorFlow ever divides exactly here, float32 softmax results stop depending on the CPU.
    x = _positive_floats(np.float32)
    approximate = tf.math.reciprocal(tf.constant(x)).numpy()
    exact = np.float32(1) / x
    assert np.mean(approximate != exact) > 0.05
    assert np.max(np.abs(approximate / exact - 1)) < 4 * np.finfo(np.float32).eps  # one Newton step: close, not exact


@pytest.mark.upstream
def test_tensorflow_float64_reciprocal_divides_exactly():
    # IEEE division gives the same bits on every processor; float64 softmax is built on it.
    x = _positive_floats(np.float64)
    assert np.array_equal(tf.math.reciprocal(tf.constant(x)).numpy(), 1.0 / x)


def _exact_softmax(z):
    """Softmax with a true division: the same function as Keras', rounded as another CPU might round it."""
    shifted = z - tf.reduce_max(z, axis=-1, keepdims=True)
    e = tf.exp(shifted)
    out = e / tf.reduce_sum(e, axis=-1, keepdims=True)
    out._keras_logits = z  # as Keras' softmax leaves them, for the cross-entropies that read logits
    return out


def _train(monkeypatch, loss, dtype, *, exact):
    """The multi-class runs of chapter 10 for seeds 0-9 (rate 0.01, 500 rows), with TensorFlow's or the exact softmax."""
    monkeypatch.setattr(replicas, "_RUNNERS", {})  # no traced loop is shared between the two softmaxes
    if exact:
        keras_get = keras.activations.get
        monkeypatch.setattr(keras.activations, "get", lambda name: _exact_softmax if name == "softmax" else keras_get(name))
    split = data.for_loss(data.canonical("multiclass"), loss)
    settings = registry.EXPERIMENTS["multiclass"].settings
    run = replicas.fit(loss, split, replicas=10, seed=0, progress=False, dtype=dtype, **settings)
    monkeypatch.undo()
    return run


def test_float32_kl_runs_follow_the_softmax_rounding(monkeypatch):
    # The KL loss reads the softmax's probabilities, so its float32 trajectories carry the CPU's reciprocal.
    ours = _train(monkeypatch, "kl_divergence", "float32", exact=False)
    other = _train(monkeypatch, "kl_divergence", "float32", exact=True)
    assert not all(np.array_equal(a, b) for a, b in zip(ours.weights, other.weights))


def test_float32_cross_entropy_runs_do_not_read_the_softmax_rounding(monkeypatch):
    # Keras' categorical cross-entropy takes the logits behind the softmax: its training never sees the reciprocal.
    ours = _train(monkeypatch, "categorical_crossentropy", "float32", exact=False)
    other = _train(monkeypatch, "categorical_crossentropy", "float32", exact=True)
    assert all(np.array_equal(a, b) for a, b in zip(ours.weights, other.weights))


def test_float64_kl_accuracies_survive_another_softmax_rounding(monkeypatch):
    # Chapters 10 and 11 train the multi-class losses in float64: even a softmax rounded otherwise leaves every
    # test accuracy where it was, and on a real CPU the float64 division is exact anyway.
    ours = _train(monkeypatch, "kl_divergence", "float64", exact=False)
    other = _train(monkeypatch, "kl_divergence", "float64", exact=True)
    assert np.array_equal(ours.test["accuracy"], other.test["accuracy"])
    assert np.array_equal(ours.train["accuracy"], other.train["accuracy"])
