"""Exercises of chapter 17, losses that learn an embedding."""

import numpy as np
from scipy import special

from lossbook.exercises.model import Case, Exercise, Mistake

_QUERIES = np.array([[1.0, 0.0], [0.0, 1.0]])
_KEYS = np.array([[0.6, 0.8], [0.0, 1.0]])


def _info_nce(queries, keys, temperature):
    """Mean InfoNCE of unit rows: row i of keys is the positive of row i of queries."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    k = keys / np.linalg.norm(keys, axis=1, keepdims=True)
    logits = q @ k.T / temperature
    return float(-np.mean(np.diag(special.log_softmax(logits, axis=1))))


def _views(seed, n, d, scale=1.0):
    """Two views of n examples in d dimensions: the second near the first, with rows of unequal length."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, d))
    b = a + 0.5 * rng.normal(size=(n, d))
    lengths = scale * rng.uniform(0.5, 3.0, size=(n, 1))
    return a * lengths, b * lengths[::-1]


def _nt_xent(view_a, view_b, temperature, *, unit=True, mask=True, both=True):
    """NT-Xent with switches for the usual mistakes: no unit rows, no mask of the diagonal, one view only."""
    z = np.vstack([view_a, view_b])
    if unit:
        z = z / np.linalg.norm(z, axis=1, keepdims=True)
    logits = z @ z.T / temperature
    if mask:
        np.fill_diagonal(logits, -np.inf)
    n = len(view_a)
    partner = np.r_[np.arange(n, 2 * n), np.arange(n)]
    losses = -special.log_softmax(logits, axis=1)[np.arange(2 * n), partner]
    return float(losses.mean() if both else losses[:n].mean())


def _info_nce_across(view_a, view_b, temperature):
    """InfoNCE from view a to view b and back, averaged: negatives from the other view only."""
    return (_info_nce(view_a, view_b, temperature) + _info_nce(view_b, view_a, temperature)) / 2


