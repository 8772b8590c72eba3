"""lossbook.models: heads that match the loss, seeded weights, metrics that read the output."""

import numpy as np
import pytest

import lossbook

lossbook.setup(seed=0, keras=True)

import keras  # noqa: E402

from lossbook import data, models, seeds  # noqa: E402


def _predict(model, x):
    return keras.ops.convert_to_numpy(model(np.asarray(x, dtype=np.float32), training=False))


def _tanh_of_first_input(scale=1.0):
    """A tanh model whose output is tanh(scale * x1): class +1 exactly where x1 > 0."""
    model = models.compile_for(models.mlp(2, hidden=2, activation="tanh"), "hinge")
    model.set_weights([np.array([[scale, -scale], [0, 0]]), np.zeros(2), np.array([[1.0], [-1.0]]), np.zeros(1)])
    return model


# ---------------------------------------------------------------------------
# Which head goes with which loss
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, problem, activation, labels",
    [
        ("mean_squared_error", "regression", "linear", "real"),
        ("mse", "regression", "linear", "real"),
        ("mae", "regression", "linear", "real"),
        ("msle", "regression", "linear", "real"),
        ("huber", "regression", "linear", "real"),
        ("binary_crossentropy", "binary", "sigmoid", "binary"),
        ("hinge", "binary", "tanh", "signed"),
        ("squared_hinge", "binary", "tanh", "signed"),
        ("categorical_crossentropy", "multiclass", "softmax", "one-hot"),
        ("kld", "multiclass", "softmax", "one-hot"),
        ("sparse_categorical_crossentropy", "multiclass", "softmax", "index"),
    ],
)
def test_head_for_names(loss, problem, activation, labels):
    head = models.head_for(loss)
    assert (head.task, head.activation, head.labels) == (problem, activation, labels)
    # Every resolved name is a loss Keras accepts under that name.
    assert keras.losses.get(head.loss).__name__ == head.loss


def test_head_for_loss_objects():
    assert models.head_for(keras.losses.Huber(delta=0.5)).loss == "huber"
    assert models.head_for(keras.losses.KLDivergence()).activation == "softmax"
    logits = models.head_for(keras.losses.BinaryCrossentropy(from_logits=True))
    assert (logits.activation, logits.from_logits) == ("linear", True)


def test_unknown_losses_are_rejected_with_the_allowed_names():
    with pytest.raises(ValueError, match="unknown loss 'cross_entropy'; expected one of mean_squared_error, .*hinge"):
        models.head_for("cross_entropy")
    with pytest.raises(ValueError, match="Keras 3 calls it 'kl_divergence'"):
        models.head_for("kullback_leibler_divergence")
    with pytest.raises(ValueError, match="got an object of type Tversky"):
        models.head_for(keras.losses.Tversky())


@pytest.mark.upstream
def test_keras_3_no_longer_knows_the_old_kl_name():
    # The reason for the hint above; if Keras brings the name back, drop the hint.
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        keras.losses.get("kullback_leibler_divergence")


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def test_mlp_layout_and_he_uniform_start():
    model = models.mlp(20, hidden=25, seed=3)
    assert model.input_shape == (None, 20) and model.output_shape == (None, 1)
    hidden, output = model.layers
    assert hidden.activation.__name__ == "relu" and models.output_activation(model) == "linear"
    kernel = hidden.get_weights()[0]
    bound = np.sqrt(6 / 20)  # He uniform: U(-sqrt(6 / fan_in), sqrt(6 / fan_in))
    assert np.abs(kernel).max() <= bound and np.abs(kernel).max() > 0.9 * bound
    assert np.all(hidden.get_weights()[1] == 0)


def test_each_layer_and_seed_draws_from_its_own_stream():
    """The output kernel of seed 0 and the hidden kernel of seed 1 once shared their uniforms."""
    first, second = models.mlp(2, hidden=50, seed=0).get_weights(), models.mlp(2, hidden=50, seed=1).get_weights()
    r = np.corrcoef(first[2].ravel(), second[0].ravel()[:50])[0, 1]
    assert abs(r) < 0.5
    assert seeds.streams(3) == seeds.streams(3) and len(set(seeds.streams(3).values())) == len(seeds.STREAMS)
    with pytest.raises(ValueError, match="`seed` must be an integer >= 0"):
        seeds.streams(-1)


