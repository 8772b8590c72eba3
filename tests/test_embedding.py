"""lossbook.embedding: the embedding losses, their gradients, Keras' Circle, the views, the network and the scores."""

import numpy as np
import pytest
from scipy import special

from lossbook import embedding

RNG_SEED = 20


def _batch(seed=RNG_SEED, n=9, d=4, classes=3):
    rng = np.random.default_rng(seed)
    return rng.integers(0, classes, n), rng.normal(size=(n, d))


def _central_difference(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        g[i] = (f(x + step) - f(x - step)) / (2 * h)
    return g


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# --------------------------------------------------------------------------- exact values


def test_info_nce_of_two_orthogonal_pairs_is_log_one_plus_e_to_minus_one_over_tau():
    q = np.eye(2)
    for tau in (0.5, 1.0, 2.0):
        assert embedding.info_nce(q, q, temperature=tau) == pytest.approx(np.log1p(np.exp(-1 / tau)))


def test_info_nce_is_a_cross_entropy_over_keys_written_out_by_loops():
    _, q = _batch(1)
    _, k = _batch(2)
    uq, uk = _unit(q), _unit(k)
    by_loop = np.mean(
        [-np.log(np.exp(uq[i] @ uk[i] / 0.3) / sum(np.exp(uq[i] @ uk[j] / 0.3) for j in range(len(k)))) for i in range(len(q))]
    )
    assert embedding.info_nce(q, k, temperature=0.3) == pytest.approx(by_loop, rel=1e-12)


def test_nt_xent_written_out_by_loops():
    _, a = _batch(3, n=4)
    _, b = _batch(4, n=4)
    u = _unit(np.vstack([a, b]))
    values = []
    for i in range(8):
        partner = (i + 4) % 8
        others = [j for j in range(8) if j != i]
        values.append(-u[i] @ u[partner] / 0.5 + np.log(sum(np.exp(u[i] @ u[j] / 0.5) for j in others)))
    assert embedding.nt_xent(a, b, temperature=0.5, reduction="none") == pytest.approx(values, rel=1e-12)
    assert embedding.nt_xent(a, b, temperature=0.5) == pytest.approx(np.mean(values), rel=1e-12)


def test_losses_ignore_the_length_of_the_rows():
    y, x = _batch()
    scale = np.linspace(0.5, 4.0, len(x))[:, None]
    assert embedding.triplet(y, x * scale, margin=0.3) == pytest.approx(embedding.triplet(y, x, margin=0.3))
    assert embedding.circle(y, x * scale) == pytest.approx(embedding.circle(y, x))
    assert embedding.nt_xent(x * scale, x, temperature=0.2) == pytest.approx(embedding.nt_xent(x, x, temperature=0.2))


def _semi_hard_by_loops(y, x, margin):
    u = _unit(x)
    d = ((u[:, None, :] - u[None, :, :]) ** 2).sum(-1)
    losses = []
    for a in range(len(y)):
        for p in range(len(y)):
            if p == a or y[p] != y[a]:
                continue
            negatives = [n for n in range(len(y)) if y[n] != y[a]]
            farther = [n for n in negatives if d[a, n] > d[a, p]]
            n = min(farther, key=lambda n: d[a, n]) if farther else max(negatives, key=lambda n: d[a, n])
            losses.append(max(0.0, d[a, p] - d[a, n] + margin))
    return losses


def _batch_hard_by_loops(y, x, margin):
    u = _unit(x)
    d = ((u[:, None, :] - u[None, :, :]) ** 2).sum(-1)
    losses = []
    for a in range(len(y)):
        positives = [p for p in range(len(y)) if p != a and y[p] == y[a]]
        negatives = [n for n in range(len(y)) if y[n] != y[a]]
        if positives and negatives:
            losses.append(max(0.0, max(d[a, positives]) - min(d[a, negatives]) + margin))
    return losses


@pytest.mark.parametrize("seed", range(5))
def test_semi_hard_and_batch_hard_mining_match_loops_over_the_batch(seed):
    y, x = _batch(seed, n=12, d=3)
    assert embedding.triplet(y, x, margin=0.4, reduction="none") == pytest.approx(_semi_hard_by_loops(y, x, 0.4))
    assert embedding.triplet(y, x, margin=0.4, mining="hard", reduction="none") == pytest.approx(_batch_hard_by_loops(y, x, 0.4))


def test_a_triplet_loss_of_zero_when_every_class_is_a_point_far_from_the_others():
    y = np.array([0, 0, 1, 1, 2, 2])
    x = np.repeat(np.eye(3), 2, axis=0)
    assert embedding.triplet(y, x, margin=0.5) == 0.0
    assert np.all(embedding.triplet_grad(y, x, margin=0.5) == 0.0)


def test_circle_by_its_formula_for_one_row():
    y, x = _batch(6, n=6)
    u = _unit(x)
    gamma, m = 8.0, 0.3
    values = []
    for i in range(len(y)):
        pos = [j for j in range(len(y)) if j != i and y[j] == y[i]]
        neg = [j for j in range(len(y)) if y[j] != y[i]]
        if not pos or not neg:
            continue
        dist = np.maximum(1 - u @ u[i], 0)
        p = special.logsumexp([-gamma * (m + dist[j]) * (m - dist[j]) for j in pos])
        n = special.logsumexp([gamma * max(1 + m - dist[j], 0) * (1 - m - dist[j]) for j in neg])
        values.append(np.logaddexp(0, p + n))
    assert embedding.circle(y, x, gamma=gamma, margin=m) == pytest.approx(np.mean(values), rel=1e-12)


# --------------------------------------------------------------------------- Keras


@pytest.mark.parametrize("gamma, margin", [(80.0, 0.4), (8.0, 0.25), (2.0, 0.1)])
@pytest.mark.parametrize("seed", [0, 1])
def test_circle_equals_keras_circle_on_unit_rows(seed, gamma, margin):
    import keras

    y, x = _batch(seed, n=10, d=5, classes=4)
    y[-1] = 9  # a class of one: no positive, left out of Keras' mean
    loss = keras.losses.Circle(gamma=gamma, margin=margin, dtype="float64")
    theirs = float(keras.ops.convert_to_numpy(loss(y, _unit(x))))
    assert embedding.circle(y, x, gamma=gamma, margin=margin) == pytest.approx(theirs, rel=1e-10)


def test_circle_per_row_equals_keras_reduction_none():
    import keras

    y, x = _batch(7, n=8)
    theirs = keras.ops.convert_to_numpy(keras.losses.Circle(reduction=None, dtype="float64")(y, _unit(x)))
    assert embedding.circle(y, x, reduction="none") == pytest.approx(theirs, rel=1e-10)


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("seed", range(3))
def test_gradients_equal_central_differences(seed):
    y, x = _batch(seed)
    _, other = _batch(seed + 10)
    ga, gb = embedding.nt_xent_grad(x, other, temperature=0.3)
    assert ga == pytest.approx(_central_difference(lambda e: embedding.nt_xent(e, other, temperature=0.3), x), abs=1e-7)
    assert gb == pytest.approx(_central_difference(lambda e: embedding.nt_xent(x, e, temperature=0.3), other), abs=1e-7)
    gq, gk = embedding.info_nce_grad(x, other, temperature=0.2)
    assert gq == pytest.approx(_central_difference(lambda e: embedding.info_nce(e, other, temperature=0.2), x), abs=1e-7)
    assert gk == pytest.approx(_central_difference(lambda e: embedding.info_nce(x, e, temperature=0.2), other), abs=1e-7)
    for mining in embedding.MINING:
        g = embedding.triplet_grad(y, x, margin=0.5, mining=mining)
        numeric = _central_difference(lambda e, rule=mining: embedding.triplet(y, e, margin=0.5, mining=rule), x)
        assert g == pytest.approx(numeric, abs=1e-7)
    g = embedding.circle_grad(y, x, gamma=8.0, margin=0.25)
    assert g == pytest.approx(_central_difference(lambda e: embedding.circle(y, e, gamma=8.0, margin=0.25), x), abs=1e-6)


def test_gradients_are_orthogonal_to_each_row():
    """Every loss reads directions only, so moving a row along itself changes nothing."""
    y, x = _batch()
    for g in (embedding.nt_xent_grad(x, x[::-1], temperature=0.5)[0], embedding.triplet_grad(y, x), embedding.circle_grad(y, x)):
        assert np.sum(g * x, axis=1) == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------- views, training, scores


def test_augment_without_noise_moves_each_image_by_at_most_one_pixel():
    rng = np.random.default_rng(0)
    image = np.zeros((50, 64))
    image[:, 3 * 8 + 4] = 1.0
    views = embedding.augment(image, rng, shift=1, noise=0.0)
    rows, cols = np.divmod(views.argmax(axis=1), 8)
    assert np.all(views.sum(axis=1) == 1.0)
    assert set(np.abs(rows - 3)) <= {0, 1} and set(np.abs(cols - 4)) <= {0, 1}
    assert len(set(zip(rows, cols))) == 9  # every shift occurs among 50 draws


def test_augment_lets_blank_pixels_in_at_the_border():
    image = np.ones((20, 16))
    views = embedding.augment(image, np.random.default_rng(1), shift=1, noise=0.0, side=4)
    assert views.min() == 0.0 and views.max() == 1.0


def test_training_is_reproducible_and_lowers_each_loss():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x, y = x[y < 4][:200] / 16, y[y < 4][:200]
    views = embedding.augment(x, np.random.default_rng(5)), embedding.augment(x, np.random.default_rng(6))
    measure = {
        "triplet": lambda net: embedding.triplet(y, net.embed(x), margin=0.2),
        "circle": lambda net: embedding.circle(y, net.embed(x), margin=0.4),
        "nt_xent": lambda net: embedding.nt_xent(*map(net.embed, views), temperature=0.3),
    }
    for loss, setting in (("triplet", 0.2), ("circle", 0.4), ("nt_xent", 0.3)):
        one, two, untrained = (
            embedding.train(loss, x, y, setting=setting, learning_rate=rate, epochs=20, seed=3) for rate in (0.01, 0.01, 1e-12)
        )  # the same seed: the same first weights
        assert np.array_equal(one.embed(x), two.embed(x))
        assert measure[loss](one) < 0.9 * measure[loss](untrained), loss


def test_the_crossentropy_network_learns_the_seen_classes():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x, y = x[y < 4][:300] / 16, y[y < 4][:300] + 3  # labels 3..6: the head numbers them itself
    e = embedding.train("crossentropy", x[:200], y[:200], learning_rate=0.01, epochs=10, seed=0).embed(x)
    assert embedding.knn_accuracy(e[:200], y[:200], e[200:], y[200:]) > 0.85


def test_knn_and_probe_score_separated_classes_perfectly_and_read_unit_rows():
    reference = np.array([[1.0, 0.1], [2.0, 0.0], [0.0, 1.0], [0.1, 3.0]])
    labels = np.array([0, 0, 1, 1])
    query = np.array([[5.0, 0.5], [0.2, 0.9]])
    assert embedding.knn_accuracy(reference, labels, query, [0, 1], k=1) == 1.0
    assert embedding.probe_accuracy(reference, labels, query, [0, 1]) == 1.0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: embedding.nt_xent(np.ones(3), np.ones(3)), "2-D array of embeddings"),
        (lambda: embedding.nt_xent(np.ones((3, 2)), np.ones((4, 2))), "same shape"),
        (lambda: embedding.nt_xent(np.ones((1, 2)), np.ones((1, 2))), "at least 2"),
        (lambda: embedding.info_nce(np.eye(2), np.eye(2), temperature=0), "temperature"),
        (lambda: embedding.nt_xent(np.array([[0.0, 0.0], [1.0, 0.0]]), np.eye(2)), "all zeros"),
        (lambda: embedding.nt_xent(np.array([[np.nan, 0.0], [1.0, 0.0]]), np.eye(2)), "finite"),
        (lambda: embedding.triplet([0, 1], np.eye(2)), "positive pair"),
        (lambda: embedding.triplet([0, 0], np.eye(2)), "positive pair"),
        (lambda: embedding.triplet([0, 0, 1], np.eye(3), mining="hardest"), "mining"),
        (lambda: embedding.triplet([0, 0, 1], np.eye(3), margin=-0.1), "margin"),
        (lambda: embedding.triplet(np.eye(3), np.eye(3)), "1-D array of 3 integer labels"),
        (lambda: embedding.triplet([0.5, 0, 1], np.eye(3)), "integer class labels"),
        (lambda: embedding.circle([0, 0, 1], np.eye(3), margin=1.5), "margin"),
        (lambda: embedding.circle([0, 0, 1], np.eye(3), gamma=0), "gamma"),
        (lambda: embedding.circle([0, 0, 1], np.eye(3), reduction="sum"), "reduction"),
        (lambda: embedding.augment(np.ones((2, 10)), np.random.default_rng(0)), "flattened 8x8"),
        (lambda: embedding.augment(np.ones((2, 64)), np.random.default_rng(0), shift=8), "shift"),
        (lambda: embedding.train("hinge", np.ones((4, 2)), [0, 0, 1, 1]), "loss"),
        (lambda: embedding.train("triplet", np.ones((4, 2)), [0, 0, 1, 1]), "setting="),
        (lambda: embedding.knn_accuracy(np.eye(3), [0, 1, 2], np.ones((3, 2)), [0, 1, 2]), "same space"),
        (lambda: embedding.knn_accuracy(np.eye(3), [0, 1, 2], np.eye(3), [0, 1, 2], k=4), "smaller k"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
