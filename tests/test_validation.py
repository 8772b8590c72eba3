"""lossbook._validation: the one check of every scalar argument, and the one check of labels."""

import ast
from pathlib import Path

import numpy as np
import pytest

import lossbook
from lossbook import _heads, losses, models, registry
from lossbook._validation import TARGET_KINDS, check_scalar, check_targets


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


# ---------------------------------------------------------------------------
# check_targets: the one check of labels
# ---------------------------------------------------------------------------

P2 = [[0.6, 0.4], [0.3, 0.7]]
P3 = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]

#: Bad labels: the loss, the labels, predictions for the NumPy loss, the number of
#: outputs of the Keras model, and the sentence both reject the labels with.
BAD_LABELS = {
    "text": ("mean_squared_error", ["a", "b"], [0.0, 1.0], None, "`y_true` must hold real numbers; got an array of dtype <U1."),
    "empty": ("mean_squared_error", [], [0.5], None, "`y_true` is empty (shape (0,)); expected at least one example."),
    "nan": (
        "binary_crossentropy",
        [0.0, np.nan],
        [0.2, 0.7],
        None,
        "`y_true` must be finite; got 1 NaN and 0 infinite value(s), the first at y_true[1].",
    ),
    "signed for bce": (
        "binary_crossentropy",
        [-1, 1, 1],
        [0.2, 0.7, 0.9],
        None,
        "binary_crossentropy expects labels 0 / 1; got -1 / +1.",
    ),
    "classes for bce": (
        "binary_crossentropy",
        [0, 1, 2],
        [0.2, 0.7, 0.9],
        None,
        "`y_true` must lie in [0, 1]; got y_true[2] = 2 (values range from 0 to 2).",
    ),
    "mixed for hinge": (
        "hinge",
        [-1, 0, 1],
        [0.3, 0.8, -0.5],
        None,
        "hinge expects labels -1 / +1 (or 0 / 1, converted to -1 / +1); got {-1, 0, 1}.",
    ),
    "classes for squared hinge": (
        "squared_hinge",
        [0, 1, 2],
        [0.3, 0.8, -0.5],
        None,
        "squared_hinge expects labels -1 / +1 (or 0 / 1, converted to -1 / +1); got {0, 1, 2}.",
    ),
    "indices for cce": (
        "categorical_crossentropy",
        [0, 2, 1],
        P3,
        3,
        "categorical_crossentropy expects one-hot rows of shape (n, K), or rows of probabilities; "
        "got integer class labels of shape (3,).",
    ),
    "rows not summing to 1": (
        "kl_divergence",
        [[0.5, 0.6], [0.0, 1.0]],
        P2,
        2,
        "`y_true` rows must each sum to 1 (within 1e-05), one probability per class; got row 0 summing to 1.1.",
    ),
    "rows outside [0, 1]": (
        "categorical_hinge",
        [[1.5, -0.5], [0.0, 1.0]],
        P2,
        2,
        "`y_true` must lie in [0, 1]; got y_true[0, 0] = 1.5 (values range from -0.5 to 1.5).",
    ),
    "one-hot for sparse": (
        "sparse_categorical_crossentropy",
        np.eye(3),
        P3,
        3,
        "sparse_categorical_crossentropy expects integer class labels of shape (n,) or (n, 1); got rows of shape (3, 3).",
    ),
    "fractional index": (
        "sparse_categorical_crossentropy",
        [0, 0.5, 2],
        P3,
        3,
        "`y_true` must hold integer class indices 0..2; got y_true[1] = 0.5.",
    ),
    "labels 1..K": (
        "sparse_categorical_crossentropy",
        [1, 2, 3],
        P3,
        3,
        "`y_true` must hold integer class indices 0..2, one per column of `y_pred` (3 classes); got y_true[2] = 3.",
    ),
    # Chapters 12 to 14
    "negative counts for poisson": (
        "poisson",
        [2, -1, 0],
        [1.0, 1.0, 1.0],
        None,
        "`y_true` must be >= 0; got y_true[1] = -1 (values range from -1 to 2).",
    ),
    "signed for focal": (
        "binary_focal_crossentropy",
        [-1, 1, 1],
        [0.2, 0.7, 0.9],
        None,
        "binary_focal_crossentropy expects labels 0 / 1; got -1 / +1.",
    ),
    "classes for weighted bce": (
        "weighted_binary_crossentropy",
        [0, 1, 2],
        [0.2, 0.7, 0.9],
        None,
        "`y_true` must lie in [0, 1]; got y_true[2] = 2 (values range from 0 to 2).",
    ),
    "indices for label smoothing": (
        "label_smoothed_categorical_crossentropy",
        [0, 2, 1],
        P3,
        3,
        "label_smoothed_categorical_crossentropy expects one-hot rows of shape (n, K), or rows of probabilities; "
        "got integer class labels of shape (3,).",
    ),
    "indices for categorical focal": (
        "categorical_focal_crossentropy",
        [0, 2, 1],
        P3,
        3,
        "categorical_focal_crossentropy expects one-hot rows of shape (n, K), or rows of probabilities; "
        "got integer class labels of shape (3,).",
    ),
}


