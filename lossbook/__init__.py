"""lossbook: the helper package of an executable course on loss functions.

The chapters import modules, not objects::

    import lossbook
    from lossbook import data, losses, models, replicas, stats

    lossbook.setup(seed=0)

The modules a chapter or a learner calls are :mod:`~lossbook.calibration`,
:mod:`~lossbook.data`, :mod:`~lossbook.exercises`, :mod:`~lossbook.intervals`,
:mod:`~lossbook.keras_losses` (which imports Keras, so ``import lossbook``
leaves it out), :mod:`~lossbook.losses`, :mod:`~lossbook.models`,
:mod:`~lossbook.nested`, :mod:`~lossbook.optim`, :mod:`~lossbook.plotting`,
:mod:`~lossbook.registry` (the table of losses), :mod:`~lossbook.replicas`,
:mod:`~lossbook.resampling`, :mod:`~lossbook.stats` and
:mod:`~lossbook.training`. Beneath them stand :mod:`~lossbook.seeds`,
:mod:`~lossbook.history` and :mod:`~lossbook.environment`, and the private
``_keras``, ``_setup`` and ``_validation``; ``tests/test_layers.py`` keeps
their imports running one way.
"""

from lossbook import (
    calibration,
    data,
    exercises,
    losses,
    models,
    optim,
    plotting,
    registry,
    replicas,
    resampling,
    stats,
    training,
)
from lossbook._setup import setup

__version__ = "0.1.0"

__all__ = [
    "setup",
    "calibration",
    "data",
    "exercises",
    "losses",
    "models",
    "optim",
    "plotting",
    "registry",
    "replicas",
    "resampling",
    "stats",
    "training",
    "__version__",
]
