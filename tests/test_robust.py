"""lossbook.robust: the noise-robust losses equal Keras where Keras has them, their gradients equal central
differences, bad input gets a clear error, and the trainer takes the steps the gradients say."""

import numpy as np
import pytest
from scipy import special

from lossbook import optim, robust

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("error")

K = 4


def _case(seed=0, n=7, k=K):
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, (n, k))
    return rng.integers(0, k, n), z, special.softmax(z, axis=1)


def _keras(loss_object, y_true, y_pred):
    return np.asarray(keras.ops.convert_to_numpy(loss_object(y_true, y_pred)), dtype=np.float64)


@pytest.mark.parametrize("q", [0.1, 0.5, 0.7, 0.9])
def test_gce_equals_keras(q):
    y, _, p = _case(1)
    ours = robust.generalized_cross_entropy(y, p, q=q, reduction="none")
    theirs = _keras(keras.losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=None), y, p.astype(np.float32))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    mean = _keras(keras.losses.CategoricalGeneralizedCrossEntropy(q=q), y, p.astype(np.float32))
    assert robust.generalized_cross_entropy(y, p, q=q) == pytest.approx(float(mean), rel=1e-5)


def test_gce_limits_are_cross_entropy_and_half_the_mae():
    y, _, p = _case(2)
    ce = -np.log(p[np.arange(y.size), y])
    np.testing.assert_allclose(robust.generalized_cross_entropy(y, p, q=1e-7, reduction="none"), ce, rtol=1e-5)
    np.testing.assert_allclose(
        robust.generalized_cross_entropy(y, p, q=1.0, reduction="none"),
        robust.classification_mae(y, p, reduction="none") / 2,
        rtol=1e-12,
    )


def test_mae_is_k_times_keras_mae_on_one_hot_rows_and_two_minus_two_p():
    y, _, p = _case(3)
    ours = robust.classification_mae(y, p, reduction="none")
    theirs = _keras(keras.losses.MeanAbsoluteError(reduction=None), np.eye(K)[y], p)
    np.testing.assert_allclose(ours, K * theirs, rtol=1e-6)
    np.testing.assert_allclose(ours, 2 * (1 - p[np.arange(y.size), y]), rtol=1e-12)


def test_sce_parts_are_keras_cross_entropy_and_the_reverse_term():
    y, z, p = _case(4)
    ce = _keras(keras.losses.SparseCategoricalCrossentropy(reduction=None), y, p)
    np.testing.assert_allclose(robust.symmetric_cross_entropy(y, p, alpha=0.3, beta=0.0, reduction="none"), 0.3 * ce, rtol=1e-6)
    rce = robust.symmetric_cross_entropy(y, p, alpha=0.0, beta=2.0, log_zero=-6.0, reduction="none")
    np.testing.assert_allclose(rce, 2.0 * 6.0 * (1 - p[np.arange(y.size), y]), rtol=1e-12)
    ce_logits = _keras(keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None), y, z)
    np.testing.assert_allclose(
        robust.symmetric_cross_entropy(y, z, alpha=1.0, beta=0.0, from_logits=True, reduction="none"), ce_logits, rtol=1e-6
    )


LOSSES = [
    (robust.generalized_cross_entropy, robust.generalized_cross_entropy_grad, {"q": 0.3}),
    (robust.generalized_cross_entropy, robust.generalized_cross_entropy_grad, {"q": 1.0}),
    (robust.symmetric_cross_entropy, robust.symmetric_cross_entropy_grad, {"alpha": 0.1, "beta": 1.0}),
    (robust.symmetric_cross_entropy, robust.symmetric_cross_entropy_grad, {"alpha": 1.0, "beta": 0.5, "log_zero": -2.0}),
    (robust.classification_mae, robust.classification_mae_grad, {}),
]


@pytest.mark.parametrize("loss, grad, options", LOSSES)
@pytest.mark.parametrize("from_logits", [True, False])
def test_gradients_equal_central_differences(loss, grad, options, from_logits):
    y, z, p = _case(5)
    point = z if from_logits else p
    for reduction in ("mean", "sum"):
        # Probabilities are free variables: the difference may leave the simplex, which the loss then must accept.
        numerical = optim.numerical_gradient(
            lambda v, reduction=reduction: _free(loss, y, v, from_logits, reduction, options), point, eps=1e-6
        )
        analytic = grad(y, point, from_logits=from_logits, reduction=reduction, **options)
        assert analytic.shape == point.shape
        np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-7)


