"""The process environment that makes the course's numbers the same everywhere.

:data:`ENVIRONMENT` holds the variables that must be in place before NumPy and
TensorFlow are imported: fixed seeds and threads, quiet logging, and the
instruction-set pins. :func:`apply_environment` fills them in;
:func:`numpy_targets` names the NumPy kernels above the pins;
:func:`silenced_stderr` keeps TensorFlow's import-time lines off stderr.
:func:`lossbook.setup`, the Keras loader, ``conftest.py`` and the course
tools (``coursetools.course``, ``coursetools.book``) read them from here.
This module imports nothing of lossbook.
"""

from __future__ import annotations

import contextlib
import os
import sys

__all__ = ["ENVIRONMENT", "THREADS_VARIABLE", "apply_environment", "numpy_targets", "silenced_stderr"]


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
#: :func:`lossbook.setup` sets any that are missing, which reaches TensorFlow and oneDNN
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

#: Environment variable read by :func:`lossbook.setup` for TensorFlow's thread count when
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
def silenced_stderr():
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