def _message(function, *args, **kwargs):
    """The message of the ValueError that ``function(*args, **kwargs)`` raises."""
    with pytest.raises(ValueError) as caught:
        function(*args, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("case", list(BAD_LABELS))
def test_numpy_losses_and_keras_training_reject_bad_labels_with_the_same_words(case):
    loss, y_true, y_pred, n_classes, sentence = BAD_LABELS[case]
    numpy_message = _message(getattr(losses, loss), y_true, y_pred)
    keras_message = _message(models.check_labels, loss, np.asarray(y_true), n_classes=n_classes)
    assert numpy_message.startswith(sentence + " ")
    # The Keras check says everything the loss says and may add advice for the Keras model.
    assert keras_message.startswith(numpy_message)


def test_training_names_the_split_in_front_of_the_same_words():
    numpy_message = _message(losses.binary_crossentropy, [0, -1, 1], [0.2, 0.3, 0.9])
    training_message = _message(_heads.check_targets, "binary_crossentropy", np.array([0, -1, 1]), outputs=1, name="y_train")
    assert training_message.startswith(f"y_train: {numpy_message}")
    assert "loss='hinge' on a tanh output" in training_message.removeprefix(f"y_train: {numpy_message}")


def test_every_format_of_the_registry_has_its_check():
    formats = set(registry.LABEL_FORMATS) | {row.y_true for row in registry.LOSSES.values()}
    assert formats == set(TARGET_KINDS)


@pytest.mark.parametrize(
    "kind, y, kwargs",
    [
        ("real", [-2.5, 0.0, 3.1], {}),
        ("non-negative", [0.0, 2.5], {}),
        ("binary", [0, 1, 0.3], {}),
        ("binary", np.array([True, False]), {}),
        ("signed", [-1, 1, 1], {}),
        ("signed", [[0], [1]], {}),
        ("one-hot", [[0, 1, 0], [0.2, 0.3, 0.5]], {}),
        ("distribution", [[0.5, 0.5]], {}),
        ("index", [[0], [2], [1]], {"n_classes": 3}),
        ("index", [0.0, 7.0], {}),
    ],
)
def test_targets_in_their_format_pass_unchanged(kind, y, kwargs):
    y = np.asarray(y)
    assert check_targets(kind, y, caller="f", **kwargs) is y


@pytest.mark.parametrize(
    "kind, y, kwargs, message",
    [
        ("real", [[1.0], [2.0, 3.0]], {}, r"^`y` could not be read as an array of numbers"),
        ("non-negative", [1.0, -1.0], {}, r"^`y` must be >= 0; got y\[1\] = -1 \(values range from -1 to 1\)\.$"),
        ("signed", [-1, 1, 0.5], {}, r"^f expects labels -1 / \+1 .*; got \{-1, 0\.5, 1\}\."),
        ("signed", list(range(9)), {}, r"got \{0, 1, 2, 3, 4, 5, \.\.\.\}\."),
        ("one-hot", [[[1.0, 0.0]]], {}, r"^f expects one-hot rows of shape \(n, K\), .*; got an array of shape \(1, 1, 2\)\."),
        ("distribution", [0.2, 0.8], {}, r"got one value per example of shape \(2,\)\."),
        (
            "index",
            [0, 3],
            {"n_classes": 3, "name": "labels", "columns": "the scores"},
            r"^`labels` must hold integer class indices 0\.\.2, one per column of the scores \(3 classes\); got labels\[1\] = 3\. "
            r"Labels are column numbers of the scores, counted from 0: labels numbered from 1 need labels - 1",
        ),
        ("index", [0, 1], {"n_classes": 2.0}, r"^`n_classes` must be an integer >= 2; got 2\.0\."),
        ("probability", [0.5], {}, r"^`kind` must be one of real, non-negative, binary, signed, one-hot, distribution, index"),
    ],
)
def test_targets_in_another_format_are_rejected(kind, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_targets(kind, y, caller="f", **kwargs)


def test_the_fix_is_added_to_the_format_messages_only():
    fix = "Call f differently."
    for kind, y in [
        ("binary", [-1, 1]),
        ("binary", [0, 2]),
        ("signed", [0, 2]),
        ("one-hot", [0, 1]),
        ("index", [[0, 1]]),
        ("non-negative", [-1.0]),
    ]:
        assert _message(check_targets, kind, y, caller="f", fix=fix).endswith(fix)
    for kind, y in [("one-hot", [[0.5, 0.6]]), ("index", [0.5]), ("real", [np.inf])]:
        assert fix not in _message(check_targets, kind, y, caller="f", fix=fix)


def _message_strings(path):
    """The string pieces of ``path``'s code, without its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize(
    "words",
    [
        "must hold real numbers",
        "must be finite; got",
        "labels 0 / 1",
        "labels -1 / +1 (or 0 / 1",
        "one-hot rows of shape (n, K)",
        "integer class labels of shape (n,)",
        "must hold integer class indices",
        "rows must each sum to 1",
        "Labels are column numbers of",
    ],
)
def test_each_label_message_is_written_once_in_the_package(words):
    package = Path(lossbook.__file__).parent
    found = [path.name for path in sorted(package.rglob("*.py")) for text in _message_strings(path) if words in text]
    assert found and set(found) == {"_validation.py"}, found