def _free(loss, y, v, from_logits, reduction, options):
    """The loss at v; for probabilities, the formula itself, so that points off the simplex can be differenced."""
    if from_logits:
        return loss(y, v, from_logits=True, reduction=reduction, **options)
    rows = np.arange(y.size)
    if loss is robust.generalized_cross_entropy:
        values = (1 - v[rows, y] ** options["q"]) / options["q"]
    elif loss is robust.symmetric_cross_entropy:
        a, b, log_zero = options["alpha"], options["beta"], options.get("log_zero", -4.0)
        values = -a * np.log(v[rows, y]) - b * log_zero * (v.sum(axis=1) - v[rows, y])
    else:
        values = np.abs(np.eye(v.shape[1])[y] - v).sum(axis=1)
    # The check that the formula is the loss's own, where v is a distribution.
    if np.allclose(v.sum(axis=1), 1.0, atol=1e-9):
        np.testing.assert_allclose(loss(y, v, reduction="none", **options), values, rtol=1e-10)
    return values.mean() if reduction == "mean" else values.sum()


@pytest.mark.parametrize("loss, grad, options", LOSSES)
def test_logits_and_probabilities_agree_and_the_logit_gradient_is_a_weighted_cross_entropy(loss, grad, options):
    y, z, p = _case(6)
    np.testing.assert_allclose(
        loss(y, z, from_logits=True, reduction="none", **options), loss(y, p, reduction="none", **options), rtol=1e-9
    )
    kind = {robust.generalized_cross_entropy: "gce", robust.symmetric_cross_entropy: "sce"}.get(loss, "mae")
    weight = robust.logit_weight(robust.Loss(kind, **options), p[np.arange(y.size), y])
    expected = weight[:, None] * (p - np.eye(K)[y])
    np.testing.assert_allclose(grad(y, z, from_logits=True, reduction="none", **options), expected, rtol=1e-10)


def test_reductions_and_single_column_labels():
    y, _, p = _case(7)
    values = robust.generalized_cross_entropy(y, p, reduction="none")
    assert robust.generalized_cross_entropy(y, p, reduction="sum") == pytest.approx(values.sum())
    assert isinstance(robust.generalized_cross_entropy(y, p), float)
    np.testing.assert_allclose(
        robust.classification_mae(y[:, None], p, reduction="none"), robust.classification_mae(y, p, reduction="none")
    )


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda y, p: robust.generalized_cross_entropy(np.eye(K)[y], p), r"integer class labels.*argmax\(axis=1\)"),
        (lambda y, p: robust.generalized_cross_entropy(y, p * 2), r"from_logits=True"),
        (lambda y, p: robust.generalized_cross_entropy(y, p, q=0.0), r"`q`"),
        (lambda y, p: robust.generalized_cross_entropy(y, p, q=1.5), r"`q`"),
        (lambda y, p: robust.generalized_cross_entropy(y + K, p), r"0\.\.3"),
        (lambda y, p: robust.generalized_cross_entropy(y[:-1], p), r"one label per row"),
        (lambda y, p: robust.generalized_cross_entropy(y, p[:, :1]), r"two classes|at least 2"),
        (lambda y, p: robust.generalized_cross_entropy(y, p, reduction="avg"), r"reduction"),
        (lambda y, p: robust.symmetric_cross_entropy(y, p, alpha=0.0, beta=0.0), r"both 0.*alpha=0\.1"),
        (lambda y, p: robust.symmetric_cross_entropy(y, p, log_zero=4.0), r"`log_zero`"),
        (lambda y, p: robust.symmetric_cross_entropy(y, p, alpha=-1.0), r"`alpha`"),
        (lambda y, p: robust.classification_mae(y, np.where(p > 0.5, np.nan, p)), r"NaN|finite"),
        (lambda y, p: robust.classification_mae_grad(y, p, from_logits="yes"), r"from_logits"),
        (lambda y, p: robust.Loss("focal"), r"one of ce, gce, sce, mae"),
        (lambda y, p: robust.Loss("gce", q=2.0), r"`q`"),
        (lambda y, p: robust.logit_weight("gce", p[:, 0]), r"robust\.Loss"),
        (lambda y, p: robust.logit_weight(robust.Loss("ce"), p[:, 0] + 1), r"probabilities of the labelled class"),
    ],
)
def test_bad_input_names_the_problem_and_the_fix(call, match):
    y, _, p = _case(8)
    with pytest.raises(ValueError, match=match):
        call(y, p)


