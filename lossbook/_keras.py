"""The private layer between lossbook and Keras.

:func:`load` imports Keras with TensorFlow's import-time lines kept off
stderr; :func:`split_arrays` checks a split against a loss and returns the
arrays every fit trains on; :func:`frozen` and :func:`frozen_figures` make the
read-only arrays of a fit's history. :mod:`lossbook.models`, :mod:`lossbook.training`,
:mod:`lossbook.replicas` and :mod:`lossbook.plotting` use them, so no module
reaches into another's private names.
"""

from __future__ import annotations

import sys
import types

import numpy as np

__all__ = ["load", "split_arrays", "frozen", "frozen_figures"]


def load():
    """Import Keras, keeping TensorFlow's import-time lines off stderr; return the module.

    If TensorFlow is not imported yet, the environment that
    ``lossbook.setup`` would set (TensorFlow backend, no GPU, quiet logging,
    the pinned kernels) is filled in first, without overriding anything
    already set.
    """
    if "tensorflow" not in sys.modules:
        from lossbook._setup import _silenced_stderr, apply_environment

        apply_environment()
        with _silenced_stderr():
            import tensorflow  # noqa: F401
    import keras

    return keras


def split_arrays(split, loss, *, outputs: int, holder: str = "model") -> dict:
    """Check a split against a loss; return ``{"train": (x, y), "test": (x, y)}``.

    The inputs must be finite numbers and the targets in the loss's format
    (:func:`lossbook.models.check_targets`, whose messages name the
    ``holder``). Inputs come back as float32, and so do targets that are
    floats or booleans; integer class labels keep their type.

    Raises
    ------
    ValueError
        If ``split`` is not a :class:`lossbook.data.Split`, an input is not a
        finite number, or the targets do not fit the loss.
    """
    from lossbook import data, models

    if not isinstance(split, data.Split):
        raise ValueError(
            f"`split` must be a lossbook.data.Split; got {type(split).__name__}. "
            "Use data.regression(), data.circles(), data.blobs() or data.Split(x_train, y_train, x_test, y_test)."
        )
    arrays = {}
    for half in ("train", "test"):
        x = getattr(split, f"x_{half}")
        y = getattr(split, f"y_{half}")
        if x.dtype.kind not in "biuf" or not np.all(np.isfinite(x)):
            raise ValueError(
                f"`x_{half}` must hold finite numbers; got dtype {x.dtype}"
                f"{'' if x.dtype.kind not in 'biuf' else ' with NaN or infinity'}. Clean the inputs first."
            )
        models.check_targets(loss, y, outputs=outputs, name=f"y_{half}", holder=holder)
        if y.dtype.kind in "fb":
            y = y.astype(np.float32)
        arrays[half] = (np.asarray(x, dtype=np.float32), y)
    return arrays


def frozen(values, dtype) -> np.ndarray:
    """A read-only copy of ``values`` as an array of ``dtype``."""
    values = np.array(values, dtype=dtype)
    values.flags.writeable = False
    return values


def frozen_figures(history, shape: tuple, expected: str) -> None:
    """Freeze a history's ``train`` and ``test`` figures in place: read-only arrays of ``shape`` in read-only mappings.

    ``expected`` says in words what the shape is ("one value per epoch").
    """
    for half in ("train", "test"):
        figures = {}
        for key, values in dict(getattr(history, half)).items():
            values = frozen(values, np.float64)
            if values.shape != shape:
                raise ValueError(f"{half}[{key!r}] has shape {values.shape}; pass {expected}, shape {shape}.")
            figures[key] = values
        object.__setattr__(history, half, types.MappingProxyType(figures))