def test_the_streams_keep_their_old_address_for_one_release_with_a_warning():
    with pytest.warns(DeprecationWarning, match="lossbook.models.streams is now lossbook.seeds.streams"):
        assert models.streams(3) == seeds.streams(3)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        models.nothing  # noqa: B018


@pytest.mark.parametrize("name", ["metric_function", "output_units", "check_targets"])
def test_the_plumbing_that_left_models_still_answers_there_with_a_warning(name):
    from lossbook import _heads

    with pytest.warns(DeprecationWarning, match=f"lossbook.models.{name} is lossbook's own plumbing now"):
        assert getattr(models, name) is getattr(_heads, name)
    assert name not in models.__all__


def test_same_seed_same_weights_other_seed_other_weights():
    first = models.mlp(2, hidden=50, seed=7).get_weights()
    again = models.mlp(2, hidden=50, seed=7).get_weights()
    other = models.mlp(2, hidden=50, seed=8).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[2], other[2])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_inputs": 0, "hidden": 3}, "`n_inputs` must be an integer >= 1"),
        ({"n_inputs": 2, "hidden": 2.0}, "`hidden` must be an integer >= 1"),
        ({"n_inputs": 2, "hidden": 3, "activation": "relu"}, "`activation` must be one of linear, sigmoid, tanh, softmax"),
        ({"n_inputs": 2, "hidden": 3, "activation": "softmax"}, "a softmax output needs at least 2 units"),
        ({"n_inputs": 2, "hidden": 3, "seed": -1}, "`seed` must be an integer >= 0"),
    ],
)
def test_bad_network_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.mlp(**kwargs)


@pytest.mark.parametrize(
    "loss, n_classes, activation, width, metric",
    [
        ("mse", None, "linear", 1, "mse"),
        ("binary_crossentropy", None, "sigmoid", 1, "accuracy"),
        ("squared_hinge", None, "tanh", 1, "accuracy"),
        ("kl_divergence", 3, "softmax", 3, "accuracy"),
    ],
)
def test_build_picks_head_metric_and_optimiser(loss, n_classes, activation, width, metric):
    model = models.build(loss, n_inputs=2, hidden=5, n_classes=n_classes, seed=1)
    assert models.output_activation(model) == activation
    assert model.output_shape == (None, width)
    config = model.optimizer.get_config()
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert (round(config["learning_rate"], 6), config["momentum"], config["nesterov"]) == (0.01, 0.9, False)
    x, y = np.zeros((4, 2), dtype=np.float32), np.zeros((4, width), dtype=np.float32)
    y[:, 0] = 1
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", metric}


def test_build_checks_the_class_count():
    with pytest.raises(ValueError, match="multi-class loss: pass n_classes"):
        models.build("categorical_crossentropy", n_inputs=2, hidden=5)
    with pytest.raises(ValueError, match="hinge is a binary loss with one output unit; got n_classes=2"):
        models.build("hinge", n_inputs=2, hidden=5, n_classes=2)
    with pytest.raises(ValueError, match="`momentum` must be a number in \\[0, 1\\)"):
        models.build("mse", n_inputs=2, hidden=5, momentum=1.0)


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("label_shape", ["(n,)", "(n, 1)"])
@pytest.mark.parametrize("pred_shape", ["(n,)", "(n, 1)"])
@pytest.mark.parametrize("negative", [-1, 0])
def test_sign_accuracy_equals_numpy_accuracy_for_any_column_shape(label_shape, pred_shape, negative):
    rng = np.random.default_rng(0)
    y = rng.choice([negative, 1], size=40)
    scores = rng.uniform(-1, 1, size=40)
    expected = np.mean((scores > 0) == (y > 0))
    y_in = y if label_shape == "(n,)" else y[:, None]
    s_in = scores if pred_shape == "(n,)" else scores[:, None]
    per_example = np.asarray(models.sign_accuracy(y_in, s_in))
    assert per_example.shape == (40,)
    assert per_example.mean() == pytest.approx(expected)