def _tiny(replicas=2, n=48, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(replicas, n, d))
    y = (x[..., 0] > 0).astype(int) + (x[..., 1] > 0)
    return x, y, np.eye(3)[y]


@pytest.mark.parametrize(
    "change, match",
    [
        ({"losses": ["ce", "ce"]}, r"robust\.Loss"),
        ({"head": "tanh"}, r"`head`"),
        ({"x": np.zeros((3, 48, 3))}, r"one array per replica, shape \(2, n, columns\)"),
        ({"parts": {"test": np.zeros((2, 5, 4))}}, r"parts\['test'\].*\(2, rows, 3\)"),
        ({"parts": {"test": (np.zeros((2, 5, 3)), np.zeros((2, 4)))}}, r"one per row"),
        ({"parts": {"test": (np.zeros((2, 5, 3)), np.full((2, 5), 3))}}, r"0\.\.2"),
        ({"parts": {}}, r"`parts` must be a dict"),
        ({"learning_rate": [0.1, -0.1]}, r"`learning_rate` must be positive"),
        ({"seeds": [0]}, r"one seed per replica"),
        ({"head": "sigmoid", "losses": [robust.Loss("gce")] * 2}, r"Loss\('ce'\)"),
    ],
)
def test_fit_rejects_bad_arguments_with_the_fix(change, match):
    x, y, t = _tiny()
    arguments = {
        "losses": [robust.Loss("ce")] * 2,
        "x": x,
        "targets": t,
        "parts": {"train": (x, y)},
        "hidden": 4,
        "epochs": 1,
        "learning_rate": 0.1,
        "seeds": [0, 1],
    } | change
    with pytest.raises(ValueError, match=match):
        robust.fit(**arguments)


def test_one_full_batch_step_moves_the_output_bias_by_the_losses_gradient():
    x, y, t = _tiny(replicas=3)
    losses = [robust.Loss("gce", q=0.7), robust.Loss("sce", alpha=0.5, beta=1.0), robust.Loss("mae")]
    grads = [robust.generalized_cross_entropy_grad, robust.symmetric_cross_entropy_grad, robust.classification_mae_grad]
    options = [{"q": 0.7}, {"alpha": 0.5, "beta": 1.0}, {}]
    rate = 0.05
    runs = robust.fit(
        losses, x, t, parts={"train": (x, y)}, hidden=5, epochs=1, learning_rate=rate, seeds=[3, 3, 3], batch_size=x.shape[1]
    )
    from lossbook import replicas

    w1, b1, w2, b2 = (w.astype(np.float64) for w in replicas.initial_weights(3, hidden=5, outputs=3, seeds=[3]))
    for r in range(3):
        z = np.maximum(x[r] @ w1[0] + b1[0], 0) @ w2[0] + b2[0]
        expected = grads[r](y[r], z, from_logits=True, **options[r]).sum(axis=0)
        np.testing.assert_allclose((b2[0] - runs.weights[3][r]) / rate, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("partner", [robust.Loss("ce"), robust.Loss("gce", q=0.7)])
def test_cross_entropy_on_label_smoothed_targets_steps_as_keras_label_smoothing(partner):
    """Rows (1 - eps) one-hot + eps / K as targets give Keras' label_smoothing=eps gradient, p - target, also when
    another replica's loss takes the weighted path of the trainer."""
    tf = pytest.importorskip("tensorflow")
    from lossbook import replicas

    x, y, t = _tiny(replicas=2)
    eps, rate = 0.3, 0.05
    targets = t.copy()
    targets[0] = t[0] * (1 - eps) + eps / 3
    runs = robust.fit(
        [robust.Loss("ce"), partner],
        x,
        targets,
        parts={"train": (x, y)},
        hidden=5,
        epochs=1,
        learning_rate=rate,
        seeds=[3, 3],
        batch_size=x.shape[1],
    )
    w1, b1, w2, b2 = (w.astype(np.float64) for w in replicas.initial_weights(3, hidden=5, outputs=3, seeds=[3]))
    z = tf.Variable(np.maximum(x[0] @ w1[0] + b1[0], 0) @ w2[0] + b2[0])
    with tf.GradientTape() as tape:
        # dtype: the loss in float64 whatever floatx an earlier test left (in float32 it agrees to about 1e-7 only)
        value = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=eps, reduction="sum", dtype="float64")(
            t[0], z
        )
    expected = tape.gradient(value, z).numpy().sum(axis=0) / x.shape[1]
    np.testing.assert_allclose((b2[0] - runs.weights[3][0]) / rate, expected, rtol=1e-7, atol=1e-10)
    unsmoothed = (special.softmax(z.numpy(), axis=1) - t[0]).sum(axis=0) / x.shape[1]
    assert np.abs(unsmoothed - expected).max() > 1e-3


