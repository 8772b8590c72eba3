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

__all__ = ["setup", "ENVIRONMENT"]

#: Environment variables that must be in place before TensorFlow is imported.
#: The Makefile and the test configuration export them before a kernel starts;
#: :func:`setup` sets any that are missing, which is enough as long as it runs
#: before the first ``import tensorflow`` (it is the first cell of a chapter).
ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "CUDA_VISIBLE_DEVICES": "",
}


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
    if "tensorflow" not in sys.modules:
        with _silenced_stderr():
            import tensorflow  # noqa: F401
    import tensorflow as tf
    import keras

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


def setup(seed: int = 0, *, keras: bool = False, threads: int = 1) -> None:
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
    threads : int, default 1
        Number of threads for TensorFlow's intra- and inter-op pools. One thread
        makes floating-point reductions happen in the same order on every run.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer or ``threads`` is not a
        positive integer.

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
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"`seed` must be a non-negative integer; got {seed!r}. "
            "Pass a whole number such as seed=0."
        )
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(
            f"`threads` must be a positive integer; got {threads!r}. "
            "Use threads=1 for reproducible results."
        )
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)

    # Show every warning once per place, deprecations included: a warning in a
    # chapter lands on stderr, and the test suite rejects stored stderr.
    warnings.simplefilter("default")

    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=4, suppress=True)
    _setup_matplotlib()
    if keras:
        _setup_tensorflow(int(seed), int(threads))
