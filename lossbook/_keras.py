"""The private layer between lossbook and Keras: :func:`load` imports it.

:mod:`lossbook.keras_losses`, :mod:`lossbook.models`, :mod:`lossbook.training`,
:mod:`lossbook.replicas`, :mod:`lossbook.plotting` and :func:`lossbook.setup`
import Keras through :func:`load`, never directly, so TensorFlow's import-time
lines stay off stderr whichever of them comes first.
"""

from __future__ import annotations

import sys

from lossbook.environment import apply_environment, silenced_stderr

__all__ = ["load"]


def load():
    """Import Keras, keeping TensorFlow's import-time lines off stderr; return the module.

    If TensorFlow is not imported yet, the environment that
    ``lossbook.setup`` would set (TensorFlow backend, no GPU, quiet logging,
    the pinned kernels) is filled in first, without overriding anything
    already set.
    """
    if "tensorflow" not in sys.modules:
        apply_environment()
        with silenced_stderr():
            import tensorflow  # noqa: F401
    import keras

    return keras
