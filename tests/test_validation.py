"""lossbook._validation.check_scalar: the one check of every scalar argument."""

import numpy as np
import pytest

from lossbook._validation import check_scalar


@pytest.mark.parametrize(
    "value, kwargs",
    [
        (3, {"kind": "integer", "low": 1}),
        (np.int64(0), {"kind": "integer", "low": 0, "high": 0}),
        (0.5, {"low": 0, "high": 1, "high_open": True}),
        (1e-9, {"low": 0, "low_open": True}),
        (-2.5, {}),
    ],
)
def test_valid_values_pass(value, kwargs):
    assert check_scalar(value, "x", **kwargs) is None


@pytest.mark.parametrize(
    "value, kwargs, message",
    [
        (2.0, {"kind": "integer", "low": 1}, "`x` must be an integer >= 1; got 2.0."),
        (True, {"kind": "integer", "low": 0}, "`x` must be an integer >= 0; got True."),
        (5, {"kind": "integer", "low": 1, "high": 4}, "`x` must be an integer from 1 to 4; got 5."),
        (0.0, {"low": 0, "low_open": True}, "`x` must be a positive, finite number; got 0.0."),
        (1.0, {"low": 0, "high": 1, "high_open": True}, r"`x` must be a number in \[0, 1\); got 1.0."),
        (float("nan"), {}, "`x` must be a finite number; got nan."),
        (-0.1, {"low": 0}, "`x` must be a finite number >= 0; got -0.1."),
        ("1", {}, "`x` must be a finite number; got '1'."),
    ],
)
def test_each_failure_names_what_was_expected_and_what_came(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_scalar(value, "x", **kwargs)


def test_the_example_is_offered_as_the_fix():
    with pytest.raises(ValueError, match=r"Pass e\.g\. epochs=100\.$"):
        check_scalar(0, "epochs", kind="integer", low=1, example=100)
