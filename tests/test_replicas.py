"""lossbook.replicas: many replicas at once, each one the same as Keras' own fit."""

import sys

import numpy as np
import pytest

import lossbook

lossbook.setup(seed=0, keras=True)

from lossbook import data, keras_losses, models, replicas, seeds, training  # noqa: E402
from lossbook._keras import load as load_keras  # noqa: E402
from keras_reference import keras_fit  # noqa: E402

REGRESSION = data.regression()
CIRCLES = data.circles()
SIGNED_CIRCLES = CIRCLES.map_targets(data.to_signed)
BLOBS = data.blobs()
ONE_HOT_BLOBS = BLOBS.map_targets(lambda y: data.one_hot(y, 3))

#: loss -> (split with labels in the loss's format, hidden units, n_classes): the canonical configurations.
CANONICAL = {
    "mean_squared_error": (REGRESSION, 25, None),
    "mean_squared_logarithmic_error": (REGRESSION, 25, None),
    "mean_absolute_error": (REGRESSION, 25, None),
    "binary_crossentropy": (CIRCLES, 50, None),
    "hinge": (SIGNED_CIRCLES, 50, None),
    "squared_hinge": (SIGNED_CIRCLES, 50, None),
    "categorical_crossentropy": (ONE_HOT_BLOBS, 50, 3),
    "sparse_categorical_crossentropy": (BLOBS, 50, 3),
    "kl_divergence": (ONE_HOT_BLOBS, 50, 3),
}

RTOL = 1e-4  # the agreement the course promises


def _assert_histories_close(a, b, rtol=RTOL):
    assert list(a.train) == list(b.train)
    for half in ("train", "test"):
        for key in a.train:
            np.testing.assert_allclose(getattr(a, half)[key], getattr(b, half)[key], rtol=rtol, err_msg=f"{half} {key}")


# ---------------------------------------------------------------------------
# Agreement with Keras
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, split",
    [(loss, split) for loss, (split, _, _) in CANONICAL.items()] + [("hinge", CIRCLES)],  # 0 / 1 labels too
    ids=[*CANONICAL, "hinge-0/1-labels"],
)
def test_one_replica_equals_keras_fit_given_the_same_weights_and_batches(loss, split):
    _, hidden, n_classes = CANONICAL[loss]
    epochs = 3
    rng = np.random.default_rng(2)
    orders = np.stack([rng.permutation(500) for _ in range(epochs)])
    model = models.build(loss, n_inputs=split.n_features, hidden=hidden, n_classes=n_classes, seed=11)
    start = [w[None] for w in model.get_weights()]  # not the weights of the replica's own seed (0)

    runs = replicas.fit(
        loss, split, hidden=hidden, n_classes=n_classes, epochs=epochs, replicas=1, weights=start, orders=orders[None]
    )
    logs = keras_fit(model, split, orders)

    metric = runs.metrics[0]
    assert metric == ("mse" if loss.startswith("mean") else "accuracy")
    for key in ("loss", metric):
        np.testing.assert_allclose(runs.train[key][0], [row[key] for row in logs], rtol=RTOL, err_msg=key)
        np.testing.assert_allclose(runs.test[key][0], [row[f"val_{key}"] for row in logs], rtol=RTOL, err_msg=key)
    for mine, theirs in zip(runs.weights, model.get_weights()):
        np.testing.assert_allclose(mine[0], theirs, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "make_loss, split, metric",
    [
        (lambda keras: keras.losses.BinaryCrossentropy(from_logits=True), CIRCLES, "accuracy"),
        (lambda keras: keras.losses.Huber(delta=0.5), REGRESSION, "mse"),
    ],
    ids=["bce-from-logits", "huber-delta-0.5"],
)
def test_keras_loss_objects_keep_their_settings(make_loss, split, metric):
    """A linear output for logits, with accuracy at threshold 0; Huber with its own delta."""
    loss = make_loss(load_keras())
    epochs = 2
    orders = replicas.batch_orders([4], n=500, epochs=epochs)
    runs = replicas.fit(loss, split, hidden=10, epochs=epochs, replicas=1, seed=4)
    model = models.build(loss, n_inputs=split.n_features, hidden=10, seed=4)
    logs = keras_fit(model, split, orders[0])
    assert runs.metrics == (metric,)
    for key in ("loss", metric):
        np.testing.assert_allclose(runs.train[key][0], [row[key] for row in logs], rtol=RTOL, err_msg=key)


