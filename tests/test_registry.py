"""lossbook.registry: one row per loss is all the other modules need."""

import numpy as np
import pytest

import lossbook

lossbook.setup(seed=0, keras=True)

import keras  # noqa: E402

from lossbook import _heads, keras_losses, data, losses, models, registry, replicas, training  # noqa: E402


def test_every_row_has_its_numpy_loss_keras_class_and_a_rule():
    for name, row in registry.LOSSES.items():
        assert callable(losses.function(row)) and callable(losses.gradient(row))
        loss_object = keras_losses.for_row(name)
        assert isinstance(loss_object, keras.losses.Loss)
        if row.keras_class is None:  # lossbook's own Keras version
            assert type(loss_object).__name__ == row.lossbook_class and not hasattr(keras.losses, row.lossbook_class)
        else:
            assert type(loss_object) is getattr(keras.losses, row.keras_class)
        head = models.head_for(loss_object)
        assert (head.task, head.activation, head.labels) == (row.task, row.activation, row.targets)
        if not row.keras_options:  # label smoothing is an option of Keras' CategoricalCrossentropy
            assert head.loss == name
        if row.keras_class is not None and not row.keras_options:
            assert callable(keras.losses.get(name))
        assert models.head_for(name).activation == row.activation
        for alias in row.aliases:
            assert registry.lookup(alias) is row
        rule = registry.decision_rule(row.task, row.activation, row.targets)
        assert rule.metric == ("mse" if row.task == "regression" else "accuracy")


def test_labels_are_unique():
    labels = [row.short_name for row in registry.LOSSES.values()]
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize(
    "task, activation, labels, expected",
    [
        ("binary", "sigmoid", "binary", registry.Rule("accuracy", "threshold", 0.5)),
        ("binary", "linear", "binary", registry.Rule("accuracy", "threshold", 0.0)),
        ("binary", "tanh", "signed", registry.Rule("accuracy", "sign")),
        ("binary", "linear", "signed", registry.Rule("accuracy", "sign")),
        ("multiclass", "softmax", "one-hot", registry.Rule("accuracy", "argmax")),
        ("multiclass", "linear", "index", registry.Rule("accuracy", "argmax-index")),
        ("regression", "linear", "real", registry.Rule("mse", "none")),
    ],
)
def test_decision_rule(task, activation, labels, expected):
    assert registry.decision_rule(task, activation, labels) == expected


def test_a_bad_row_is_refused():
    with pytest.raises(ValueError, match="`task` must be one of"):
        registry.Loss("x", "x", "X", "ranking", "linear", "real", "real", "real")
    with pytest.raises(ValueError, match="`targets` must be one of"):
        registry.Loss("x", "x", "X", "binary", "sigmoid", "0/1", "binary", "probability")
    with pytest.raises(ValueError, match="`y_true` must be one of"):
        registry.Loss("x", "x", "X", "binary", "sigmoid", "binary", "0/1", "probability")
    with pytest.raises(ValueError, match="give exactly one of `keras_class`"):
        registry.Loss("x", "x", None, "binary", "sigmoid", "binary", "binary", "probability")
    with pytest.raises(ValueError, match="give exactly one of `keras_class`"):
        registry.Loss("x", "x", "X", "binary", "sigmoid", "binary", "binary", "probability", lossbook_class="X")


def test_unknown_names_get_the_list_and_the_kl_hint():
    with pytest.raises(ValueError, match="expected one of mean_squared_error"):
        registry.lookup("cross_entropy")
    with pytest.raises(ValueError, match="'kl_divergence'"):
        registry.lookup("kullback_leibler_divergence")
    assert registry.by_class("Tversky") is None
    assert registry.by_class("Poisson").name == "poisson"
    assert registry.by_class("PinballLoss").name == "pinball_loss"
    assert registry.by_class("CategoricalCrossentropy").name == "categorical_crossentropy"  # the first row of the class


@pytest.fixture
def focal(monkeypatch):
    """A loss the course does not have yet, added as one row."""
    row = registry.Loss(
        "binary_focal_crossentropy", "focal", "BinaryFocalCrossentropy", "binary", "sigmoid", "binary", "binary", "probability"
    )
    monkeypatch.setitem(registry.LOSSES, row.name, row)
    return row


