"""lossbook.data: the course's datasets, splits and label formats."""

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import make_blobs, make_circles, make_regression

from lossbook import data


# ---------------------------------------------------------------------------
# The canonical problems
# ---------------------------------------------------------------------------


def test_regression_is_standardised_with_the_training_half():
    split = data.regression()
    assert split.x_train.shape == split.x_test.shape == (500, 20)
    assert split.y_train.shape == split.y_test.shape == (500,)
    assert split.x_train.dtype == split.y_train.dtype == np.float32
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(split.x_train.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose([split.y_train.mean(), split.y_train.std()], [0, 1], atol=1e-5)
    # The test half is scaled with the same statistics, so it is not exactly standard.
    assert abs(split.y_test.std() - 1) > 0.05


def test_regression_reproduces_the_generator_row_for_row():
    x, y = make_regression(n_samples=1000, n_features=20, noise=0.1, random_state=1)
    split = data.regression()
    mean, std = y[:500].mean(), y[:500].std()
    np.testing.assert_allclose(split.y_test, (y[500:] - mean) / std, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(split.x_test[:, 3], (x[500:, 3] - x[:500, 3].mean()) / x[:500, 3].std(), rtol=1e-5, atol=1e-6)


def test_regression_can_scale_with_all_rows_as_the_tutorial_did():
    split = data.regression(scale_with="all")
    y = np.concatenate([split.y_train, split.y_test])
    x = np.concatenate([split.x_train, split.x_test])
    np.testing.assert_allclose([y.mean(), y.std()], [0, 1], atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0), 1, atol=1e-5)
    assert abs(split.y_train.std() - 1) > 0.05


def test_bad_scaling_choice_is_rejected():
    with pytest.raises(ValueError, match="`scale_with` must be 'train' or 'all'; got 'test'"):
        data.regression(scale_with="test")


def test_circles_are_the_generator_output_unscaled():
    x, y = make_circles(n_samples=1000, noise=0.1, random_state=1)
    split = data.circles()
    np.testing.assert_array_equal(split.x_train, x[:500].astype(np.float32))
    np.testing.assert_array_equal(split.y_test, y[500:])
    assert split.y_train.dtype == np.int64 and split.x_train.dtype == np.float32
    assert split.name == "circles"


def test_blobs_are_the_generator_output_unscaled():
    x, y = make_blobs(n_samples=1000, centers=3, n_features=2, cluster_std=2, random_state=2)
    split = data.blobs()
    np.testing.assert_array_equal(split.x_test, x[500:].astype(np.float32))
    np.testing.assert_array_equal(split.y_train, y[:500])
    assert set(np.unique(split.y_train)) == {0, 1, 2}


# ---------------------------------------------------------------------------
# Split
# ---------------------------------------------------------------------------


def test_split_repr_is_short_and_names_the_shapes():
    assert repr(data.blobs()) == "Split('blobs', train: x (500, 2), y (500,); test: x (500, 2), y (500,))"


def test_split_is_frozen():
    split = data.circles()
    with pytest.raises(AttributeError):
        split.name = "other"


def test_map_targets_applies_to_both_halves_and_keeps_inputs():
    split = data.circles()
    signed = split.map_targets(data.to_signed, name="signed circles")
    np.testing.assert_array_equal(signed.y_train, 2 * split.y_train - 1)
    np.testing.assert_array_equal(signed.y_test, 2 * split.y_test - 1)
    assert signed.x_train is split.x_train and signed.name == "signed circles"
    assert split.map_targets(data.to_signed).name == "circles"


@pytest.mark.parametrize(
    "arrays, message",
    [
        ((np.zeros(3), np.zeros(3), np.zeros((2, 1)), np.zeros(2)), r"`x_train` must have shape \(n, features\)"),
        ((np.zeros((3, 2)), np.zeros(2), np.zeros((2, 2)), np.zeros(2)), "`x_train` and `y_train` must hold the same number"),
        ((np.zeros((3, 2)), np.zeros(3), np.zeros((2, 2)), np.zeros(3)), "`x_test` and `y_test` must hold the same number"),
        ((np.zeros((3, 2)), np.zeros(3), np.zeros((2, 3)), np.zeros(2)), "both halves must have the same features"),
    ],
)
def test_inconsistent_splits_are_rejected(arrays, message):
    with pytest.raises(ValueError, match=message):
        data.Split(*arrays)


# ---------------------------------------------------------------------------
# Positive skewed target and outliers
# ---------------------------------------------------------------------------


def test_positive_skewed_target_is_log_linear():
    split = data.positive_skewed_regression(noise=0.25, seed=3)
    y = np.concatenate([split.y_train, split.y_test]).astype(float)
    x = np.concatenate([split.x_train, split.x_test]).astype(float)
    assert y.min() > 0
    assert stats.skew(y) > 1.5  # a long right tail
    # log(y) = 1 + x @ w + noise: least squares recovers intercept 1 and residual spread 0.25.
    design = np.column_stack([np.ones(len(x)), x])
    coef, *_ = np.linalg.lstsq(design, np.log(y), rcond=None)
    residuals = np.log(y) - design @ coef
    assert coef[0] == pytest.approx(1.0, abs=0.05)
    assert np.linalg.norm(coef[1:]) == pytest.approx(0.8, abs=0.05)
    assert residuals.std() == pytest.approx(0.25, abs=0.02)


def test_positive_skewed_target_is_seeded():
    a = data.positive_skewed_regression(seed=4, n_samples=20, n_features=2)
    b = data.positive_skewed_regression(seed=4, n_samples=20, n_features=2)
    c = data.positive_skewed_regression(seed=5, n_samples=20, n_features=2)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert not np.array_equal(a.y_train, c.y_train)
    assert a.x_train.shape == (10, 2) and a.y_test.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_samples": 11}, "`n_samples` must be even"),
        ({"n_samples": 2}, "`n_samples` must be an integer >= 4"),
        ({"n_features": 0}, "`n_features` must be an integer >= 1"),
        ({"noise": -0.1}, "`noise` must be >= 0"),
        ({"noise": float("nan")}, "`noise` must be a finite number"),
        ({"seed": 1.5}, "`seed` must be an integer >= 0"),
    ],
)
def test_bad_skewed_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.positive_skewed_regression(**kwargs)


