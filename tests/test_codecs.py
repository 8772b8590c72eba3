"""The grader's value codec (lossbook.exercises.model) and the sandbox harness's agree, both ways.

The harness must not import lossbook inside the sandbox, so the wire format is
written twice: the grader encodes a case's arguments and the harness decodes
them; the harness encodes what the student's function returned and the grader
decodes it. Each value below makes both trips through JSON text and must come
back equal, of the same type, dtype and shape.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from coursetools import harness
from lossbook.exercises import model

VALUES = [
    None,
    True,
    False,
    0,
    -7,
    2.5,
    float("inf"),
    float("nan"),
    "converge",
    "",
    [1, 2.0, "a", None],
    (0.25, "oscillate"),
    (1,),
    (),
    np.array([0.5, 2.0]),
    np.arange(6, dtype=np.int64).reshape(2, 3),
    np.array([[True, False]]),
    np.zeros((0, 3), dtype=np.float32),
    np.array(3.0),
    (np.array([1.0, np.nan]), [np.int32(4), (np.float64(0.1), "x")]),
]


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        )
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


def _plain(value):
    """What a value is once sent: NumPy scalars become Python numbers."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _wire(encoded):
    return json.loads(json.dumps(encoded, allow_nan=True))


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_a_case_argument_reaches_the_harness_unchanged(value):
    assert _same(_plain(value), harness.decode(_wire(model.encode(value))))


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_a_returned_value_reaches_the_grader_unchanged(value):
    assert _same(_plain(value), model.decode(_wire(harness.encode(value))))


def test_what_the_harness_cannot_send_arrives_as_an_opaque_value_that_matches_nothing():
    class Strange:
        def __repr__(self):
            return "Strange()"

    values = [Strange(), np.array(["a", "b"]), np.zeros(harness.ARRAY_ELEMENTS + 1), {"key": 1}]
    received = [model.decode(_wire(harness.encode(v))) for v in values]
    assert all(isinstance(r, model.Opaque) for r in received)
    assert [r.type for r in received] == ["Strange", "ndarray", "ndarray", "dict"]
    assert received[0].repr == "Strange()" and "too large" in received[2].repr
