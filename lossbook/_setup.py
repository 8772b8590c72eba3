"""One call that makes a chapter reproducible and quiet.

Every chapter's first code cell calls :func:`setup`. It fixes the random
seeds, the number of threads, the warning filters and the logging of the
libraries the course uses, so that re-running a chapter gives the same
numbers and writes nothing to stderr. The environment variables it fills in
are those of :mod:`lossbook.environment`.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import warnings

import numpy as np

from lossbook._keras import load as _load_keras
from lossbook._validation import check_scalar as _check_scalar
from lossbook.environment import ENVIRONMENT, THREADS_VARIABLE, apply_environment

__all__ = ["setup", "apply_environment", "ENVIRONMENT", "THREADS_VARIABLE"]


def _setup_tensorflow(seed: int, threads: int) -> None:
    keras = _load_keras()
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
    _check_scalar(seed, "seed", kind="integer", low=0, example=0)
    if threads is None:
        value = os.environ.get(THREADS_VARIABLE, "1")
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError(
                f"The environment variable {THREADS_VARIABLE} must be an integer >= 1; got {value!r}. "
                f"Unset it, or set it to a whole number such as 1."
            )
        threads = int(value)
    _check_scalar(threads, "threads", kind="integer", low=1, example=1)
    apply_environment()

    # Show every warning once per place, deprecations included: a warning in a
    # chapter lands on stderr, and the test suite rejects stored stderr.
    warnings.simplefilter("default")
    # TensorFlow's autograph builds syntax trees with gast, which passes an
    # extra keyword to Python's ast classes; Python 3.13 warns about it on every
    # traced function. Nothing a learner can change, so it is not shown.
    warnings.filterwarnings("ignore", message=r".*unexpected keyword argument '___pyct_anno'", category=DeprecationWarning)

    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=4, suppress=True)
    _setup_matplotlib()
    if keras:
        _setup_tensorflow(int(seed), int(threads))