def _counts_split():
    """Counts of events whose log-rate is a function of the regression inputs, for the Poisson loss."""
    x_train, x_test = REGRESSION.x_train, REGRESSION.x_test
    rng = np.random.default_rng(5)
    rate = lambda x: np.exp(0.5 * np.tanh(x[:, 0]) + 0.3 * np.tanh(x[:, 1]))  # noqa: E731
    return data.Split(
        x_train,
        rng.poisson(rate(x_train)).astype(np.float32),
        x_test,
        rng.poisson(rate(x_test)).astype(np.float32),
        name="counts",
    )


#: The losses of chapters 12 to 14: loss -> (split, n_classes).
CHAPTERS_12_TO_14 = {
    "pinball_loss": (REGRESSION, None),
    "poisson": (_counts_split(), None),
    "gaussian_nll": (REGRESSION, None),
    "weighted_binary_crossentropy": (CIRCLES, None),
    "binary_focal_crossentropy": (CIRCLES, None),
    "label_smoothed_categorical_crossentropy": (ONE_HOT_BLOBS, 3),
    "categorical_focal_crossentropy": (ONE_HOT_BLOBS, 3),
}


#: The losses of chapter 15, for wrong labels, on the blobs' integer labels: loss -> (split, n_classes).
WRONG_LABELS = {name: (BLOBS, 3) for name in ("generalized_cross_entropy", "symmetric_cross_entropy", "classification_mae")}


@pytest.mark.parametrize("loss", [*CHAPTERS_12_TO_14, *WRONG_LABELS])
def test_later_losses_train_as_replicas_and_one_replica_equals_keras_fit(loss):
    split, n_classes = {**CHAPTERS_12_TO_14, **WRONG_LABELS}[loss]
    epochs, hidden = 3, 10
    runs = replicas.fit(loss, split, hidden=hidden, n_classes=n_classes, epochs=epochs, replicas=3, seed=0)
    for half in (runs.train, runs.test):
        for values in half.values():
            assert values.shape == (3, epochs) and np.all(np.isfinite(values))
    assert np.all(runs.train["loss"][:, -1] < runs.train["loss"][:, 0])  # every replica learns
    metric = runs.metrics[0]
    assert metric == ("accuracy" if n_classes or loss.startswith("weighted") or "focal" in loss else "mse")
    np.testing.assert_allclose(runs.score(split.x_test, split.y_test), runs.final()["test"][metric], rtol=1e-4)

    # Replica 1 is the network models.build and Keras' own fit train with seed 1, on the same batches.
    model = models.build(loss, n_inputs=split.n_features, hidden=hidden, n_classes=n_classes, seed=1)
    logs = keras_fit(model, split, replicas.batch_orders([1], n=split.x_train.shape[0], epochs=epochs)[0])
    for key in ("loss", metric):
        np.testing.assert_allclose(runs.train[key][1], [row[key] for row in logs], rtol=RTOL, err_msg=key)
        np.testing.assert_allclose(runs.test[key][1], [row[f"val_{key}"] for row in logs], rtol=RTOL, err_msg=key)


