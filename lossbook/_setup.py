"""One call that makes a chapter reproducible and quiet.

Every chapter's first code cell calls :func:`setup`. It fixes the random
seeds, the number of threads, the warning filters and the logging of the
libraries the course uses, so that re-running a chapter gives the same
numbers and writes nothing to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import warnings

import numpy as np

__all__ = ["setup", "apply_environment", "ENVIRONMENT", "THREADS_VARIABLE"]

def _numpy_cpu_features():
    """NumPy's dispatch targets and which of them this CPU runs, or empty ones."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # pragma: no cover - NumPy before 2.0
        from numpy.core import _multiarray_umath as umath
    return list(getattr(umath, "__cpu_dispatch__", [])), dict(getattr(umath, "__cpu_features__", {}))


def numpy_targets(*, from_avx2: bool = False) -> list[str]:
    """NumPy's dispatch targets this CPU runs that need AVX-512 (with ``from_avx2``: AVX2 or more)."""
    dispatch, features = _numpy_cpu_features()
    avx2 = ("AVX2", "FMA3", "X86_V3") if from_avx2 else ()
    return [n for n in dispatch if features.get(n) and (n.startswith("AVX512") or n == "X86_V4" or n in avx2)]


def _instruction_set_pins() -> dict[str, str]:
    """Cap every library that picks its kernels by instruction set at AVX2.

    On x86-64 three libraries look at the CPU when they start and choose
    kernels accordingly, which changes the last bits of sums and products:

    - oneDNN, whose ``sgemm`` does TensorFlow's CPU matrix products (also with
      ``TF_ENABLE_ONEDNN_OPTS=0``): capped by ``ONEDNN_MAX_CPU_ISA``;
    - NumPy's own SIMD loops: the AVX-512 targets are switched off with
      ``NPY_DISABLE_CPU_FEATURES``;
    - OpenBLAS, behind NumPy and SciPy: ``OPENBLAS_CORETYPE=Haswell`` selects
      its AVX2 kernels.

    With the cap, every CPU with AVX2 (Intel or AMD, with or without AVX-512)
    runs the same kernels. Eigen's kernels are compiled into TensorFlow for a
    fixed instruction set and XLA is not used (models compile with
    ``jit_compile=False`` and :mod:`lossbook.replicas` does not ask for it),
    so neither needs a pin. Other CPUs (no AVX2, ARM) get no pin: their results
    may differ in the last bits, which the course's outputs are built to
    tolerate (``make portability``).

    One CPU dependence is beyond any pin: in float32, Eigen computes a
    reciprocal (TensorFlow's softmax multiplies by one) from the processor's
    approximate-reciprocal instruction, whose bits differ between Intel and
    AMD CPUs and which no variable selects. Float32 training that reads a
    softmax's probabilities (the KL divergence) follows those bits, so runs
    whose digits must not depend on the CPU train in float64, where the
    division is exact (``tests/test_cpu_independence.py``).
    """
    import platform

    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return {}
    _, features = _numpy_cpu_features()
    pins = {"ONEDNN_MAX_CPU_ISA": "AVX2"}
    above = numpy_targets()
    if above:
        pins["NPY_DISABLE_CPU_FEATURES"] = " ".join(above)
    if features.get("AVX2") or features.get("X86_V3"):
        pins["OPENBLAS_CORETYPE"] = "Haswell"
    return pins


#: Environment variables that must be in place before NumPy and TensorFlow are
#: imported: fixed seeds and threads, quiet logging, and the instruction-set
#: pins of :func:`_instruction_set_pins`. :func:`apply_environment` sets them
#: for the kernels that the tests, ``make outputs`` and ``make lab`` start;
#: :func:`setup` sets any that are missing, which reaches TensorFlow and oneDNN
#: in a chapter opened by hand (NumPy and OpenBLAS read theirs when NumPy is
#: imported, so by hand they keep the CPU's own kernels).
ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "CUDA_VISIBLE_DEVICES": "",
    **_instruction_set_pins(),
}

