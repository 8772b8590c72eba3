r"""Losses that learn an embedding, with their gradients, and a small NumPy network that trains with them.

Every loss here reads a batch of embeddings, one row per example, and first
scales each row to unit length, so that the losses live on the sphere where
the dot product of two rows is their cosine similarity:

- :func:`info_nce` and :func:`nt_xent`, the contrastive losses of CPC
  (van den Oord et al. 2018) and SimCLR (Chen et al. 2020), which need no
  labels: two views of the same example are the positive pair, every other
  row a negative;
- :func:`triplet`, FaceNet's triplet loss (Schroff et al. 2015) on squared
  distances, with the negative of each anchor-positive pair chosen by a
  declared mining rule, ``"semi-hard"`` or ``"hard"`` (batch-hard);
- :func:`circle`, the Circle loss (Sun et al. 2020) exactly as
  ``keras.losses.Circle`` computes it on the unit rows.

Each ``*_grad`` returns the gradient of the mean loss with respect to the
embeddings as given (before the scaling to unit length). :func:`augment`
makes the shifted, noisy views of 8x8 digits that the contrastive losses
compare, and :func:`train` fits a one-hidden-layer embedding network in
float64 with Adam, so that the printed digits do not depend on the
processor.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special

from lossbook._validation import as_float_array, check_finite, check_int, check_scalar

__all__ = [
    "MINING",
    "LOSSES",
    "unit_rows",
    "info_nce",
    "info_nce_grad",
    "nt_xent",
    "nt_xent_grad",
    "triplet",
    "triplet_grad",
    "circle",
    "circle_grad",
    "augment",
    "Network",
    "train",
    "knn_accuracy",
    "probe_accuracy",
]

#: The mining rules of :func:`triplet`.
MINING = ("semi-hard", "hard")
#: The losses :func:`train` knows, with the name of the setting it takes.
LOSSES = {"nt_xent": "temperature", "triplet": "margin", "circle": "margin", "crossentropy": None}


# --------------------------------------------------------------------------- input checks


def _embeddings(x, name):
    """A 2-D float64 array of finite rows, none of length 0."""
    x = as_float_array(x, name)
    if x.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array of embeddings, one row per example; got shape {x.shape}. "
            f"Reshape it, e.g. {name}.reshape(len({name}), -1)."
        )
    if x.shape[0] < 2:
        raise ValueError(
            f"`{name}` holds {x.shape[0]} row(s); these losses compare the rows of a batch with each other and need "
            "at least 2. Pass a larger batch."
        )
    check_finite(x, name)
    norms = np.linalg.norm(x, axis=1)
    if np.any(norms == 0):
        raise ValueError(
            f"row {int(np.argmax(norms == 0))} of `{name}` is all zeros and has no direction; the losses compare "
            "directions (unit rows). Check the network's last layer, or drop that example."
        )
    return x


def _pair(a, b):
    a, b = _embeddings(a, "view_a"), _embeddings(b, "view_b")
    if a.shape != b.shape:
        raise ValueError(
            f"`view_a` and `view_b` must have the same shape, one row per example in the same order; got {a.shape} "
            f"and {b.shape}. Embed the two views of the same batch."
        )
    return a, b


def _labels(y_true, n):
    y = np.asarray(y_true)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"`y_true` must be a 1-D array of {n} integer labels, one per row of `y_pred`; got shape {y.shape}. "
            "Pass class numbers, not one-hot rows (use y.argmax(axis=1) on one-hot labels)."
        )
    if y.dtype.kind not in "iu":
        if y.dtype.kind != "f" or not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(
                f"`y_true` must hold integer class labels; got dtype {y.dtype}. "
                "Map the classes to integers, e.g. np.unique(y, return_inverse=True)[1]."
            )
    return y.astype(np.int64)


def _temperature(temperature):
    check_scalar(temperature, "temperature", low=0, low_open=True, example=0.5)


def _margin(margin):
    check_scalar(margin, "margin", low=0, example=0.2)


def _reduction(reduction):
    if reduction not in ("mean", "none"):
        raise ValueError(
            f"`reduction` must be 'mean' or 'none'; got {reduction!r}. 'none' gives one value per row "
            "(per anchor-positive pair for the triplet loss)."
        )


# --------------------------------------------------------------------------- unit rows


def unit_rows(x):
    """Each row of ``x`` divided by its Euclidean length, with the lengths.

    Examples
    --------
    >>> u, norms = unit_rows(np.array([[3.0, 4.0], [0.0, 2.0]]))
    >>> u.tolist(), norms.tolist()
    ([[0.6, 0.8], [0.0, 1.0]], [5.0, 2.0])
    """
    norms = np.linalg.norm(x, axis=1)
    return x / norms[:, None], norms


def _gram(a, b):
    """All dot products of the rows of a with the rows of b.

    The products of this module are small (a batch of a few hundred rows, a
    few dozen columns); NumPy's own einsum loops do them several times
    faster than a call to BLAS, whose ``A @ A.T`` path is slowest of all.
    """
    return np.einsum("ik,jk->ij", a, b)


def _mm(a, b):
    """The matrix product a @ b, by einsum (see :func:`_gram`)."""
    return np.einsum("ij,jk->ik", a, b)


def _through_unit_rows(grad_u, u, norms):
    """The gradient with respect to x of a function of u = x / |x|, from its gradient with respect to u."""
    return (grad_u - u * np.sum(u * grad_u, axis=1, keepdims=True)) / norms[:, None]


# --------------------------------------------------------------------------- InfoNCE and NT-Xent


def _info_nce_parts(queries, keys, temperature):
    q, k = _pair(queries, keys)
    _temperature(temperature)
    (uq, nq), (uk, nk) = unit_rows(q), unit_rows(k)
    logits = _gram(uq, uk) / temperature
    return uq, nq, uk, nk, logits


def info_nce(queries, keys, *, temperature=0.1, reduction="mean"):
    r"""InfoNCE: each query must pick its own key out of all the keys of the batch.

    .. math::

        \ell_i = -\log \frac{\exp(s_{ii} / \tau)}{\sum_j \exp(s_{ij} / \tau)},
        \qquad s_{ij} = \frac{q_i \cdot k_j}{\lVert q_i \rVert \lVert k_j \rVert}.

    Row ``i`` of ``keys`` is the positive of row ``i`` of ``queries``, every
    other key a negative (van den Oord et al. 2018). Its minimum over the
    batch approaches 0 only when each query is far closer to its key than to
    any other.

    Examples
    --------
    >>> q = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(info_nce(q, q, temperature=1.0), 4)  # log(1 + e^-1)
    0.3133
    """
    _reduction(reduction)
    _, _, _, _, logits = _info_nce_parts(queries, keys, temperature)
    losses = -np.diag(special.log_softmax(logits, axis=1))
    return float(losses.mean()) if reduction == "mean" else losses


def info_nce_grad(queries, keys, *, temperature=0.1):
    """Gradients of the mean :func:`info_nce` with respect to ``queries`` and ``keys``, as a pair."""
    uq, nq, uk, nk, logits = _info_nce_parts(queries, keys, temperature)
    n = logits.shape[0]
    g = (special.softmax(logits, axis=1) - np.eye(n)) / (n * temperature)
    return _through_unit_rows(_mm(g, uk), uq, nq), _through_unit_rows(_mm(g.T, uq), uk, nk)


def _nt_xent_parts(view_a, view_b, temperature):
    a, b = _pair(view_a, view_b)
    _temperature(temperature)
    u, norms = unit_rows(np.vstack([a, b]))
    m = a.shape[0]
    logits = _gram(u, u) / temperature
    logits[np.diag_indices(2 * m)] = -np.inf  # a row is never its own negative
    partner = np.r_[np.arange(m, 2 * m), np.arange(m)]
    return u, norms, logits, partner


def nt_xent(view_a, view_b, *, temperature=0.5, reduction="mean"):
    r"""NT-Xent, SimCLR's normalised temperature-scaled cross-entropy over two views of a batch.

    The ``2n`` rows of both views are scaled to unit length; each row's
    positive is the other view of its example, and the other ``2n - 2`` rows
    are its negatives (Chen et al. 2020):

    .. math::

        \ell_i = -\log \frac{\exp(s_{i,p(i)} / \tau)}{\sum_{j \ne i} \exp(s_{ij} / \tau)}.

    With ``reduction="none"`` it returns the ``2n`` values, view a's rows
    first.

    Examples
    --------
    >>> a = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(nt_xent(a, a, temperature=1.0), 4)
    0.5514
    """
    _reduction(reduction)
    _, _, logits, partner = _nt_xent_parts(view_a, view_b, temperature)
    rows = np.arange(partner.size)
    losses = -special.log_softmax(logits, axis=1)[rows, partner]
    return float(losses.mean()) if reduction == "mean" else losses


def nt_xent_grad(view_a, view_b, *, temperature=0.5):
    """Gradients of the mean :func:`nt_xent` with respect to ``view_a`` and ``view_b``, as a pair."""
    u, norms, logits, partner = _nt_xent_parts(view_a, view_b, temperature)
    rows = np.arange(partner.size)
    g = special.softmax(logits, axis=1)
    g[rows, partner] -= 1.0
    g /= partner.size * temperature
    grad = _through_unit_rows(_mm(g + g.T, u), u, norms)
    m = partner.size // 2
    return grad[:m], grad[m:]


# --------------------------------------------------------------------------- triplet


def _triplets(y_true, y_pred, margin, mining):
    """Unit rows, their lengths, squared distances and the (anchor, positive, negative) of each mined triplet."""
    x = _embeddings(y_pred, "y_pred")
    y = _labels(y_true, x.shape[0])
    _margin(margin)
    if mining not in MINING:
        raise ValueError(f"`mining` must be one of {MINING}; got {mining!r}.")
    u, norms = unit_rows(x)
    d = np.maximum(2.0 - 2.0 * (_gram(u, u)), 0.0)  # squared distances of unit rows
    same = y[:, None] == y[None, :]
    negative = ~same
    positive = same & ~np.eye(y.size, dtype=bool)
    if not positive.any() or not negative.any():
        raise ValueError(
            "the triplet loss needs, in one batch, two examples of a class (a positive pair) and an example of "
            f"another class (a negative); the labels hold {np.unique(y).size} class(es) with "
            f"{int(positive.sum() // 2)} positive pair(s). Draw larger batches or several examples per class."
        )
    if mining == "hard":
        anchors = np.flatnonzero(positive.any(axis=1) & negative.any(axis=1))
        p = np.argmax(np.where(positive, d, -np.inf), axis=1)[anchors]
        n = np.argmin(np.where(negative, d, np.inf), axis=1)[anchors]
        return u, norms, d, anchors, p, n
    anchors, p = np.nonzero(positive)
    # Each anchor's negatives sorted by distance (others pushed past 4, the largest squared distance), laid end to end
    # with anchor a's block shifted by 8a, so that one searchsorted finds the first negative farther than each positive.
    size = y.size
    order = np.argsort(np.where(negative, d, 5.0), axis=1, kind="stable")
    blocks = (np.take_along_axis(np.where(negative, d, 5.0), order, axis=1) + 8.0 * np.arange(size)[:, None]).ravel()
    first_farther = np.searchsorted(blocks, d[anchors, p] + 8.0 * anchors, side="right") - size * anchors
    n_negatives = negative.sum(axis=1)[anchors]
    rank = np.where(first_farther < n_negatives, first_farther, n_negatives - 1)  # else the farthest negative
    n = order[anchors, rank]
    return u, norms, d, anchors, p, n


def triplet(y_true, y_pred, *, margin=0.2, mining="semi-hard", reduction="mean"):
    r"""The triplet loss on squared distances between unit rows, with a mining rule.

    .. math::

        \ell_{a,p} = \max\bigl(0,\; \lVert u_a - u_p \rVert^2 - \lVert u_a - u_n \rVert^2 + \alpha\bigr),

    with :math:`u = x / \lVert x \rVert`, over the batch's anchor-positive
    pairs :math:`(a, p)` of one class. ``mining`` chooses the negative
    :math:`n`:

    - ``"semi-hard"`` (Schroff et al. 2015): every ordered pair (a, p) is
      used; the negative is the one nearest to the anchor among those
      farther from it than the positive; where no negative is farther, the
      farthest negative.
    - ``"hard"`` (batch-hard): one triplet per anchor, its farthest positive
      and its nearest negative.

    The mining is a choice made at the current embeddings; the gradient
    (:func:`triplet_grad`) holds it fixed. ``reduction="none"`` returns one
    value per triplet.

    Examples
    --------
    >>> y_pred = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]])
    >>> triplet([0, 0, 1, 1], y_pred, margin=0.2, reduction="none").round(4).tolist()
    [0.0, 0.0, 0.2, 0.0]
    >>> round(triplet([0, 1, 0, 1], y_pred, margin=0.2), 4)
    0.8
    """
    _reduction(reduction)
    _, _, d, a, p, n = _triplets(y_true, y_pred, margin, mining)
    losses = np.maximum(d[a, p] - d[a, n] + margin, 0.0)
    return float(losses.mean()) if reduction == "mean" else losses


def triplet_grad(y_true, y_pred, *, margin=0.2, mining="semi-hard"):
    """Gradient of the mean :func:`triplet` with respect to ``y_pred``, the mined triplets held fixed."""
    u, norms, d, a, p, n = _triplets(y_true, y_pred, margin, mining)
    active = (d[a, p] - d[a, n] + margin > 0) / a.size
    size = d.shape[0]
    # the gradient with respect to the squared distances: +1 on each active (a, p), -1 on its (a, n), over the triplets
    g = (np.bincount(a * size + p, active, size * size) - np.bincount(a * size + n, active, size * size)).reshape(d.shape)
    return _through_unit_rows(-2.0 * _mm(g + g.T, u), u, norms)


# --------------------------------------------------------------------------- Circle


def _circle_parts(y_true, y_pred, gamma, margin):
    x = _embeddings(y_pred, "y_pred")
    y = _labels(y_true, x.shape[0])
    check_scalar(gamma, "gamma", low=0, low_open=True, example=80.0)
    check_scalar(margin, "margin", low=0, high=1, example=0.4)
    u, norms = unit_rows(x)
    cos = _gram(u, u)
    dist = np.maximum(1.0 - cos, 0.0)
    positive = (y[:, None] == y[None, :]) & ~np.eye(y.size, dtype=bool)
    negative = y[:, None] != y[None, :]
    neg_weight = np.maximum(1.0 + margin - dist, 0.0)
    pos_logits = np.where(positive, -gamma * (margin + dist) * (margin - dist), -np.inf)
    neg_logits = np.where(negative, gamma * neg_weight * (1.0 - margin - dist), -np.inf)
    total = special.logsumexp(pos_logits, axis=1) + special.logsumexp(neg_logits, axis=1)
    return u, norms, cos, dist, positive, negative, neg_weight, pos_logits, neg_logits, total


def circle(y_true, y_pred, *, gamma=80.0, margin=0.4, reduction="mean"):
    r"""The Circle loss of ``keras.losses.Circle``, on the unit rows of ``y_pred``.

    With cosine distances :math:`d_{ij} = \max(0, 1 - u_i \cdot u_j)`, the
    positives :math:`P_i` (same class, not ``i``) and the negatives
    :math:`N_i`,

    .. math::

        \ell_i = \operatorname{softplus}\Bigl(
        \log\!\sum_{j \in P_i} e^{-\gamma (m + d_{ij})(m - d_{ij})}
        + \log\!\sum_{k \in N_i} e^{\gamma [1 + m - d_{ik}]_+ (1 - m - d_{ik})}\Bigr)

    (Sun et al. 2020, in Keras' parametrisation). A row without a positive
    or without a negative has loss 0, and Keras' mean leaves it out: the
    mean is over the rows that have both.

    Examples
    --------
    >>> y_pred = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]])
    >>> round(circle([0, 0, 1, 1], y_pred, gamma=2.0, margin=0.25), 4)
    1.9747
    """
    _reduction(reduction)
    total = _circle_parts(y_true, y_pred, gamma, margin)[-1]
    losses = np.where(np.isfinite(total), np.logaddexp(0.0, total), 0.0)
    if reduction == "none":
        return losses
    counted = np.isfinite(total)
    return float(losses[counted].mean()) if counted.any() else 0.0


def circle_grad(y_true, y_pred, *, gamma=80.0, margin=0.4):
    """Gradient of the mean :func:`circle` with respect to ``y_pred``."""
    u, norms, cos, dist, positive, negative, neg_weight, pos_logits, neg_logits, total = _circle_parts(
        y_true, y_pred, gamma, margin
    )
    counted = np.isfinite(total)
    if not counted.any():
        return np.zeros_like(u)
    outer = np.where(counted, special.expit(np.where(counted, total, 0.0)), 0.0) / counted.sum()
    with np.errstate(invalid="ignore"):
        pos_share = np.where(positive & counted[:, None], special.softmax(pos_logits, axis=1), 0.0)
        neg_share = np.where(negative & counted[:, None], special.softmax(neg_logits, axis=1), 0.0)
    # d logit / d distance: 2 gamma d for a positive; -2 gamma (1 - d) for a negative whose weight is not clipped
    d_pos = 2.0 * gamma * dist
    d_neg = np.where(neg_weight > 0, -2.0 * gamma * (1.0 - dist), 0.0)
    g_dist = outer[:, None] * (pos_share * d_pos + neg_share * d_neg)
    g_cos = -g_dist * (1.0 - cos > 0)
    return _through_unit_rows(_mm(g_cos + g_cos.T, u), u, norms)


# --------------------------------------------------------------------------- views of digits


def augment(images, rng, *, shift=1, noise=0.1, side=8):
    """A random view of each flattened ``side`` x ``side`` image: shifted and with Gaussian noise.

    Each image moves by a whole number of pixels from -``shift`` to
    ``shift``, drawn independently down and across, with blank pixels
    coming in at the border; then noise of standard deviation ``noise`` is
    added to every pixel.

    Examples
    --------
    >>> image = np.zeros((1, 9)); image[0, 4] = 1.0  # a 3x3 image with one lit centre
    >>> view = augment(image, np.random.default_rng(0), noise=0.0, side=3)
    >>> int(view.sum()), view.shape
    (1, (1, 9))
    """
    x = as_float_array(images, "images")
    check_int(side, "side", low=1, example=8)
    if x.ndim != 2 or x.shape[1] != side * side:
        raise ValueError(
            f"`images` must have shape (n, {side * side}), one flattened {side}x{side} image per row; got {x.shape}. "
            "Pass side= for images of another size."
        )
    check_int(shift, "shift", low=0, high=side - 1, example=1)
    check_scalar(noise, "noise", low=0, example=0.1)
    n = x.shape[0]
    padded = np.pad(x.reshape(n, side, side), ((0, 0), (shift, shift), (shift, shift)))
    down, across = rng.integers(-shift, shift + 1, (2, n))
    rows = np.arange(side)[None, :] + shift - down[:, None]
    cols = np.arange(side)[None, :] + shift - across[:, None]
    moved = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return moved.reshape(n, -1) + noise * rng.standard_normal((n, side * side))


# --------------------------------------------------------------------------- a small embedding network


@dataclasses.dataclass
class Network:
    """A one-hidden-layer embedding network: ``embed(x) = relu(x W1 + b1) W2 + b2``.

    For cross-entropy a linear head ``W3, b3`` on top of the embedding gives
    the class logits; the embedding is then the network's penultimate layer.
    """

    weights: dict

    def embed(self, x):
        """The embeddings of the rows of ``x`` (not scaled to unit length)."""
        w = self.weights
        return np.maximum(x @ w["W1"] + w["b1"], 0.0) @ w["W2"] + w["b2"]


def _init(rng, n_in, hidden, dim, n_classes):
    def layer(fan_in, fan_out):  # He uniform
        limit = np.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, (fan_in, fan_out)), np.zeros(fan_out)

    w = {}
    w["W1"], w["b1"] = layer(n_in, hidden)
    w["W2"], w["b2"] = layer(hidden, dim)
    if n_classes:
        w["W3"], w["b3"] = layer(dim, n_classes)
    return w


def _backward(w, x, grad_e):
    """Gradients of the weights of the embedding part, given the gradient with respect to the embeddings of x."""
    pre = x @ w["W1"] + w["b1"]
    h = np.maximum(pre, 0.0)
    grad_h = (grad_e @ w["W2"].T) * (pre > 0)
    return {"W1": x.T @ grad_h, "b1": grad_h.sum(0), "W2": h.T @ grad_e, "b2": grad_e.sum(0)}


def _step_grads(loss, setting, w, x, y, rng, augmentation):
    """The loss's gradient with respect to every weight on one batch."""
    net = Network(w)
    if loss == "nt_xent":
        xa, xb = augment(x, rng, **augmentation), augment(x, rng, **augmentation)
        ga, gb = nt_xent_grad(net.embed(xa), net.embed(xb), temperature=setting)
        one, two = _backward(w, xa, ga), _backward(w, xb, gb)
        return {k: one[k] + two[k] for k in one}
    e = net.embed(x)
    if loss == "triplet":
        return _backward(w, x, triplet_grad(y, e, margin=setting, mining="semi-hard"))
    if loss == "circle":
        return _backward(w, x, circle_grad(y, e, margin=setting, gamma=80.0))
    logits = e @ w["W3"] + w["b3"]
    g = special.softmax(logits, axis=1)
    g[np.arange(y.size), y] -= 1.0
    g /= y.size
    grads = _backward(w, x, g @ w["W3"].T)
    grads["W3"], grads["b3"] = e.T @ g, g.sum(0)
    return grads