@pytest.mark.parametrize(
    "make_loss",
    [
        lambda keras: keras.losses.CategoricalGeneralizedCrossEntropy(q=0.7),
        lambda keras: keras_losses.SymmetricCrossentropy(alpha=1.0, beta=1.0, from_logits=True),
    ],
    ids=["gce-q-0.7", "sce-alpha-1-from-logits"],
)
def test_wrong_label_loss_objects_keep_their_settings(make_loss):
    """Chapter 15's other settings: GCE's q, SCE's alpha, and logits on a linear output."""
    loss = make_loss(load_keras())
    epochs = 2
    orders = replicas.batch_orders([4], n=500, epochs=epochs)
    runs = replicas.fit(loss, BLOBS, hidden=10, n_classes=3, epochs=epochs, replicas=1, seed=4)
    model = models.build(loss, n_inputs=BLOBS.n_features, hidden=10, n_classes=3, seed=4)
    assert models.output_activation(model) == ("linear" if getattr(loss, "from_logits", False) else "softmax")
    logs = keras_fit(model, BLOBS, orders[0])
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(runs.train[key][0], [row[key] for row in logs], rtol=RTOL, err_msg=key)
        np.testing.assert_allclose(runs.test[key][0], [row[f"val_{key}"] for row in logs], rtol=RTOL, err_msg=key)


def test_poisson_and_gaussian_heads():
    poisson = models.build("poisson", n_inputs=2, hidden=4)
    gaussian = models.build("gaussian_nll", n_inputs=2, hidden=4)
    assert models.output_activation(poisson) == "softplus" and poisson.output_shape == (None, 1)
    assert models.output_activation(gaussian) == "linear" and gaussian.output_shape == (None, 2)
    assert type(gaussian.loss).__name__ == "GaussianNLL" and models.head_for(gaussian.loss).outputs == 2
    with pytest.raises(ValueError, match=r"y_train: `y_true` must be >= 0; got y_true\[\d+\] = -.*counts of events"):
        replicas.fit("poisson", REGRESSION, hidden=4, epochs=1, replicas=1)
    with pytest.raises(
        ValueError, match=r"^gaussian_nll takes one target per example, .*; got y_train of shape \(500, 2\) for a network with 2 "
    ):
        replicas.fit("gaussian_nll", REGRESSION.map_targets(lambda y: np.column_stack([y, y])), hidden=4, epochs=1, replicas=1)


def test_one_replica_reproduces_training_fit_bit_for_bit_with_the_same_seed():
    """Same seed, same run: models.build and training.fit with seed s are replica s, to the last bit."""
    epochs, seed = 3, 6
    runs = replicas.fit("hinge", SIGNED_CIRCLES, hidden=50, epochs=epochs, replicas=1, seed=seed)
    model = models.build("hinge", n_inputs=2, hidden=50, seed=seed)
    history = training.fit(model, SIGNED_CIRCLES, epochs=epochs, seed=seed)
    alone = runs.replica(0)
    for half in ("train", "test"):
        for key in history.train:
            np.testing.assert_array_equal(getattr(alone, half)[key], getattr(history, half)[key], err_msg=key)
    for mine, theirs in zip(runs.weights, model.get_weights()):
        np.testing.assert_array_equal(mine[0], theirs)


def test_training_fit_draws_the_batch_orders_of_replicas():
    """The batches training.fit feeds Keras are those of replicas.batch_orders for its seed."""
    order = replicas.batch_orders([9], n=50, epochs=3)[0]
    batches = [b.numpy() for b in training._batches(order, 32).take(6)]
    assert [len(b) for b in batches] == [32, 18] * 3
    np.testing.assert_array_equal(np.concatenate(batches), order.ravel())
    np.testing.assert_array_equal(order, training.batch_orders([9], n=50, epochs=3)[0])


def test_one_call_trains_a_learning_rate_per_replica():
    """A replica with its own rate is the replica of a run at that rate alone."""
    rates = [0.003, 0.03]
    both = replicas.fit("mse", REGRESSION, hidden=25, epochs=2, replicas=2, seeds=[4, 4], learning_rate=rates)
    assert both.seeds.tolist() == [4, 4]
    for r, rate in enumerate(rates):
        alone = replicas.fit("mse", REGRESSION, hidden=25, epochs=2, replicas=1, seed=4, learning_rate=rate)
        _assert_histories_close(both.replica(r), alone.replica(0))
    assert not np.allclose(both.train["loss"][0], both.train["loss"][1])


