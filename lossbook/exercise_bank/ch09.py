"""Exercises of chapter 9, multi-class classification losses in practice."""

import numpy as np
import scipy.special

from lossbook.exercises.model import Case, Exercise, Mistake


def _log_sum_exp(logits):
    return scipy.special.logsumexp(logits, axis=1)


def _picked(labels, values):
    return values[np.arange(len(labels)), labels]


def _one_shift(labels, logits):
    """The loss with one maximum, the whole array's, subtracted: -inf where a row lies far below it."""
    top = logits.max()
    with np.errstate(divide="ignore"):
        log_sum = top + np.log(np.sum(np.exp(logits - top), axis=1))
    return np.mean(log_sum - _picked(labels, logits))


def _floored(labels, logits, eps=1e-7):
    p = scipy.special.softmax(logits, axis=1)
    return -np.mean(np.log(np.clip(_picked(labels, p), eps, 1.0)))


EXERCISES = [
    Exercise(
        label="ex-09-cce-logits",
        kind="implement",
        function="sparse_cce_from_logits",
        title="Sparse cross-entropy from the logits",
        statement=r"""
Write `sparse_cce_from_logits(labels, logits)`: the mean categorical
cross-entropy, in nats, of integer labels $0, \dots, K-1$ (an array of
length $n$) and a 2-D array of logits of shape $(n, K)$, computed as Keras
does for a softmax output with the TensorFlow backend, from the logits and
with no floor:
$-\log p_{i, t_i} = \log \sum_c e^{z_{ic}} - z_{i, t_i}$. It must stay
finite for logits as large as 1000. The check cell first prints what
`losses.sparse_categorical_crossentropy(..., from_logits=True)` gives for the
untrained network's logits; your function should give the same on them.
""",
        points=3,
        explanation=r"""
`logits[np.arange(n), labels]` picks each example's logit of its own class,
as the probability was picked in {doc}`05_losses_from_scratch`. The
log-sum-exp needs care: `np.exp(1000)` overflows to infinity. Subtracting
each row's largest logit $m$ first, $\log \sum_c e^{z_c} = m + \log \sum_c
e^{z_c - m}$, keeps every exponent at or below 0 and changes nothing else;
`special.logsumexp(logits, axis=1)` does the same. Computing the softmax
probabilities first and clipping them at $10^{-7}$ would avoid the infinity
too, but then a confidently wrong example costs at most 16.118 nats, the
floor of the KL divergence that made its run start differently.
""",
        solution='''\
def sparse_cce_from_logits(labels, logits):
    """Mean cross-entropy of integer labels 0..K-1, computed from the logits without overflow."""
    top = logits.max(axis=1, keepdims=True)
    log_sum = top[:, 0] + np.log(np.sum(np.exp(logits - top), axis=1))
    return np.mean(log_sum - logits[np.arange(len(labels)), labels])
''',
        lead=r"""
untrained_cce = losses.sparse_categorical_crossentropy(split.y_train, logits, from_logits=True)
print(f"lossbook on the untrained network's logits: {untrained_cce:.3f}")
""",
        cases=(
            Case(
                (np.array([0, 1, 2]), np.array([[2.0, 1.0, 0.0], [0.5, 2.5, -1.0], [0.0, 0.0, 1.0]])),
                note="three examples with moderate logits",
            ),
            Case(
                (np.array([0, 2]), np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])),
                note="logits of 1000, where np.exp overflows",
            ),
            Case(
                (np.array([0]), np.array([[0.0, 30.0, 0.0]])),
                note="confidently wrong: the true class has probability about 1e-13",
            ),
            Case((np.array([1, 0]), np.array([[0.5, -0.5], [2.0, 1.0]])), note="two classes"),
            Case((np.array([2, 2, 1, 0]), np.array([[0.1, -0.4, 1.3], [2.2, 0.3, -0.7], [-1.0, 0.8, 0.2], [0.0, 1.5, -2.0]]))),
            Case(
                (np.array([0, 1]), np.array([[1000.0, 0.0, -1000.0], [0.5, 2.5, -1.0]])),
                note="a row of logits near 1000 beside a row of small ones: each row needs its own maximum",
            ),
        ),
        hints=(
            "For example i the loss is -log p[i, t_i] with p = softmax(z), and -log of a softmax is "
            "log(sum_c exp(z_ic)) - z_i,t_i. Pick z_i,t_i with logits[np.arange(n), labels].",
            "np.exp(1000) overflows to inf. Subtract each row's largest logit before exponentiating and add it "
            "back after the logarithm: log(sum_c exp(z_c)) = m + log(sum_c exp(z_c - m)) with m = max_c z_c. "
            "special.logsumexp(logits, axis=1) does the same.",
            "Average the per-example losses over the examples with np.mean. No clipping is needed: nothing "
            "takes the logarithm of a tiny probability.",
        ),
        common=("log base", "sign", "sum"),
        mistakes=(
            Mistake(
                "Every example is capped at -log(1e-7) = 16.118: you clipped the probabilities, as the KL "
                "divergence of this chapter does. From the logits no floor is needed: "
                "-log p_t = log(sum_c exp(z_c)) - z_t is exact however small p_t is.",
                lambda expected, labels, logits: _floored(labels, logits),
            ),
            Mistake(
                "Labels in the wrong set: the labels are already column numbers 0..K-1. Subtracting 1 "
                "picks the wrong logit, and label 0 becomes -1, the last column.",
                lambda expected, labels, logits: np.mean(_log_sum_exp(logits) - _picked(labels - 1, logits)),
            ),
            Mistake(
                "logits[:, labels] picks whole columns, an n x n array. Pick one entry per row: logits[np.arange(n), labels].",
                lambda expected, labels, logits: np.mean(_log_sum_exp(logits)[:, None] - logits[:, labels]),
            ),
            Mistake(
                "The largest logit alone is not log(sum_c exp(z_c)): subtract it inside the exponentials "
                "and add it back, m + log(sum_c exp(z_c - m)).",
                lambda expected, labels, logits: np.mean(logits.max(axis=1) - _picked(labels, logits)),
            ),
            Mistake(
                "-z_t alone leaves out the normalisation: the loss is log(sum_c exp(z_c)) - z_t.",
                lambda expected, labels, logits: -np.mean(_picked(labels, logits)),
            ),
            Mistake(
                "One maximum for the whole array is not enough: a row whose logits lie far below it has "
                "exp(z_c - m) = 0 for every class, and log 0 = -inf. Subtract each row's own maximum, "
                "logits.max(axis=1, keepdims=True).",
                lambda expected, labels, logits: _one_shift(labels, logits),
            ),
        ),
        nonfinite_hint=(
            "np.exp overflows for a logit of 1000: exp(1000) is inf, and inf / inf is nan. Subtract each row's "
            "largest logit before exponentiating (the softmax does not change), or use special.logsumexp."
        ),
    ),
    Exercise(
        label="ex-09-label-memory",
        kind="by hand",
        function="label_memory_by_hand",
        title="The memory of the labels, by hand",
        statement=r"""
A training set has $n = 50{,}000$ images of $K = 100$ classes. Work out by
hand how many megabytes (1 MB = $10^6$ bytes, as in the chapter's table)
its labels take as one-hot rows in float32, and as integer labels in int64.
Return the pair, `(one_hot_mb, int64_mb)`, from `label_memory_by_hand()`
(the check accepts values within 1 %), run the check, and compare with the computation in the cell after it.
""",
        explanation=r"""
One-hot rows store $nK = 5{,}000{,}000$ numbers of 4 bytes each:
$20{,}000{,}000$ bytes, 20 MB. Integer labels store $n = 50{,}000$ numbers of
8 bytes each: $400{,}000$ bytes, 0.4 MB, whatever $K$ is. The one-hot rows
take $4K / 8 = K / 2 = 50$ times as much.
""",
        solution='''\
def label_memory_by_hand():
    """(one-hot float32 labels, int64 labels) of 50,000 examples and 100 classes, in MB; by hand."""
    return (20.0, 0.4)
''',
        demo=r"""
image_labels = np.random.default_rng(0).integers(0, 100, size=50_000).astype(np.int64)
image_one_hot = data.one_hot(image_labels, 100)
print(f"one-hot {image_one_hot.dtype}, shape {image_one_hot.shape}: {image_one_hot.nbytes / 1e6:.1f} MB; "
      f"{image_labels.dtype}: {image_labels.nbytes / 1e6:.1f} MB; ratio {image_one_hot.nbytes / image_labels.nbytes:.0f}")
""",
        cases=(Case(),),
        rtol=0.01,
        atol=1e-3,
        hints=(
            "A float32 number takes 4 bytes and an int64 number 8. One-hot labels store K numbers per "
            "example, integer labels one.",
            "One-hot: 4 * n * K bytes; integer labels: 8 * n bytes. Divide by 10^6 for megabytes.",
        ),
        mistakes=(
            Mistake(
                "Those are bits, not bytes: a float32 takes 4 bytes (32 bits), an int64 8 bytes.", lambda expected: (160.0, 3.2)
            ),
            Mistake(
                "That counts numbers, not bytes: multiply by 4 bytes per float32 and 8 per int64.", lambda expected: (5.0, 0.05)
            ),
            Mistake("int64 takes 8 bytes per label (0.2 MB would be int32).", lambda expected: (20.0, 0.2)),
            Mistake("The one-hot rows are float32, 4 bytes per number (40 MB would be float64).", lambda expected: (40.0, 0.4)),
            Mistake(
                "Those are mebibytes (2^20 bytes); the chapter's MB is 10^6 bytes.",
                lambda expected: (20e6 / 2**20, 0.4e6 / 2**20),
            ),
            Mistake("The two values are the wrong way round: one-hot first, then int64.", lambda expected: (0.4, 20.0)),
        ),
    ),
    Exercise(
        label="ex-09-smoothed-gap",
        kind="predict",
        function="smoothed_gap",
        title="Cross-entropy minus KL for smoother targets",
        statement=r"""
With label smoothing $\varepsilon = 0.1$, the cross-entropy of the trained
model's test predictions exceeded their KL divergence by 0.2911 nats. Now
smooth the one-hot test labels with $\varepsilon = 0.2$ instead, and score
the predictions of the *untrained* network of the previous section, many of
them confidently wrong. Predict the gap, cross-entropy minus KL divergence, in nats and to two
decimals (the check accepts answers within 0.01). Return it from
`smoothed_gap()`, run the check, and then the experiment in the cell after it, which scores the trained and the untrained network's predictions with lossbook.
""",
        explanation=r"""
$H(y, p) - \mathrm{KL}(y \,\|\, p) = H(y)$, the entropy of the target row,
which does not involve the predictions: the untrained network gives the same
gap as the trained one. With $\varepsilon = 0.2$ and $K = 3$ each row holds
$0.8 + 0.2/3 = 0.867$ at the true class and $0.2/3 = 0.067$ at the others, so
$H(y) = -0.867 \log 0.867 - 2 \cdot 0.067 \log 0.067 = 0.124 + 2 \cdot 0.181 = 0.485$
nats. More smoothing gives flatter rows and a larger entropy, but not in
proportion: doubling $\varepsilon$ does not double the 0.2911.
""",
        solution='''\
def smoothed_gap():
    """Cross-entropy minus KL divergence, in nats, for targets smoothed with 0.2; to two decimals."""
    return 0.485
''',
        demo=r"""
y_soft_02 = 0.8 * y_hot + 0.2 / 3
p_untrained = keras.ops.convert_to_numpy(fresh.predict(split.x_test, verbose=0))
for name, p in [("trained model", p_test), ("untrained network", p_untrained)]:
    ce, kld = losses.categorical_crossentropy(y_soft_02, p), losses.kl_divergence(y_soft_02, p)
    print(f"{name:17}: cross-entropy {ce:.4f} - KL {kld:.4f} = {ce - kld:.4f}")
row_terms = special.entr(y_soft_02[0])
print(f"a smoothed row: {np.round(np.sort(y_soft_02[0])[::-1], 3)}; -y log y: {np.round(np.sort(row_terms)[::-1], 3)}; "
      f"H(y) = {row_terms.sum():.4f}")
""",
        cases=(Case(),),
        atol=0.01,
        hints=(
            "KL(y || p) = H(y, p) - H(y), so the gap is H(y): it involves the targets only. How good the "
            "predictions are does not matter.",
            "With smoothing 0.2 over K = 3 classes each row is (0.867, 0.067, 0.067), in some order. Its "
            "entropy is -sum_c y_c log y_c, in nats (special.entr(row).sum() computes it).",
        ),
        common=("log base",),
        mistakes=(
            Mistake(
                "0.2911 nats is the gap for smoothing 0.1. With 0.2 the rows are flatter, and their entropy is larger.",
                lambda expected: 0.2911,
            ),
            Mistake("Smoothed rows are not one-hot: their entropy H(y), and with it the gap, is positive.", lambda expected: 0.0),
            Mistake(
                "The entropy does not grow in proportion to the smoothing: twice 0.2911 overshoots. "
                "Work out -sum_c y_c log y_c for the row (0.867, 0.067, 0.067).",
                lambda expected: 2 * 0.2911,
            ),
        ),
    ),
]
