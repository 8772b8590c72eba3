"""lossbook.training: quiet, reproducible fits that agree with Keras' own fit."""

import os
import subprocess
import sys

import numpy as np
import pytest

import lossbook

lossbook.setup(seed=0, keras=True)

import keras  # noqa: E402

from lossbook import data, models, training  # noqa: E402
from lossbook._setup import ENVIRONMENT  # noqa: E402
from keras_reference import keras_fit  # noqa: E402

REGRESSION = data.regression()
SIGNED_CIRCLES = data.circles().map_targets(data.to_signed)
ONE_HOT_BLOBS = data.blobs().map_targets(lambda y: data.one_hot(y, 3))


def _regression_model(seed=1):
    return models.build("mse", n_inputs=20, hidden=25, seed=seed)


# ---------------------------------------------------------------------------
# What fit returns
# ---------------------------------------------------------------------------


def test_fit_returns_per_epoch_arrays_for_both_halves(capfd):
    model = models.build("binary_crossentropy", n_inputs=2, hidden=50, seed=1)
    history = training.fit(model, data.circles(), epochs=15, seed=1)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # quiet
    assert list(history.train) == list(history.test) == ["loss", "accuracy"]
    assert history.metrics == ("accuracy",)
    np.testing.assert_array_equal(history.epochs, np.arange(1, 16))
    assert all(v.shape == (15,) for v in (*history.train.values(), *history.test.values()))
    assert history.train["loss"][-1] < history.train["loss"][0]  # it learns
    final = history.final()
    assert final["test"]["accuracy"] == history.test["accuracy"][-1]
    assert isinstance(final["train"]["loss"], float)


@pytest.mark.parametrize(
    "loss, split, kwargs",
    [
        ("mse", REGRESSION, {"hidden": 25}),
        ("categorical_crossentropy", ONE_HOT_BLOBS, {"hidden": 50, "n_classes": 3}),
    ],
)
def test_test_figures_are_those_of_keras_evaluate_on_the_same_weights(loss, split, kwargs):
    """Every epoch's test figures score the weights of that epoch, not a running average.

    Before Keras 3.15, ``test_on_batch`` kept the metric state of earlier calls,
    so the figures drifted towards an average over epochs (keras-team/keras#22596).
    """
    model = models.build(loss, n_inputs=split.n_features, seed=3, **kwargs)
    scored = []

    class _Evaluate(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scored.append(
                self.model.evaluate(split.x_test, split.y_test, batch_size=len(split.x_test), verbose=0, return_dict=True)
            )

    history = training.fit(model, split, epochs=4, seed=2, callbacks=[_Evaluate()])
    for key in history.test:
        np.testing.assert_allclose(history.test[key], [row[key] for row in scored], rtol=1e-6, atol=1e-7)
    assert training.evaluate(model, split)["test"] == pytest.approx(history.final()["test"], rel=1e-6)


def test_history_is_read_only_and_checks_lengths():
    history = training.History(np.arange(1, 3), {"loss": [2.0, 1.0]}, {"loss": [2.5, 1.5]})
    with pytest.raises(ValueError, match="read-only"):
        history.train["loss"][0] = 0.0
    with pytest.raises(TypeError):
        history.train["mse"] = np.zeros(2)
    with pytest.raises(ValueError, match=r"test\['loss'\] has shape \(1,\); pass one value per epoch, shape \(2,\)"):
        training.History(np.arange(1, 3), {"loss": [2.0, 1.0]}, {"loss": [2.5]})


# ---------------------------------------------------------------------------
# Reproducibility and agreement with Keras
# ---------------------------------------------------------------------------


def test_same_seed_same_history_other_seed_other_history():
    first = training.fit(_regression_model(), REGRESSION, epochs=3, seed=4)
    again = training.fit(_regression_model(), REGRESSION, epochs=3, seed=4)
    other = training.fit(_regression_model(), REGRESSION, epochs=3, seed=5)
    for half in ("train", "test"):
        for key in ("loss", "mse"):
            np.testing.assert_array_equal(getattr(first, half)[key], getattr(again, half)[key])
    assert not np.array_equal(first.train["loss"], other.train["loss"])


_FRESH_PROCESS = """
import lossbook
lossbook.setup(keras=True)
from lossbook import data, models, training
model = models.build("mse", n_inputs=20, hidden=25, seed=1)
history = training.fit(model, data.regression(), epochs=3, seed=4)
print(repr(history.train["loss"].tolist() + history.test["mse"].tolist()))
"""


def test_a_fresh_process_gives_the_same_history():
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    result = subprocess.run([sys.executable, "-c", _FRESH_PROCESS], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    here = training.fit(_regression_model(), REGRESSION, epochs=3, seed=4)
    assert result.stdout.strip() == repr(here.train["loss"].tolist() + here.test["mse"].tolist())


def test_every_epoch_gets_a_new_permutation():
    order = training.batch_orders([3], n=10, epochs=3)[0]
    batches = [b.numpy() for b in training._batches(order, 4).take(9)]
    assert [len(b) for b in batches] == [4, 4, 2] * 3
    epochs = [np.concatenate(batches[i : i + 3]) for i in (0, 3, 6)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(10))
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])