def test_cross_entropy_replica_follows_replicas_fit_in_double_precision():
    """The trainer with plain cross-entropy takes the steps of lossbook.replicas.fit (Keras' SGD), same weights,
    same batch orders."""
    from lossbook import data, replicas

    x, y, t = _tiny(replicas=1, n=70)
    split = data.Split(x[0], t[0], x[0][:10], t[0][:10], "tiny")
    theirs = replicas.fit(
        "categorical_crossentropy",
        split,
        hidden=6,
        epochs=3,
        replicas=1,
        seed=4,
        learning_rate=0.0625,
        n_classes=3,
        progress=False,
        dtype="float64",
    )
    ours = robust.fit([robust.Loss("ce")], x, t, parts={"train": (x, y)}, hidden=6, epochs=3, learning_rate=0.0625, seeds=[4])
    # 0.0625 is exact in float32, in which replicas.fit keeps its rates; what remains is TensorFlow's rounding
    # in its fused softmax cross-entropy, about 1e-9 after 3 epochs, far below the change any other step makes.
    for a, b in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    wrong = robust.fit([robust.Loss("ce")], x, t, parts={"train": (x, y)}, hidden=6, epochs=3, learning_rate=0.0626, seeds=[4])
    assert np.abs(wrong.weights[0] - theirs.weights[0]).max() > 1e-5


def test_fit_records_accuracy_log_probabilities_and_final_outputs():
    x, y, t = _tiny(replicas=2, n=96)
    runs = robust.fit(
        [robust.Loss("ce"), robust.Loss("gce", q=0.5)],
        x,
        t,
        parts={"train": (x, y), "inputs": x},
        hidden=8,
        epochs=30,
        learning_rate=0.1,
        seeds=[0, 1],
        score_every=10,
    )
    assert runs.epochs.tolist() == [10, 20, 30]
    assert runs.predicted["inputs"].shape == (2, 3, 96) and "inputs" not in runs.log_p
    accuracy = runs.accuracy("train", y)
    assert np.all(accuracy[:, -1] > 0.85)
    final = runs.final["train"]
    np.testing.assert_allclose(final.sum(axis=2), 1.0)
    np.testing.assert_allclose(runs.log_p["train"][:, -1], np.log(np.take_along_axis(final, y[..., None], 2)[..., 0]), rtol=1e-5)
    np.testing.assert_array_equal(runs.predicted["train"][:, -1], final.argmax(axis=2))


@pytest.mark.parametrize("kind", ["symmetric", "asymmetric"])
def test_corrupt_changes_the_share_asked_and_only_to_other_classes(kind):
    y = np.repeat(np.arange(10), 400)
    noisy = robust.corrupt(y, 0.4, n_classes=10, kind=kind, seed=1)
    changed = noisy != y
    assert abs(changed.mean() - 0.4) < 0.03
    shifts = ((noisy - y) % 10)[changed]
    if kind == "asymmetric":
        assert set(shifts.tolist()) == {1}
    else:
        counts = np.bincount(shifts, minlength=10)
        assert counts[0] == 0 and counts[1:].min() > 0.7 * counts[1:].mean()
    np.testing.assert_array_equal(robust.corrupt(y, 0.0, n_classes=10, seed=1), y)


@pytest.mark.parametrize(
    "options, match",
    [({"share": 1.0}, r"`share`"), ({"kind": "pairs"}, r"`kind`"), ({"n_classes": 3}, r"0\.\.2")],
)
def test_corrupt_rejects_bad_arguments(options, match):
    arguments = {"y": np.arange(5), "share": 0.2, "n_classes": 5, "seed": 0} | options
    with pytest.raises(ValueError, match=match):
        robust.corrupt(**arguments)


def test_predict_with_the_final_weights_gives_the_final_outputs():
    x, y, t = _tiny(replicas=2)
    runs = robust.fit([robust.Loss("mae")] * 2, x, t, parts={"train": x}, hidden=4, epochs=2, learning_rate=0.1, seeds=[0, 1])
    np.testing.assert_allclose(runs.predict(x), runs.final["train"], rtol=1e-12)
