"""Test configuration shared by the unit tests, the doctests and nbval.

nbval starts one Jupyter kernel per notebook as a child of this process, so
the environment that TensorFlow and the BLAS libraries read at start-up is set
here, before any kernel exists.
"""

from lossbook._setup import apply_environment

apply_environment()
