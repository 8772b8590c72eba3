"""lossbook: the helper package of an executable course on loss functions.

The chapters import modules, not objects::

    import lossbook
    from lossbook import optim, plotting

    lossbook.setup(seed=0)
"""

from lossbook import optim, plotting
from lossbook._setup import setup

__version__ = "0.1.0"

__all__ = ["setup", "optim", "plotting", "__version__"]