def test_outliers_shift_a_few_training_targets_only():
    clean = data.regression()
    dirty = data.with_outliers(clean, count=7, scale=-5.0, seed=2)
    changed = np.flatnonzero(dirty.y_train != clean.y_train)
    assert changed.size == 7
    np.testing.assert_allclose(dirty.y_train[changed] - clean.y_train[changed], -5.0 * clean.y_train.std(), rtol=1e-5)
    np.testing.assert_array_equal(dirty.y_test, clean.y_test)
    np.testing.assert_array_equal(dirty.x_train, clean.x_train)
    assert clean.y_train.std() == pytest.approx(1.0, abs=1e-5)  # the original is untouched
    assert dirty.name == "regression, 7 outliers"


def test_outlier_fraction_rounds_to_a_count_and_the_seed_picks_the_rows():
    clean = data.regression()
    a = data.with_outliers(clean, fraction=0.02, seed=0)
    b = data.with_outliers(clean, fraction=0.02, seed=1)
    rows_a = np.flatnonzero(a.y_train != clean.y_train)
    rows_b = np.flatnonzero(b.y_train != clean.y_train)
    assert rows_a.size == rows_b.size == 10
    assert not np.array_equal(rows_a, rows_b)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "give exactly one of `count` and `fraction`"),
        ({"count": 3, "fraction": 0.1}, "give exactly one of `count` and `fraction`"),
        ({"count": 0}, "`count` must be an integer from 1 to 500"),
        ({"count": 501}, "`count` must be an integer from 1 to 500"),
        ({"fraction": 1.5}, r"`fraction` must lie in \(0, 1\]"),
        ({"fraction": 0.0}, "`fraction` must be a positive, finite number"),
        ({"count": 3, "scale": 0.0}, "`scale` must not be 0"),
    ],
)
def test_bad_outlier_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.with_outliers(data.regression(), **kwargs)


def test_outliers_need_a_regression_target():
    with pytest.raises(ValueError, match="must have real-valued targets"):
        data.with_outliers(data.circles(), count=3)
    with pytest.raises(ValueError, match="`split` must be a lossbook.data.Split"):
        data.with_outliers((1, 2), count=3)


# ---------------------------------------------------------------------------
# Label formats
# ---------------------------------------------------------------------------