def test_each_replica_equals_its_own_single_run():
    split = BLOBS.map_targets(lambda y: y[:, None])  # class indices as a column work too
    # Two epochs: on the unscaled blobs rounding differences grow by about 1e-3 per epoch (module notes).
    runs = replicas.fit("sparse_categorical_crossentropy", split, hidden=50, n_classes=3, epochs=2, replicas=3, seed=5)
    assert runs.seeds.tolist() == [5, 6, 7]
    for r in range(3):
        alone = replicas.fit("sparse_categorical_crossentropy", split, hidden=50, n_classes=3, epochs=2, replicas=1, seed=5 + r)
        _assert_histories_close(runs.replica(r), alone.replica(0))
        for mine, single in zip(runs.weights, alone.weights):
            np.testing.assert_allclose(mine[r], single[0], atol=1e-5)


def test_every_replica_can_train_on_its_own_data():
    """A sequence of splits, one per replica: replica r is the run on split r alone."""
    splits = [data.for_loss(data.resampled("binary", s), "hinge") for s in (0, 1)]
    both = replicas.fit("hinge", splits, hidden=50, epochs=2, replicas=2, seeds=[0, 1])
    for r in range(2):
        alone = replicas.fit("hinge", splits[r], hidden=50, epochs=2, replicas=1, seed=r)
        _assert_histories_close(both.replica(r), alone.replica(0))
    with pytest.raises(ValueError, match="one Split per replica"):
        replicas.fit("hinge", splits, hidden=50, epochs=1, replicas=3)


# ---------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------


def test_seeds_fix_the_initial_weights_and_the_batch_orders():
    default = replicas.fit("mse", REGRESSION, hidden=25, epochs=2, replicas=2, seed=3)
    explicit = replicas.fit(
        "mse",
        REGRESSION,
        hidden=25,
        epochs=2,
        replicas=2,
        weights=replicas.initial_weights(20, hidden=25, seeds=[3, 4]),
        orders=replicas.batch_orders([3, 4], n=500, epochs=2),
    )
    again = replicas.fit("mse", REGRESSION, hidden=25, epochs=2, replicas=2, seed=3)
    for half in ("train", "test"):
        for key in default.train:
            np.testing.assert_array_equal(getattr(default, half)[key], getattr(explicit, half)[key])
            np.testing.assert_array_equal(getattr(default, half)[key], getattr(again, half)[key])


def test_streams_of_different_seeds_and_layers_share_no_random_numbers():
    """Seeding layers with seed and seed + 1 reused one uniform stream, rescaled (correlation 1)."""
    start = replicas.initial_weights(2, hidden=50, outputs=1, seeds=range(6))
    draws = [start[0][r].ravel()[:50] for r in range(6)] + [start[2][r].ravel() for r in range(6)]
    corr = np.corrcoef(np.stack(draws))
    off_diagonal = corr[~np.eye(corr.shape[0], dtype=bool)]
    assert np.abs(off_diagonal).max() < 0.6  # 12 draws of 50: independent ones stay well below
    orders = replicas.batch_orders(range(6), n=100, epochs=2).reshape(12, 100).astype(float)
    corr = np.corrcoef(orders)
    assert np.abs(corr[~np.eye(12, dtype=bool)]).max() < 0.6
    streams = [seeds.streams(s) for s in range(50)]
    values = [v for s in streams for v in s.values()]
    assert len(set(values)) == len(values)


def test_different_seeds_give_different_replicas():
    runs = replicas.fit("mse", REGRESSION, hidden=25, epochs=2, replicas=3, seed=0)
    losses = runs.train["loss"]
    assert len({tuple(row) for row in losses.tolist()}) == 3
    start = replicas.initial_weights(20, hidden=25, seeds=[0, 1, 2])
    assert not np.array_equal(start[0][0], start[0][1]) and not np.array_equal(start[2][1], start[2][2])