@pytest.mark.parametrize(
    "loss, split, kwargs",
    [
        ("mse", REGRESSION, {"hidden": 25}),
        ("hinge", SIGNED_CIRCLES, {"hidden": 50}),
        ("categorical_crossentropy", ONE_HOT_BLOBS, {"hidden": 50, "n_classes": 3}),
    ],
)
def test_fit_equals_keras_fit_with_validation_on_the_same_batches(loss, split, kwargs):
    """The fast path changes how data reach Keras' training step, not the result."""
    epochs, seed = 3, 6
    fast = models.build(loss, n_inputs=split.n_features, seed=2, **kwargs)
    history = training.fit(fast, split, epochs=epochs, seed=seed)

    order = training.batch_orders([seed], n=500, epochs=epochs)[0]
    plain = models.build(loss, n_inputs=split.n_features, seed=2, **kwargs)
    logs = keras_fit(plain, split, order)

    assert all(np.array_equal(a, b) for a, b in zip(fast.get_weights(), plain.get_weights()))
    for key in history.train:
        np.testing.assert_array_equal(history.train[key], [row[key] for row in logs])
        # Keras validates in batches of 32; fit scores the test half in one batch.
        np.testing.assert_allclose(history.test[key], [row[f"val_{key}"] for row in logs], rtol=1e-6, atol=1e-7)


def test_evaluate_scores_both_halves_with_the_final_weights():
    model = _regression_model()
    history = training.fit(model, REGRESSION, epochs=2, seed=0)
    scores = training.evaluate(model, REGRESSION)
    assert scores["test"] == history.final()["test"]
    prediction = keras.ops.convert_to_numpy(model(REGRESSION.x_train))[:, 0]
    assert scores["train"]["mse"] == pytest.approx(np.mean((prediction - REGRESSION.y_train) ** 2), rel=1e-5)
    # The history's training figure is an average over the epoch, not the final weights.
    assert scores["train"]["loss"] != history.final()["train"]["loss"]


def test_extra_callbacks_see_the_test_figures_under_keras_names():
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(sorted(logs))

    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    history = training.fit(_regression_model(), REGRESSION, epochs=20, seed=0, callbacks=[Spy(), stop])
    assert seen[0] == ["loss", "mse", "val_loss", "val_mse"]
    assert history.epochs.size == len(seen) < 20  # stopped early


def test_fit_can_continue_training():
    model = _regression_model()
    first = training.fit(model, REGRESSION, epochs=2, seed=0)
    second = training.fit(model, REGRESSION, epochs=2, seed=0)
    assert second.train["loss"][0] < first.train["loss"][0]


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_an_uncompiled_model_is_rejected():
    with pytest.raises(ValueError, match="`model` must be compiled before training"):
        training.fit(models.mlp(20, hidden=3), REGRESSION, epochs=1)
    with pytest.raises(ValueError, match="`model` must be a Keras model; got str"):
        training.evaluate("model", REGRESSION)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, "`epochs` must be an integer >= 1"),
        ({"epochs": 2.0}, "`epochs` must be an integer >= 1"),
        ({"epochs": 1, "batch_size": 0}, "`batch_size` must be an integer >= 1"),
        ({"epochs": 1, "seed": -3}, "`seed` must be an integer >= 0"),
    ],
)
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.fit(_regression_model(), REGRESSION, **kwargs)


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match="the model takes 20 input features but the split has 2"):
        training.fit(_regression_model(), data.circles(), epochs=1)
    tanh_model = models.build("hinge", n_inputs=2, hidden=3)
    two_columns = SIGNED_CIRCLES.map_targets(lambda y: np.column_stack([y, y]))
    with pytest.raises(ValueError, match=r"the model has 1 output unit\(s\) but y_train has shape \(500, 2\)"):
        training.fit(tanh_model, two_columns, epochs=1)
    with pytest.raises(ValueError, match="`split` must be a lossbook.data.Split; got tuple"):
        training.fit(tanh_model, (1, 2), epochs=1)


def test_labels_in_the_wrong_format_are_rejected_before_training():
    softmax = models.build("categorical_crossentropy", n_inputs=2, hidden=3, n_classes=3)
    with pytest.raises(ValueError, match="y_train: categorical_crossentropy expects one-hot rows.*one_hot"):
        training.fit(softmax, data.blobs(), epochs=1)
    bce = models.build("binary_crossentropy", n_inputs=2, hidden=3)
    with pytest.raises(ValueError, match=r"y_train: binary_crossentropy expects labels 0 / 1; got -1 / \+1"):
        training.fit(bce, SIGNED_CIRCLES, epochs=1)


def test_a_keras_loss_object_trains_and_keeps_its_settings():
    huber = keras.losses.Huber(delta=0.5)
    model = models.build(huber, n_inputs=20, hidden=5, seed=0)
    history = training.fit(model, REGRESSION.map_targets(lambda y: y[:, None]), epochs=2, seed=0)
    assert model.loss is huber
    assert list(history.train) == ["loss", "mse"]


def test_an_input_that_is_not_finite_is_refused_before_training():
    x = REGRESSION.x_train.copy()
    x[3, 2] = np.nan
    broken = data.Split(x, REGRESSION.y_train, REGRESSION.x_test, REGRESSION.y_test, name="broken")
    with pytest.raises(ValueError, match="`x_train` must hold finite numbers; got dtype .* with NaN or infinity"):
        training.fit(_regression_model(), broken, epochs=1)


@pytest.mark.upstream
def test_keras_model_fit_repeats_one_shuffle_order_every_epoch():
    """Why fit draws its own orders: Keras 3's seeded shuffle=True restarts at every epoch."""
    x = np.arange(12, dtype=np.float32)[:, None]
    seen = []
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(loss="mse", run_eagerly=True)
    original = model.train_step

    def train_step(data):
        seen.append(np.asarray(data[0]).ravel().tolist())
        return original(data)

    model.train_step = train_step
    keras.utils.set_random_seed(0)
    model.fit(x, x, batch_size=12, epochs=3, shuffle=True, verbose=0)
    assert len(seen) == 3 and seen[0] == seen[1] == seen[2] and seen[0] != sorted(seen[0])