def train(
    loss, x, y, *, setting=None, learning_rate=0.01, epochs=30, batch_size=128, hidden=64, dim=16, seed=0, augmentation=None
):
    """Fit an embedding :class:`Network` with one of :data:`LOSSES` by Adam, in float64.

    Parameters
    ----------
    loss : {"nt_xent", "triplet", "circle", "crossentropy"}
        ``"nt_xent"`` ignores the labels and compares two :func:`augment`
        views of each image; ``"triplet"`` mines semi-hard negatives;
        ``"circle"`` uses Keras' ``gamma`` of 80; ``"crossentropy"`` trains
        a linear softmax head on the embedding.
    x, y : arrays
        Training images (rows) and their integer labels (any K distinct
        integers; cross-entropy's head numbers them 0..K-1 in order).
    setting : float
        The temperature of NT-Xent or the margin of the triplet and Circle
        losses; ignored by cross-entropy.
    seed : int
        Seeds the initial weights, the batches and the augmentations.

    Returns
    -------
    Network
    """
    if loss not in LOSSES:
        raise ValueError(f"`loss` must be one of {tuple(LOSSES)}; got {loss!r}.")
    if LOSSES[loss] and setting is None:
        raise ValueError(f"the {loss} loss needs its {LOSSES[loss]}: pass setting=, e.g. setting=0.2.")
    x = as_float_array(x, "x")
    y = np.unique(_labels(y, x.shape[0]), return_inverse=True)[1]  # classes numbered 0..K-1 in their order
    check_scalar(learning_rate, "learning_rate", low=0, low_open=True, example=0.01)
    check_int(epochs, "epochs", low=1, example=30)
    check_int(batch_size, "batch_size", low=2, example=128)
    rng = np.random.default_rng(seed)
    w = _init(rng, x.shape[1], hidden, dim, int(y.max()) + 1 if loss == "crossentropy" else 0)
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in w.items()}
    beta1, beta2, eps, t = 0.9, 0.999, 1e-8, 0
    for _ in range(epochs):
        order = rng.permutation(x.shape[0])
        for start in range(0, x.shape[0] - batch_size + 1, batch_size):
            rows = order[start : start + batch_size]
            grads = _step_grads(loss, setting, w, x[rows], y[rows], rng, augmentation or {})
            t += 1
            for k, g in grads.items():
                m, v = moments[k]
                m += (1 - beta1) * (g - m)
                v += (1 - beta2) * (g * g - v)
                w[k] -= learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return Network(w)