def test_initial_weights_are_those_of_models_mlp():
    stacked = replicas.initial_weights(20, hidden=25, outputs=1, seeds=[0, 9])
    for r, seed in enumerate([0, 9]):
        model = models.mlp(20, hidden=25, seed=seed)
        for mine, keras_weight in zip(stacked, model.get_weights()):
            np.testing.assert_array_equal(mine[r], keras_weight)


def test_batch_orders_reshuffle_every_epoch_and_extend_shorter_runs():
    orders = replicas.batch_orders([0, 1], n=50, epochs=4)
    assert orders.shape == (2, 4, 50) and orders.dtype == np.int32
    np.testing.assert_array_equal(np.sort(orders, axis=-1), np.broadcast_to(np.arange(50), orders.shape))
    assert all(not np.array_equal(orders[0, e], orders[0, e + 1]) for e in range(3))
    assert not np.array_equal(orders[0], orders[1])
    np.testing.assert_array_equal(replicas.batch_orders([1], n=50, epochs=2)[0], orders[1, :2])


# ---------------------------------------------------------------------------
# What fit returns, and what it prints
# ---------------------------------------------------------------------------


def test_fit_returns_read_only_arrays_per_replica_and_epoch():
    runs = replicas.fit("hinge", SIGNED_CIRCLES, hidden=50, epochs=3, replicas=2)
    assert runs.replicas == 2 and runs.loss == "hinge" and runs.metrics == ("accuracy",)
    np.testing.assert_array_equal(runs.epochs, [1, 2, 3])
    assert all(v.shape == (2, 3) for v in (*runs.train.values(), *runs.test.values()))
    assert [w.shape for w in runs.weights] == [(2, 2, 50), (2, 50), (2, 50, 1), (2, 1)]
    with pytest.raises(ValueError, match="read-only"):
        runs.train["loss"][0, 0] = 0.0
    final = runs.final()
    np.testing.assert_array_equal(final["test"]["accuracy"], runs.test["accuracy"][:, -1])
    single = runs.replica(1)
    assert isinstance(single, training.History)
    np.testing.assert_array_equal(single.train["loss"], runs.train["loss"][1])
    assert repr(runs).startswith("ReplicaHistory(hinge, 2 replicas x 3 epochs; test loss ")
    with pytest.raises(ValueError, match="`r` must be an integer from 0 to 1; got 2"):
        runs.replica(2)


@pytest.mark.parametrize(
    "loss, split, hidden, n_classes, dtype",
    [
        ("mean_squared_error", REGRESSION, 25, None, "float32"),
        ("hinge", SIGNED_CIRCLES, 50, None, "float32"),
        ("categorical_crossentropy", ONE_HOT_BLOBS, 50, 3, "float64"),
    ],
    ids=["mse-float32", "hinge-float32", "cce-float64"],
)
def test_testing_once_at_the_end_changes_no_figure(loss, split, hidden, n_classes, dtype):
    """Without the test after every epoch, the weights, training and final test figures are the same bits; NaN before."""
    settings = dict(hidden=hidden, n_classes=n_classes, epochs=4, replicas=3, seed=6, dtype=dtype, progress=False)
    settings["learning_rate"] = [0.003, 0.01, 0.03]
    every = replicas.fit(loss, split, **settings)
    once = replicas.fit(loss, split, test_each_epoch=False, **settings)
    for key in every.train:
        np.testing.assert_array_equal(once.train[key], every.train[key])
        np.testing.assert_array_equal(once.test[key][:, -1], every.test[key][:, -1])
        assert np.all(np.isnan(once.test[key][:, :-1])) and np.all(np.isfinite(every.test[key]))
    for mine, theirs in zip(once.weights, every.weights):
        np.testing.assert_array_equal(mine, theirs)


def test_silent_unless_asked(capfd):
    replicas.fit("mse", REGRESSION, hidden=25, epochs=2, replicas=2)
    assert capfd.readouterr() == ("", "")  # stdout is not a terminal here