#: Environment variable read by :func:`setup` for TensorFlow's thread count when
#: ``threads`` is not given; ``make portability`` uses it to run every chapter
#: with another thread count.
THREADS_VARIABLE = "LOSSBOOK_THREADS"


def apply_environment(environ=None) -> dict:
    """Set every variable of :data:`ENVIRONMENT` that ``environ`` lacks.

    A value already present wins (a machine that presets ``OPENBLAS_CORETYPE``
    for correctness keeps it). ``environ`` defaults to ``os.environ``; the
    mapping is returned.
    """
    environ = os.environ if environ is None else environ
    for name, value in ENVIRONMENT.items():
        environ.setdefault(name, value)
    return environ


@contextlib.contextmanager
def _silenced_stderr():
    """Send file descriptor 2 to ``/dev/null`` for the duration of the block.

    TensorFlow's C++ runtime writes absl, CUDA and CPU-feature lines straight to
    file descriptor 2 while it is imported, before any Python setting can reach
    it. Redirecting the descriptor around the import, and only there, keeps those
    lines out of the notebook while any later message still shows.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real descriptor 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _setup_tensorflow(seed: int, threads: int) -> None:
    from lossbook._keras import load

    keras = load()
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover - absl ships with TensorFlow
        pass
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # The runtime is already initialised (setup called twice in one
        # kernel); the thread counts of the first call stay in force.
        pass
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    keras.utils.disable_interactive_logging()


def _setup_matplotlib() -> None:
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "lossbook",
        }
    )
    if "IPython" in sys.modules:
        try:
            from IPython import get_ipython
            from matplotlib_inline.backend_inline import set_matplotlib_formats
        except ImportError:  # pragma: no cover - plain Python, no inline backend
            return
        if get_ipython() is not None:
            set_matplotlib_formats("retina")


def setup(seed: int = 0, *, keras: bool = False, threads: int | None = None) -> None:
    """Make the current session reproducible and quiet.

    Parameters
    ----------
    seed : int, default 0
        Seed for Python's :mod:`random`, NumPy's global generator and, when
        ``keras=True``, Keras and TensorFlow.
    keras : bool, default False
        Also import and configure TensorFlow and Keras: silence their import-time
        logging, fix their thread pools, make their kernels deterministic and
        turn off progress bars. Chapters that train no Keras model leave it off
        and start faster.
    threads : int, optional
        Number of threads for TensorFlow's intra- and inter-op pools; by default
        the value of the environment variable ``LOSSBOOK_THREADS``, else 1. The
        course's kernels give the same bits with one thread or two (checked by
        ``make portability``); one keeps that true of any reduction.

    Raises
    ------
    ValueError
        If ``seed`` is not an integer >= 0 or ``threads`` is not an
        integer >= 1.

    Examples
    --------
    >>> import numpy as np
    >>> import lossbook
    >>> lossbook.setup(seed=3)
    >>> first = np.random.random()
    >>> lossbook.setup(seed=3)
    >>> first == np.random.random()
    True
    """
    from lossbook._validation import check_scalar

    check_scalar(seed, "seed", kind="integer", low=0, example=0)
    if threads is None:
        value = os.environ.get(THREADS_VARIABLE, "1")
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError(
                f"The environment variable {THREADS_VARIABLE} must be an integer >= 1; got {value!r}. "
                f"Unset it, or set it to a whole number such as 1."
            )
        threads = int(value)
    check_scalar(threads, "threads", kind="integer", low=1, example=1)
    apply_environment()

    # Show every warning once per place, deprecations included: a warning in a
    # chapter lands on stderr, and the test suite rejects stored stderr.
    warnings.simplefilter("default")
    # TensorFlow's autograph builds syntax trees with gast, which passes an
    # extra keyword to Python's ast classes; Python 3.13 warns about it on every
    # traced function. Nothing a learner can change, so it is not shown.
    warnings.filterwarnings(
        "ignore", message=r".*unexpected keyword argument '___pyct_anno'", category=DeprecationWarning
    )

    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=4, suppress=True)
    _setup_matplotlib()
    if keras:
        _setup_tensorflow(int(seed), int(threads))
