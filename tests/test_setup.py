"""lossbook.setup: reproducible, quiet sessions."""

import ast
import contextlib
import io
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest

import lossbook
from lossbook._setup import ENVIRONMENT


def _clean_environment():
    return {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}


def _fresh_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_clean_environment(), timeout=300)


#: A chapter opened by hand in JupyterLab: setup(), then Keras as a learner would use it.
_BY_HAND = """
import lossbook; lossbook.setup(seed=7, keras=True)
import keras, numpy as np
x = np.random.default_rng(0).normal(size=(64, 3)); y = x.sum(axis=1)
m = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(8, activation='relu'), keras.layers.Dense(1)])
m.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss='mse')
print(repr(m.fit(x, y, epochs=3, batch_size=16).history['loss']))
"""


def test_keras_training_after_setup_is_quiet_and_the_same_in_a_fresh_process(tmp_path):
    # The fresh interpreter lacks the environment the Makefile exports; this
    # process has it and has trained other models already.
    script = tmp_path / "by_hand.py"
    script.write_text(_BY_HAND)
    fresh = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=_clean_environment(), timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stderr == ""  # TensorFlow's start-up lines and Keras' progress bars are silenced
    losses = ast.literal_eval(fresh.stdout)
    assert len(losses) == 3 and losses[2] < losses[0]
    here = io.StringIO()
    with contextlib.redirect_stdout(here):
        runpy.run_path(str(script))
    assert here.getvalue() == fresh.stdout


@pytest.mark.upstream
def test_without_setup_tensorflow_does_write_to_stderr():
    # Guards the test above: if TensorFlow ever becomes quiet by itself, this
    # fails and the redirect in lossbook._setup can go.
    from importlib import metadata

    version = tuple(int(part) for part in metadata.version("tensorflow").split(".")[:2])
    if version < (2, 21):
        pytest.skip(f"TensorFlow {metadata.version('tensorflow')} imports quietly; the lines on stderr start with 2.21")
    result = _fresh_python("import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import tensorflow")
    assert result.returncode == 0
    assert result.stderr != ""


def test_same_seed_gives_same_numbers():
    lossbook.setup(seed=11)
    first = np.random.random(3)
    lossbook.setup(seed=11)
    assert np.array_equal(first, np.random.random(3))
    lossbook.setup(seed=12)
    assert not np.array_equal(first, np.random.random(3))


def test_setup_fills_in_the_environment_it_finds_empty(monkeypatch):
    # conftest.py has set every variable already: clear them, so that only setup() can put them back.
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    lossbook.setup()
    assert {name: os.environ.get(name) for name in ENVIRONMENT} == ENVIRONMENT


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, None])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="`seed` must be an integer >= 0"):
        lossbook.setup(seed=seed)


@pytest.mark.parametrize("threads", [0, -2, 2.0, False])
def test_bad_thread_count_is_rejected(threads):
    with pytest.raises(ValueError, match="`threads` must be an integer >= 1"):
        lossbook.setup(threads=threads)


def test_every_kernel_choice_is_pinned_at_avx2_on_x86_64():
    import platform

    from lossbook.environment import _instruction_set_pins

    pins = _instruction_set_pins()
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        assert pins == {}
        return
    assert pins["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert ENVIRONMENT["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    for name in pins.get("NPY_DISABLE_CPU_FEATURES", "").split():
        assert name.startswith("AVX512") or name == "X86_V4"


def test_a_value_the_machine_presets_wins():
    from lossbook._setup import apply_environment

    environ = apply_environment({"OPENBLAS_CORETYPE": "Zen", "ONEDNN_MAX_CPU_ISA": "AVX"})
    assert environ["OPENBLAS_CORETYPE"] == "Zen" and environ["ONEDNN_MAX_CPU_ISA"] == "AVX"
    assert environ["TF_ENABLE_ONEDNN_OPTS"] == "0"


def test_the_pinned_kernels_reach_a_chapter_opened_by_hand():
    # No course environment at all: setup() itself sets oneDNN's cap before
    # TensorFlow is imported, and TensorFlow's threads follow LOSSBOOK_THREADS.
    result = _fresh_python(
        "import os; os.environ['LOSSBOOK_THREADS'] = '2'\n"
        "import lossbook; lossbook.setup(keras=True)\n"
        "import tensorflow as tf\n"
        "print(os.environ.get('ONEDNN_MAX_CPU_ISA'), tf.config.threading.get_intra_op_parallelism_threads())"
    )
    assert result.returncode == 0, result.stderr
    import platform

    isa = "AVX2" if platform.machine().lower() in {"x86_64", "amd64"} else "None"
    assert result.stdout.split() == [isa, "2"]


def test_a_bad_thread_variable_is_named_in_the_error(monkeypatch):
    monkeypatch.setenv("LOSSBOOK_THREADS", "two")
    with pytest.raises(ValueError, match="LOSSBOOK_THREADS"):
        lossbook.setup()