def test_progress_bar_on_stdout_when_interactive_or_asked(capsys, monkeypatch):
    replicas.fit("mse", REGRESSION, hidden=25, epochs=3, replicas=2, progress=True)
    out, err = capsys.readouterr()
    assert err == "" and out.endswith("\n")
    assert "mean_squared_error: epoch 1/3 [" in out and "epoch 3/3 [" + "#" * 30 + "]" in out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    replicas.fit("mse", REGRESSION, hidden=25, epochs=2, replicas=2)
    assert "epoch 2/2" in capsys.readouterr().out
    replicas.fit("mse", REGRESSION, hidden=25, epochs=2, replicas=2, progress=False)
    assert capsys.readouterr() == ("", "")


# ---------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------

_REG = {"loss": "mse", "split": REGRESSION, "hidden": 25, "epochs": 1, "replicas": 2}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"replicas": 0}, r"`replicas` must be an integer >= 1; got 0\. Pass e\.g\. replicas=30"),
        ({"replicas": 2.0}, r"`replicas` must be an integer >= 1; got 2\.0"),
        ({"epochs": 0}, "`epochs` must be an integer >= 1"),
        ({"hidden": -1}, "`hidden` must be an integer >= 1"),
        ({"seed": -1}, "`seed` must be an integer >= 0"),
        ({"batch_size": 0}, "`batch_size` must be an integer >= 1"),
        ({"learning_rate": 0.0}, "`learning_rate` must be a positive, finite number"),
        ({"momentum": 1.0}, r"`momentum` must be a number in \[0, 1\)"),
        ({"progress": "yes"}, "`progress` must be True, False or None"),
        ({"test_each_epoch": "no"}, "`test_each_epoch` must be True or False; got 'no'"),
        ({"loss": "kullback_leibler_divergence"}, "unknown loss.*Keras 3 calls it 'kl_divergence'"),
        ({"loss": "cross_entropy"}, "unknown loss 'cross_entropy'; expected one of mean_squared_error"),
        ({"split": (1, 2)}, "`split` must be a lossbook.data.Split; got tuple"),
        ({"n_classes": 3}, "mean_squared_error is a regression loss with one output unit; got n_classes=3"),
        (
            {"split": REGRESSION.map_targets(lambda y: np.column_stack([y, y]))},
            r"the network has 1 output unit\(s\) but y_train has shape \(500, 2\)",
        ),
        (
            {"weights": replicas.initial_weights(2, hidden=25, seeds=[0, 1])},
            r"`weights` must be 4 arrays .* of shapes \(\(2, 20, 25\), \(2, 25\), \(2, 25, 1\), \(2, 1\)\); "
            r"got shapes \[\(2, 2, 25\)",
        ),
        ({"weights": [np.zeros((2, 20, 25))]}, "`weights` must be 4 arrays"),
        (
            {"orders": np.zeros((2, 3, 500), dtype=int)},
            r"`orders` must be .* shape \(replicas, epochs, n_train\) = \(2, 1, 500\)",
        ),
        ({"orders": np.zeros((2, 1, 500), dtype=int)}, r"each row of `orders` must be a permutation of 0\.\.499"),
    ],
)
def test_bad_arguments_are_rejected(changes, message):
    with pytest.raises(ValueError, match=message):
        replicas.fit(**{**_REG, **changes})