def test_naive_sign_comparison_broadcasts_to_about_one_half():
    # Why sign_accuracy reshapes: (n,) labels against (n, 1) scores compare every pair.
    rng = np.random.default_rng(1)
    y = rng.choice([-1, 1], size=200)
    scores = (y * rng.uniform(0.1, 1, size=200))[:, None]  # every sign right
    naive = np.mean(np.sign(y) == np.sign(scores))
    assert np.asarray(models.sign_accuracy(y, scores)).mean() == 1.0
    assert naive == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("column", [False, True])
def test_compiled_tanh_model_reports_the_true_accuracy(column):
    split = data.circles().map_targets(data.to_signed)
    model = models.build("hinge", n_inputs=2, hidden=8, seed=4)  # untrained: accuracy well away from 0 and 1
    scores = _predict(model, split.x_test)[:, 0]
    expected = np.mean(np.sign(scores) == split.y_test)
    y = split.y_test[:, None] if column else split.y_test
    reported = model.evaluate(split.x_test, y, verbose=0, return_dict=True)["accuracy"]
    assert reported == pytest.approx(expected, abs=1e-6)
    assert 0.1 < expected < 0.9


@pytest.mark.parametrize(
    "loss, n_classes, relabel, threshold",
    [
        ("binary_crossentropy", None, lambda y: y, 0.5),
        (keras.losses.BinaryCrossentropy(from_logits=True), None, lambda y: y, 0.0),
        ("categorical_crossentropy", 3, lambda y: data.one_hot(y, 3), None),
        (keras.losses.CategoricalCrossentropy(from_logits=True), 3, lambda y: data.one_hot(y, 3), None),
        ("sparse_categorical_crossentropy", 3, lambda y: y, None),
    ],
)
def test_default_accuracy_matches_numpy(loss, n_classes, relabel, threshold):
    split = data.circles() if n_classes is None else data.blobs()
    model = models.build(loss, n_inputs=2, hidden=8, n_classes=n_classes, seed=2)
    assert models.output_activation(model) == models.head_for(loss).activation
    out = _predict(model, split.x_test)
    predicted = (out[:, 0] > threshold).astype(int) if n_classes is None else out.argmax(axis=1)
    expected = np.mean(predicted == split.y_test)
    reported = model.evaluate(split.x_test, relabel(split.y_test), verbose=0, return_dict=True)["accuracy"]
    assert reported == pytest.approx(expected, abs=1e-6)


@pytest.mark.upstream
def test_keras_accuracy_string_misreads_tanh_outputs_with_signed_labels():
    # Documents Keras 3.15's behaviour: 'accuracy' on one unit is binary accuracy at
    # threshold 0.5, so a -1 label never matches and only positives above 0.5 count.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2)).astype(np.float32)
    y = np.where(x[:, 0] > 0, 1, -1)
    model = _tanh_of_first_input(scale=3.0)
    model.compile(optimizer="sgd", loss="hinge", metrics=["accuracy"])
    scores = _predict(model, x)[:, 0]
    reported = model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    assert np.mean(np.sign(scores) == y) == 1.0  # the model is perfect
    assert reported == pytest.approx(np.mean((y == 1) & (scores > 0.5)), abs=1e-6)
    assert reported < 0.5


# ---------------------------------------------------------------------------
# Label formats
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, y, n_classes",
    [
        ("mse", [-2.5, 0.0, 3.1], None),
        ("msle", [-1.0, 0.5], None),  # Keras clips; allowed, documented
        ("binary_crossentropy", [0, 1, 0.3], None),
        ("hinge", [-1, 1, 1], None),
        ("squared_hinge", [0, 1, 1], None),
        ("categorical_crossentropy", [[0, 1, 0], [0.2, 0.3, 0.5]], 3),
        ("kl_divergence", [[1, 0], [0, 1]], None),
        ("sparse_categorical_crossentropy", [[0], [2], [1]], 3),
        ("generalized_cross_entropy", [0, 2, 1], 3),
        ("symmetric_cross_entropy", [[0], [2], [1]], 3),
    ],
)
def test_labels_in_the_right_format_pass(loss, y, n_classes):
    assert models.check_labels(loss, np.asarray(y), n_classes=n_classes) is None