def test_to_signed_maps_zero_one_and_keeps_shape_and_kind():
    np.testing.assert_array_equal(data.to_signed(np.array([[0], [1]])), [[-1], [1]])
    assert data.to_signed(np.array([True, False])).tolist() == [1, -1]
    floats = data.to_signed(np.array([0.0, 1.0]))
    assert floats.dtype.kind == "f" and floats.tolist() == [-1.0, 1.0]
    np.testing.assert_array_equal(data.to_signed(np.eye(2, dtype=int)), [[1, -1], [-1, 1]])


@pytest.mark.parametrize(
    "y, message",
    [
        ([-1, 1, 1], r"^to_signed expects labels 0 / 1; got -1 / \+1\..*take -1 / \+1 as they are"),
        ([0, 1, 2], r"^`y` must lie in \[0, 1\]; got y\[2\] = 2 .*sparse_categorical_crossentropy"),
        ([0, 0.5, 1], r"^`y` must hold labels from \{0, 1\}; got y\[1\] = 0\.5\. .*\(y >= 0\.5\)"),
        ([], r"^`y` is empty"),
        (["0", "1"], "^`y` must hold real numbers"),
    ],
)
def test_to_signed_rejects_anything_but_zero_one(y, message):
    with pytest.raises(ValueError, match=message):
        data.to_signed(y)


def test_one_hot_rows():
    rows = data.one_hot(np.array([[2], [0]]), 3)
    np.testing.assert_array_equal(rows, [[0, 0, 1], [1, 0, 0]])
    assert rows.dtype == np.float32
    assert data.one_hot([1.0, 0.0], 2).tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    "y, k, message",
    [
        (
            [1, 2, 3],
            3,
            r"^`y` must hold integer class indices 0\.\.2, one per column of the one-hot rows \(3 classes\); "
            r"got y\[2\] = 3\..*need y - 1",
        ),
        ([0, 5], 3, r"got y\[1\] = 5"),
        ([0, -1], 3, r"got y\[1\] = -1"),
        ([0, 1.5], 3, r"^`y` must hold integer class indices 0\.\.2; got y\[1\] = 1\.5"),
        ([0, 1], 1, "`n_classes` must be an integer >= 2"),
        ([0, 1], True, "`n_classes` must be an integer >= 2"),
        (np.eye(3), 3, r"^one_hot expects integer class labels .* got rows of shape \(3, 3\).*y\.argmax\(axis=1\)"),
        (["a", "b"], 2, "^`y` must hold real numbers"),
        ([0, np.nan], 2, "^`y` must be finite"),
    ],
)
def test_bad_one_hot_input_is_rejected(y, k, message):
    with pytest.raises(ValueError, match=message):
        data.one_hot(y, k)


# ---------------------------------------------------------------------------
# Validation split and resampled data
# ---------------------------------------------------------------------------


def test_validation_is_carved_from_the_training_half_only():
    split = data.circles()
    held = data.validation(split, fraction=0.2, seed=3)
    assert held.x_train.shape == (400, 2) and held.x_test.shape == (100, 2)
    rows = np.concatenate([held.x_train, held.x_test])
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, split.x_train.tolist()))
    assert not set(map(tuple, held.x_test.tolist())) & set(map(tuple, split.x_test.tolist()))
    again = data.validation(split, fraction=0.2, seed=3)
    other = data.validation(split, fraction=0.2, seed=4)
    assert np.array_equal(held.x_test, again.x_test) and not np.array_equal(held.x_test, other.x_test)
    with pytest.raises(ValueError, match="`fraction` must leave at least one row"):
        data.validation(split, fraction=0.0001)


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_resampled_data_are_new_rows_of_the_same_problem(task):
    base = data.canonical(task)
    first, again, other = data.resampled(task, 0), data.resampled(task, 0), data.resampled(task, 1)
    assert first.x_train.shape == base.x_train.shape and first.y_train.dtype == base.y_train.dtype
    assert np.array_equal(first.x_train, again.x_train) and not np.array_equal(first.x_train, other.x_train)
    if task == "multiclass":  # the same three centres: class means within 0.5 of the canonical ones
        for k in range(3):
            assert np.abs(first.x_train[first.y_train == k].mean(0) - base.x_train[base.y_train == k].mean(0)).max() < 0.5
    if task == "regression":  # the same coefficients: a linear fit of one draw predicts the other
        w, *_ = np.linalg.lstsq(base.x_train, base.y_train, rcond=None)
        assert np.corrcoef(first.x_train @ w, first.y_train)[0, 1] > 0.99
