"""lossbook: the helper package of an executable course on loss functions.

The chapters import modules, not objects::

    import lossbook
    from lossbook import calibration, data, losses, models, optim, plotting, replicas, stats, training

    lossbook.setup(seed=0)
"""

from lossbook import calibration, data, exercises, losses, models, optim, plotting, registry, replicas, resampling, stats, training
from lossbook._setup import setup

__version__ = "0.1.0"

__all__ = ["setup", "calibration", "data", "exercises", "losses", "models", "optim", "plotting", "registry", "replicas", "resampling", "stats", "training", "__version__"]