def test_one_row_makes_a_loss_known_to_models_replicas_and_the_rule(focal):
    head = models.head_for(focal.name)
    assert (head.task, head.activation, head.labels) == ("binary", "sigmoid", "binary")
    assert models.head_for(keras.losses.BinaryFocalCrossentropy()).loss == focal.name
    assert _heads.metric_function(head, head.activation)[0] == "accuracy"

    circles = data.circles()
    model = models.build(focal.name, n_inputs=2, hidden=8, seed=0)
    single = training.fit(model, circles, epochs=2, seed=0)
    many = replicas.fit(focal.name, circles, hidden=8, epochs=2, replicas=2, seed=0, progress=False)
    assert list(single.test) == list(many.test) == ["loss", "accuracy"]
    assert np.all((many.test["accuracy"] >= 0) & (many.test["accuracy"] <= 1))


def test_decide_reads_each_rule_and_refuses_regression():
    outputs = np.array([[0.2], [0.7], [0.0]])
    np.testing.assert_array_equal(registry.decide(registry.Rule("accuracy", "threshold", 0.5), outputs), [False, True, False])
    np.testing.assert_array_equal(registry.decide(registry.Rule("accuracy", "sign"), outputs - 0.5), [False, True, False])
    np.testing.assert_array_equal(registry.decide(registry.Rule("accuracy", "argmax"), [[0.1, 2.0], [3.0, -1.0]]), [1, 0])
    with pytest.raises(ValueError, match="regression outputs have no class"):
        registry.decide(registry.Rule("mse", "none"), outputs)


@pytest.mark.parametrize(
    "loss, split, kwargs",
    [
        ("binary_crossentropy", data.circles(), {"hidden": 8}),
        ("hinge", data.for_loss(data.circles(), "hinge"), {"hidden": 8}),
        ("kl_divergence", data.for_loss(data.blobs(), "kld"), {"hidden": 8, "n_classes": 3}),
        ("sparse_categorical_crossentropy", data.blobs(), {"hidden": 8, "n_classes": 3}),
    ],
)
def test_predicted_classes_and_scores_agree_with_keras_accuracy(loss, split, kwargs):
    model = models.build(loss, n_inputs=2, seed=1, **kwargs)
    history = training.fit(model, split, epochs=2, seed=0)
    predicted = models.predict_class(model, split.x_test)
    y = split.y_test
    truth = y > 0 if y.ndim == 1 and loss in ("binary_crossentropy", "hinge") else (y if y.ndim == 1 else y.argmax(axis=1))
    assert np.mean(predicted == truth) == pytest.approx(history.final()["test"]["accuracy"], abs=1e-6)

    runs = replicas.fit(loss, split, epochs=2, replicas=2, seed=0, progress=False, **kwargs)
    np.testing.assert_allclose(runs.score(split.x_test, y), runs.final()["test"]["accuracy"], atol=1e-6)


def test_claims_name_losses_of_one_task_with_a_margin():
    labels = {row.short_name: row.task for row in registry.LOSSES.values()}
    for claim in registry.CLAIMS:
        assert labels[claim.a] == labels[claim.b] and claim.kind in ("better", "equal")
        assert registry.MARGINS[labels[claim.a]] > 0
    assert registry.CLAIMS[0].name == "MSE > MAE" and registry.CLAIMS[-1].name == "CCE = KL"


def test_the_renamed_fields_of_a_loss_answer_at_their_old_names_with_a_warning():
    row = registry.LOSSES["binary_crossentropy"]
    with pytest.warns(DeprecationWarning, match="Loss.labels is now Loss.targets"):
        assert row.labels == row.targets == "binary"
    with pytest.warns(DeprecationWarning, match="Loss.from_logits is now Loss.accepts_logits"):
        assert row.from_logits is row.accepts_logits is True
    with pytest.warns(DeprecationWarning, match="Loss.label is now Loss.short_name"):
        assert row.label == row.short_name == "BCE"
    assert set(registry.LABEL_FORMATS) < set(registry.TARGET_FORMATS)
    assert {row.y_true for row in registry.LOSSES.values()} <= set(registry.TARGET_FORMATS)


def test_replicas_fit_and_models_build_look_a_loss_name_up_once(monkeypatch):
    calls = []
    lookup, by_class = registry.lookup, registry.by_class
    monkeypatch.setattr(registry, "lookup", lambda name: calls.append(name) or lookup(name))
    monkeypatch.setattr(registry, "by_class", lambda name: calls.append(name) or by_class(name))
    split = data.Split(
        np.zeros((8, 2), np.float32), np.zeros(8, np.float32), np.zeros((4, 2), np.float32), np.zeros(4, np.float32)
    )
    replicas.fit("mse", split, hidden=2, epochs=1, replicas=1, batch_size=4)
    assert calls == ["mse"]
    calls.clear()
    models.build("kld", n_inputs=2, hidden=2, n_classes=3)
    assert calls == ["kld"]
