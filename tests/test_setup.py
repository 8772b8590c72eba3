"""lossbook.setup: reproducible, quiet sessions."""

import os
import subprocess
import sys

import numpy as np
import pytest

import lossbook
from lossbook._setup import ENVIRONMENT


def _fresh_python(code):
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_importing_tensorflow_through_setup_writes_nothing_to_stderr():
    # A fresh interpreter without the environment the Makefile exports: this is
    # a chapter opened by hand in JupyterLab.
    result = _fresh_python(
        "import lossbook; lossbook.setup(keras=True)\n"
        "import keras, numpy as np\n"
        "m = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])\n"
        "m.compile(optimizer='sgd', loss='mse')\n"
        "h = m.fit(np.ones((4, 2)), np.ones(4), epochs=1)\n"
        "print('ok', round(h.history['loss'][0], 3) >= 0)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == "ok True"


def test_without_setup_tensorflow_does_write_to_stderr():
    # Guards the test above: if TensorFlow ever becomes quiet by itself, this
    # fails and the redirect in lossbook._setup can go.
    result = _fresh_python("import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import tensorflow")
    assert result.returncode == 0
    assert result.stderr != ""


def test_keras_training_is_reproducible_across_processes():
    code = (
        "import lossbook; lossbook.setup(seed=7, keras=True)\n"
        "import keras, numpy as np\n"
        "x = np.random.default_rng(0).normal(size=(64, 3)); y = x.sum(axis=1)\n"
        "m = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(8, activation='relu'), keras.layers.Dense(1)])\n"
        "m.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss='mse')\n"
        "print(repr(m.fit(x, y, epochs=3, batch_size=16).history['loss']))"
    )
    first, second = _fresh_python(code), _fresh_python(code)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_same_seed_gives_same_numbers():
    lossbook.setup(seed=11)
    first = np.random.random(3)
    lossbook.setup(seed=11)
    assert np.array_equal(first, np.random.random(3))
    lossbook.setup(seed=12)
    assert not np.array_equal(first, np.random.random(3))


def test_environment_is_filled_in():
    lossbook.setup()
    for name, value in ENVIRONMENT.items():
        assert name in os.environ


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, None])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="`seed` must be a non-negative integer"):
        lossbook.setup(seed=seed)


@pytest.mark.parametrize("threads", [0, -2, 2.0, False])
def test_bad_thread_count_is_rejected(threads):
    with pytest.raises(ValueError, match="`threads` must be a positive integer"):
        lossbook.setup(threads=threads)