# --------------------------------------------------------------------------- scoring an embedding


def _scored(reference, y_reference, query, y_query):
    reference, query = _embeddings(reference, "reference"), _embeddings(query, "query")
    if reference.shape[1] != query.shape[1]:
        raise ValueError(
            f"`reference` and `query` must be embedded in the same space; got {reference.shape[1]} and "
            f"{query.shape[1]} columns. Embed both with the same network."
        )
    return (
        unit_rows(reference)[0],
        _labels(y_reference, reference.shape[0]),
        unit_rows(query)[0],
        _labels(y_query, query.shape[0]),
    )


def knn_accuracy(reference, y_reference, query, y_query, *, k=5):
    """Share of the ``query`` rows whose class is the majority class of their ``k`` nearest ``reference`` rows.

    Rows are scaled to unit length first, so that "nearest" means the
    largest cosine similarity; ties of the vote go to the smaller label
    (scikit-learn's ``KNeighborsClassifier``).
    """
    from sklearn.neighbors import KNeighborsClassifier

    check_int(k, "k", low=1, example=5)
    reference, y_reference, query, y_query = _scored(reference, y_reference, query, y_query)
    if k > reference.shape[0]:
        raise ValueError(f"`k` = {k} is more than the {reference.shape[0]} reference rows; pass a smaller k.")
    return float(KNeighborsClassifier(n_neighbors=k).fit(reference, y_reference).score(query, y_query))


def probe_accuracy(reference, y_reference, query, y_query):
    """Accuracy on ``query`` of a logistic regression (a linear probe) fitted on the ``reference`` rows.

    Rows are scaled to unit length first; the probe is scikit-learn's
    ``LogisticRegression`` with its default penalty, ``C=1``, fitted by
    Newton-CG, which reaches the same optimum as the default L-BFGS in a few
    steps on embeddings of a few dozen columns.
    """
    from sklearn.linear_model import LogisticRegression

    reference, y_reference, query, y_query = _scored(reference, y_reference, query, y_query)
    probe = LogisticRegression(solver="newton-cg", max_iter=1000).fit(reference, y_reference)
    return float(probe.score(query, y_query))