@pytest.mark.parametrize(
    "loss, split, n_classes, message",
    [
        ("categorical_crossentropy", BLOBS, 3, "y_train: categorical_crossentropy expects one-hot rows.*one_hot"),
        ("sparse_categorical_crossentropy", ONE_HOT_BLOBS, 3, "y_train: sparse_categorical_crossentropy expects integer"),
        ("binary_crossentropy", SIGNED_CIRCLES, None, r"y_train: binary_crossentropy expects labels 0 / 1; got -1 / \+1"),
        ("hinge", BLOBS, None, "y_train: hinge expects labels -1 / \\+1"),
        ("kl_divergence", ONE_HOT_BLOBS, 2, "y_train: kl_divergence: the labels have 3 columns but the model has 2"),
        ("kl_divergence", ONE_HOT_BLOBS, None, "kl_divergence is a multi-class loss: pass n_classes"),
    ],
)
def test_labels_in_the_wrong_format_are_rejected(loss, split, n_classes, message):
    with pytest.raises(ValueError, match=message):
        replicas.fit(loss, split, hidden=5, n_classes=n_classes, epochs=1, replicas=1)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: replicas.batch_orders([], n=5, epochs=1), "`seeds` must be a non-empty sequence"),
        (lambda: replicas.batch_orders([-1], n=5, epochs=1), "`seeds` must be a non-empty sequence"),
        (lambda: replicas.batch_orders([0], n=0, epochs=1), "`n` must be an integer >= 1"),
        (lambda: replicas.initial_weights(2, hidden=0, seeds=[0]), "`hidden` must be an integer >= 1"),
        (
            lambda: replicas.fit("mse", REGRESSION, hidden=2, epochs=1, replicas=2, learning_rate=[0.1]),
            r"`learning_rate` must be one positive number or one per replica, shape \(2,\)",
        ),
        (
            lambda: replicas.fit("mse", REGRESSION, hidden=2, epochs=1, replicas=2, seeds=[1]),
            "`seeds` must hold one seed per replica, 2; got 1",
        ),
    ],
)
def test_helpers_reject_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_logits_reproduce_the_final_test_figures_and_refuse_bad_inputs():
    split = data.regression()
    runs = replicas.fit("mse", split, hidden=8, epochs=2, replicas=3, seed=1, progress=False)
    z = runs.logits(split.x_test)
    assert z.shape == (3, split.x_test.shape[0], 1)
    np.testing.assert_allclose(np.mean((z[..., 0] - split.y_test) ** 2, axis=1), runs.final()["test"]["mse"], rtol=1e-5)
    with pytest.raises(ValueError, match=r"shape \(n, 20\) or \(3, n, 20\)"):
        runs.logits(split.x_test[:, :5])
    with pytest.raises(ValueError, match="finite numbers"):
        runs.logits(np.full((2, 20), np.nan))
    with pytest.raises(ValueError, match=r"got shape \(2, 4, 20\)"):  # a stack for 2 replicas, not 3
        runs.logits(np.zeros((2, 4, 20)))
    # Each replica's own rows: replica r on stack[r] equals the shared call's row r.
    stack = np.stack([split.x_test[:7], split.x_test[7:14], split.x_test[14:21]])
    own = runs.logits(stack)
    for r in range(3):
        np.testing.assert_allclose(own[r], runs.logits(stack[r])[r], rtol=1e-12)


def test_double_precision_trains_the_same_networks_up_to_rounding():
    split = ONE_HOT_BLOBS
    single = replicas.fit(
        "categorical_crossentropy", split, hidden=8, epochs=3, replicas=3, seed=2, n_classes=3, learning_rate=0.01, progress=False
    )
    double = replicas.fit(
        "categorical_crossentropy",
        split,
        hidden=8,
        epochs=3,
        replicas=3,
        seed=2,
        n_classes=3,
        learning_rate=0.01,
        progress=False,
        dtype="float64",
    )
    assert all(w.dtype == np.float64 for w in double.weights)
    assert all(w.dtype == np.float32 for w in single.weights)
    for a, b in zip(single.weights, double.weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(single.test["loss"], double.test["loss"], rtol=1e-4)
    np.testing.assert_allclose(double.logits(split.x_test)[..., 0], double.logits(split.x_test.astype(np.float64))[..., 0])


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="`dtype` must be 'float32' or 'float64'; got 'float16'"):
        replicas.fit("mse", data.regression(), hidden=4, epochs=1, replicas=1, progress=False, dtype="float16")