EXERCISES = [
    Exercise(
        label="ex-17-info-nce",
        kind="by hand",
        function="info_nce_by_hand",
        title="InfoNCE by hand",
        statement=r"""
A batch holds two images. Their queries are $q_1 = (1, 0)$ and
$q_2 = (0, 1)$ and their keys $k_1 = (0.6, 0.8)$ and $k_2 = (0, 1)$, all of
length 1; key $i$ is the positive of query $i$. By hand (a calculator for
$e^x$ and $\log$ is fine), work out the mean InfoNCE loss over the two
queries at temperature $\tau = 0.5$: for each query, minus the log of the
softmax, over the two keys, of the cosine similarities divided by $\tau$, at
its own key. Return it from `info_nce_by_hand()`, run the check, and then
the cell after it, which computes it with `lossbook.embedding`.
""",
        explanation=r"""
The cosine similarities are the dot products: $q_1$ gives $0.6$ with its own
key and $0$ with the other, $q_2$ gives $1$ with its own and $0.8$ with
$k_1$. Divided by $\tau = 0.5$ they are $(1.2, 0)$ and $(1.6, 2)$, and

$$
\ell_1 = \log\bigl(1 + e^{0 - 1.2}\bigr) \approx 0.2633, \qquad
\ell_2 = \log\bigl(1 + e^{1.6 - 2}\bigr) \approx 0.5130,
$$

whose mean is about 0.3881. The second query is closer to its own key than
the first is, yet it pays more: its negative, $k_1$, is almost as close.
The loss rewards a gap between the positive and the negatives, not
closeness alone.
""",
        solution='''\
def info_nce_by_hand():
    """Mean InfoNCE of the queries (1, 0), (0, 1) against the keys (0.6, 0.8), (0, 1), temperature 0.5."""
    first = np.log(1 + np.exp(0 - 1.2))  # logits (1.2, 0), its own key first
    second = np.log(1 + np.exp(1.6 - 2.0))  # logits (1.6, 2), its own key second
    return (first + second) / 2
''',
        demo=r"""
q_demo, k_demo = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.6, 0.8], [0.0, 1.0]])
print(f"lossbook: mean {embedding.info_nce(q_demo, k_demo, temperature=0.5):.4f}, per query "
      f"{np.round(embedding.info_nce(q_demo, k_demo, temperature=0.5, reduction='none'), 4)}")
""",
        cases=(Case(),),
        atol=0.002,
        common=("sum", "log base"),
        examples=2,
        hints=(
            "The cosine similarity of two vectors of length 1 is their dot product: q1 . k1 = 0.6.",
            "Query 2's logits are (0.8 / 0.5, 1 / 0.5) = (1.6, 2); its loss is -log(e^2 / (e^1.6 + e^2)).",
        ),
        mistakes=(
            Mistake(
                "That leaves out the temperature: divide each similarity by 0.5 before the softmax.",
                lambda expected: _info_nce(_QUERIES, _KEYS, 1.0),
            ),
            Mistake(
                "That compares each key with the queries (the columns of the similarity matrix); the loss "
                "asks each query to pick its key out of the keys.",
                lambda expected: _info_nce(_KEYS, _QUERIES, 0.5),
            ),
            Mistake("The denominator must hold the positive too: the softmax runs over all the keys.", lambda expected: -0.8),
        ),
    ),
    Exercise(
        label="ex-17-nt-xent",
        kind="implement",
        function="nt_xent_loss",
        title="NT-Xent in NumPy",
        statement=r"""
Implement SimCLR's NT-Xent as `nt_xent_loss(view_a, view_b, temperature)`:
`view_a` and `view_b` are arrays of shape (n, d), row $i$ of each an
embedding of a view of example $i$. Scale the $2n$ rows to length 1; for
each row, the positive is the other view of its example and the negatives
are the other $2n - 2$ rows (never the row itself). Return the mean, over
the $2n$ rows, of minus the log of the softmax of the cosine similarities
divided by `temperature` at the positive. Run the check, and then the cell
after it, which prints `embedding.nt_xent` on views of the chapter's digits
and on the check's first case.
""",
        explanation=r"""
Stack the two views into one array of $2n$ rows and divide each row by its
length. The matrix of all dot products, divided by the temperature, holds
every logit; set its diagonal to $-\infty$ so that no row counts itself
among its negatives. Row $i \le n$ has its positive at $i + n$ and row
$i + n$ at $i$. `scipy.special.log_softmax` along each row gives the log
probabilities without overflow at a small temperature; pick each row's
entry at its positive and average with a minus sign. Without the scaling to
length 1, long rows would win by their length; without the mask, every row
would be its own best match, at similarity 1.
""",
        solution='''\
def nt_xent_loss(view_a, view_b, temperature):
    """Mean NT-Xent of two views of a batch, rows scaled to unit length."""
    from scipy import special

    z = np.vstack([view_a, view_b])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    logits = z @ z.T / temperature
    np.fill_diagonal(logits, -np.inf)
    n = len(view_a)
    partner = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
    log_p = special.log_softmax(logits, axis=1)
    return -np.mean(log_p[np.arange(2 * n), partner])
''',
        demo=r"""
rng_demo = np.random.default_rng(3)
net_demo = embedding.train("nt_xent", *digits(0)["train"], setting=0.3, learning_rate=0.01, epochs=1, seed=0)
x_demo = digits(0)["train"][0][:6]  # six digits, two random views of each
a_demo, b_demo = (net_demo.embed(embedding.augment(x_demo, rng_demo)) for _ in range(2))
print(f"lossbook's NT-Xent of six digits' views at temperature 0.3: {embedding.nt_xent(a_demo, b_demo, temperature=0.3):.6f}")
print(f"and of the check's first case: {embedding.nt_xent(np.eye(2), np.eye(2), temperature=1.0):.6f}")
""",
        cases=(
            Case(
                (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), 1.0),
                note="two examples whose two views agree, temperature 1",
            ),
            Case((*_views(1, 3, 4), 0.5), note="three examples in four dimensions, rows of unequal length"),
            Case((*_views(2, 4, 3, scale=5.0), 0.1), note="a small temperature and long rows"),
            Case((*_views(3, 5, 2), 2.0), note="five examples in two dimensions, temperature 2"),
            Case(
                (np.array([[2.0, 1.0]]), np.array([[-1.0, 3.0]]), 0.7),
                note="one example: its other view is the only other row, so the loss is 0",
            ),
            Case(
                (np.array([[3.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 0.2], [0.5, 2.0], [-1.0, 1.0]]), 0.25),
                note="three examples, one view far from its partner",
            ),
        ),
        rtol=1e-6,
        common=("sum",),
        hints=(
            "Stack the views with np.vstack, divide each row by np.linalg.norm(z, axis=1, keepdims=True), and "
            "take z @ z.T / temperature.",
            "Set the diagonal to -np.inf with np.fill_diagonal; row i's positive is row i + n, and row i + n's "
            "is row i. Use scipy.special.log_softmax(logits, axis=1).",
        ),
        mistakes=(
            Mistake(
                "The rows must be scaled to length 1 first: the loss compares directions (cosine "
                "similarities), not dot products.",
                lambda expected, a, b, t: _nt_xent(a, b, t, unit=False),
            ),
            Mistake(
                "The diagonal must be masked (set to -inf): a row is not its own negative.",
                lambda expected, a, b, t: _nt_xent(a, b, t, mask=False),
            ),
            Mistake(
                "That averages over the rows of view a only; NT-Xent averages over all 2n rows.",
                lambda expected, a, b, t: _nt_xent(a, b, t, both=False),
            ),
            Mistake(
                "That takes the negatives from the other view only, as InfoNCE does; NT-Xent also counts "
                "the other rows of the same view as negatives.",
                lambda expected, a, b, t: _info_nce_across(a, b, t),
            ),
        ),
    ),
    Exercise(
        label="ex-17-triplet-worst",
        kind="predict",
        function="worst_triplet",
        title="The largest triplet loss",
        statement=r"""
The chapter's triplet loss scales the embeddings to length 1 and compares
squared distances, with the margin the chapter chose for it, $\alpha = 0.1$.
Predict the largest value the loss of one triplet
$\max(0, \lVert u_a - u_p \rVert^2 - \lVert u_a - u_n \rVert^2 + \alpha)$
can take, whatever the three embeddings. Return it from `worst_triplet()`,
run the check, and then the cell after it, which builds that triplet.
""",
        explanation=r"""
On the sphere of radius 1 two points are at most 2 apart, so a squared
distance lies between 0 and 4. The loss is largest when the positive sits
opposite the anchor, $\lVert u_a - u_p \rVert^2 = 4$, and the negative on
top of it, $\lVert u_a - u_n \rVert^2 = 0$: $4 - 0 + 0.1 = 4.1$. Without the
scaling to length 1 there would be no largest value; with distances rather
than squared distances it would be $2.1$. The bound is one reason the
margin is read on the scale of 4: a margin of 0.1 asks for little.
""",
        solution='''\
def worst_triplet():
    """Largest triplet loss of unit embeddings, squared distances, margin 0.1."""
    return 4.0 - 0.0 + 0.1
''',
        demo=r"""
worst_demo = np.array([[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0]])  # anchor, positive opposite it, negative on it
losses_demo = embedding.triplet([0, 0, 1], worst_demo, margin=0.1, reduction="none")
print(f"the loss of the triplet with anchor 0, positive 1, negative 2: {losses_demo[0]:.2f}")
""",
        cases=(Case(),),
        atol=0.001,
        hints=(
            "Two points at distance 1 from the origin are at most 2 apart: how large can a squared distance be?",
            "Put the positive opposite the anchor and the negative on top of it.",
        ),
        mistakes=(
            Mistake(
                "That uses distances, at most 2; the chapter's loss compares squared distances, at most 4.", lambda expected: 2.1
            ),
            Mistake(
                "That leaves out the margin, which is added when the positive is far and the negative near.", lambda expected: 4.0
            ),
            Mistake("That is the margin alone, the loss of a triplet whose two distances are equal.", lambda expected: 0.1),
        ),
    ),
    Exercise(
        label="ex-17-read-k",
        kind="read a plot",
        function="pca_accuracy_at_25",
        title="Reading the neighbours figure",
        statement=r"""
In {numref}`fig-17-k`, find the line of the PCA baseline. Read its kNN
accuracy on the held-out digits at $k = 25$ neighbours, return it from
`pca_accuracy_at_25()` (the check accepts readings within 0.01), and run the
check.
""",
        explanation=r"""
The PCA line (purple) falls from about 0.97 at $k = 1$ to about 0.915 at
$k = 25$, between the grid lines at 0.90 and 0.92. With 25 neighbours out of
the 266 reference images, a query's vote reaches into the far parts of its
class and into the neighbouring classes, and every embedding loses there;
PCA's 16 directions, fitted on the seen digits, lose more than the 64 pixels,
whose line falls less. The next cell prints the exact value.
""",
        solution='''\
def pca_accuracy_at_25():
    """kNN accuracy of the PCA embedding on the held-out digits with 25 neighbours, read from the figure."""
    return 0.915
''',
        demo=r"""
print(f"PCA, k = 25: {BY_K['PCA'][KS.index(25)]:.4f}; PCA, k = 1: {BY_K['PCA'][KS.index(1)]:.4f}; "
      f"pixels, k = 25: {BY_K['pixels'][KS.index(25)]:.4f}")
""",
        cases=(Case(),),
        atol=0.01,
        hints=(
            "Find the purple line labelled PCA and follow it to the right end, at k = 25.",
            "Read its height on the vertical axis, between the grid lines at 0.90 and 0.92.",
        ),
        mistakes=(
            Mistake(
                "That is the PCA line at k = 1, the left end; the question asks for k = 25, the right end.",
                lambda expected: 0.973,
            ),
            Mistake("That is the pixels' line (brown), the top one; PCA is the purple one below it.", lambda expected: 0.966),
            Mistake("That is one of the networks' lines near 0.86; PCA is the purple one, above them.", lambda expected: 0.86),
        ),
    ),
]