@pytest.mark.parametrize(
    "loss, y, n_classes, message",
    [
        ("mse", [0.0, np.nan], None, r"^`y_true` must be finite; got 1 NaN and 0 infinite value\(s\), the first at y_true\[1\]"),
        ("mse", ["a"], None, "^`y_true` must hold real numbers; got an array of dtype <U1"),
        ("mse", [], None, r"^`y_true` is empty \(shape \(0,\)\)"),
        ("binary_crossentropy", [-1, 1, 1], None, r"got -1 / \+1\. Map them with \(y_true \+ 1\) // 2\..*loss='hinge' on a tanh"),
        ("binary_crossentropy", [0, 1, 2], None, r"^`y_true` must lie in \[0, 1\]; got y_true\[2\] = 2 .*sparse_categorical"),
        ("hinge", [-1, 0, 1], None, r"^hinge expects labels -1 / \+1 \(or 0 / 1, converted to -1 / \+1\); got \{-1, 0, 1\}"),
        ("hinge", [0, 2], None, r"got \{0, 2\}\. .*np\.where\(y == positive_class, 1, -1\)"),
        ("categorical_crossentropy", [0, 2, 1], 3, r"got integer class labels of shape \(3,\).*one_hot.*sparse_categorical"),
        ("kl_divergence", [[0.5, 0.6]], None, r"rows must each sum to 1 \(within 1e-05\).*got row 0 summing to 1\.1"),
        ("categorical_hinge", [[1.5, -0.5]], None, r"^`y_true` must lie in \[0, 1\]; got y_true\[0, 0\] = 1\.5"),
        ("categorical_crossentropy", [[1, 0]], 3, "the labels have 2 columns but the model has 3 outputs"),
        ("sparse_categorical_crossentropy", [[1, 0, 0], [0, 1, 0]], 3, r"got rows of shape \(2, 3\).*argmax"),
        ("sparse_categorical_crossentropy", [1, 2, 3], 3, r"0\.\.2, one per column .* got y_true\[2\] = 3\..*need y_true - 1"),
        ("sparse_categorical_crossentropy", [0, 1.5], None, r"integer class indices 0\.\.K-1; got y_true\[1\] = 1\.5"),
        ("sparse_categorical_crossentropy", [0, -1], None, r"integer class indices 0\.\.K-1; got y_true\[1\] = -1"),
        ("sparse_categorical_crossentropy", [0, 1], 1, "`n_classes` must be an integer >= 2"),
        ("generalized_cross_entropy", [[0], [2], [1]], 3, r"misreads class indices of shape \(n, 1\).*y\.ravel\(\)"),
        ("nope", [0], None, "unknown loss 'nope'"),
    ],
)
def test_labels_in_the_wrong_format_are_rejected(loss, y, n_classes, message):
    with pytest.raises(ValueError, match=message):
        models.check_labels(loss, np.asarray(y), n_classes=n_classes)


@pytest.mark.upstream
def test_keras_generalized_cross_entropy_misreads_a_column_of_class_indices():
    # Why check_labels rejects shape (n, 1) for generalized_cross_entropy (Keras 3.15):
    # the column is broadcast against the rows, and the loss comes back wrong with no error.
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], dtype=np.float32)
    y = np.array([0, 1, 2])
    loss = keras.losses.CategoricalGeneralizedCrossEntropy(q=0.5)
    assert float(loss(y, p)) == pytest.approx(float(np.mean((1 - p[np.arange(3), y] ** 0.5) / 0.5)), rel=1e-6)
    assert abs(float(loss(y[:, None], p)) - float(loss(y, p))) > 0.1


@pytest.mark.upstream
def test_keras_hinge_converts_zero_one_labels_itself():
    # Why check_labels accepts 0 / 1 for the hinge losses.
    scores = np.array([[0.3], [-0.8], [0.9]], dtype=np.float32)
    zero_one = keras.losses.Hinge()(np.array([[1.0], [0.0], [1.0]]), scores)
    signed = keras.losses.Hinge()(np.array([[1.0], [-1.0], [1.0]]), scores)
    assert float(zero_one) == pytest.approx(float(signed))
