"""Seeds: one independent stream per random draw of a run, and the check of a list of seeds.

A run of the course (one network, one seed) draws four things at random: the
hidden layer's initial weights, the output layer's, the order of the batches,
and any resampling of the data. :func:`streams` derives one seed per draw, so
:mod:`lossbook.data`, :mod:`lossbook.models`, :mod:`lossbook.training` and
:mod:`lossbook.replicas` mean the same run by the same seed.
:func:`check_seeds` is the one check of a list of seeds, one per replica.
"""

from __future__ import annotations

import numpy as np

from lossbook._validation import check_int

__all__ = ["STREAMS", "streams", "check_seeds"]

#: The random draws of one run, each from its own stream (:func:`streams`).
STREAMS = ("hidden", "output", "order", "data")


def streams(seed: int) -> dict[str, int]:
    """One independent integer seed per random draw of a run, derived from ``seed``.

    ``numpy.random.SeedSequence(seed).spawn(4)`` gives one child per draw in
    :data:`STREAMS`: the hidden layer's initial weights, the output layer's,
    the batch order, and any resampling of the data. Each child is hashed
    from the seed *and* its position, so no two streams of the same or of
    different seeds coincide; seeding the layers with ``seed`` and
    ``seed + 1`` instead would give the output layer of seed 0 the same
    uniform numbers as the hidden layer of seed 1.

    Parameters
    ----------
    seed : int
        The run's seed, 0 or more.

    Returns
    -------
    dict of str to int
        A seed below 2**31 for each stream, for Keras' initialisers or
        ``numpy.random.default_rng``.

    Examples
    --------
    >>> from lossbook import seeds
    >>> s = seeds.streams(0)
    >>> sorted(s) == sorted(seeds.STREAMS), s == seeds.streams(0), s["hidden"] != seeds.streams(1)["output"]
    (True, True, True)
    """
    check_int(seed, "seed", low=0, example=0)
    children = np.random.SeedSequence(int(seed)).spawn(len(STREAMS))
    return {name: int(child.generate_state(1)[0] >> 1) for name, child in zip(STREAMS, children)}


def check_seeds(seeds) -> np.ndarray:
    """Check a sequence of seeds, one per replica; return them as an int64 array.

    Raises
    ------
    ValueError
        If ``seeds`` is not a non-empty sequence of non-negative integers.

    Examples
    --------
    >>> from lossbook import seeds
    >>> seeds.check_seeds(range(3))
    array([0, 1, 2])
    """
    values = np.asarray(seeds)
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iu" or values.min() < 0:
        raise ValueError(
            f"`seeds` must be a non-empty sequence of non-negative integers, one per replica; got {seeds!r}. "
            "Pass e.g. seeds=range(30)."
        )
    return values.astype(np.int64)
