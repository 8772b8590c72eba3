"""Exercises of chapter 5, implementing losses from scratch."""

import numpy as np
import scipy.special

from lossbook.exercises.model import Case, Exercise, Mistake

_P3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
_P4 = np.array([[0.25, 0.6, 0.15], [0.3, 0.5, 0.2], [0.8, 0.1, 0.1], [0.05, 0.15, 0.8]])


def _picked(labels, p, eps=1e-7):
    return np.clip(p[np.arange(len(labels)), labels], eps, 1 - eps)


def _sigmoid(z):
    return scipy.special.expit(z)


EXERCISES = [
    Exercise(
        label="ex-05-sparse-cce",
        kind="implement",
        function="sparse_cce",
        title="Sparse categorical cross-entropy",
        statement=r"""
Write `sparse_cce(labels, p, eps=1e-7)`: the mean categorical cross-entropy,
in nats, of integer labels $0, \dots, K-1$ (an array of length $n$) against
rows of predicted probabilities `p` (shape $(n, K)$). Clip the probabilities
into $[\epsilon, 1 - \epsilon]$ as Keras does, so that a probability of
exactly 0 gives a large but finite loss. Compare your function with
`losses.sparse_categorical_crossentropy` before you run the check.
""",
        points=3,
        explanation=r"""
Each example's loss is $-\log p_{i, y_i}$, the predicted probability of its
own class. `p[np.arange(n), labels]` picks those $n$ entries in one step (not
`p[:, labels]`, which picks whole columns); clipping comes before the
logarithm, and the mean over examples comes last. The labels are column
numbers already: shifting them by one is the mistake of the write-up that
numbered its classes 1, 2, 3.
""",
        solution='''\
def sparse_cce(labels, p, eps=1e-7):
    """Mean categorical cross-entropy of integer labels 0..K-1 and rows of probabilities p."""
    p_true = np.clip(p[np.arange(len(labels)), labels], eps, 1 - eps)
    return -np.mean(np.log(p_true))
''',
        lead=r"""
print(f"lossbook on the chapter's shifted labels: {losses.sparse_categorical_crossentropy(labels_123 - 1, p_renormalised):.4f}")
""",
        cases=(
            Case((np.array([0, 1, 2]), _P3), note="one example of each of three classes"),
            Case((np.array([2, 0]), np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))),
            Case((np.array([1]), np.array([[0.3, 0.7]])), note="two classes work too"),
            Case((np.array([0, 1]), np.array([[0.0, 1.0], [0.5, 0.5]])), note="probability exactly 0 on the true class"),
            Case((np.array([1, 1, 0, 2]), _P4)),
            Case(
                (np.array([1, 0]), np.array([[0.0, 1.0], [1.0, 0.0]])),
                note="probability exactly 1 on the true class, which clipping lowers to 1 - eps",
            ),
        ),
        hints=(
            "For example i the loss is -log p[i, labels[i]]: the predicted probability of its own class. "
            "p[np.arange(n), labels] picks those n entries at once.",
            "Clip the picked probabilities into [eps, 1 - eps] with np.clip before np.log, then average "
            "over the examples with np.mean.",
        ),
        common=("log base", "sign", "sum"),
        mistakes=(
            Mistake(
                "Labels in the wrong set: the labels are already column numbers 0..K-1, so use them as "
                "they are. Subtracting 1 (as for labels numbered from 1) picks the wrong column, and "
                "label 0 becomes -1, the last column.",
                lambda expected, labels, p: -np.mean(np.log(_picked(labels - 1, p))),
            ),
            Mistake(
                "p[:, labels] picks whole columns for every example (an n x n array). Pick one entry "
                "per row instead: p[np.arange(n), labels].",
                lambda expected, labels, p: -np.mean(np.log(np.clip(p[:, labels], 1e-7, 1 - 1e-7))),
            ),
            Mistake(
                "Clip from above too: np.clip(p_true, eps, 1 - eps). A probability of exactly 1 becomes "
                "1 - eps, as in Keras, so even a certain right answer costs about eps nats, not 0.",
                lambda expected, labels, p: -np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-7, None))),
            ),
            Mistake(
                "Wrong axis or reduction: np.mean over the whole n x K array divides by K as well. "
                "Sum over the classes (axis=1) first, then average over the examples.",
                lambda expected, labels, p: expected / p.shape[1],
            ),
        ),
        nonfinite_hint=(
            "No clipping: a probability of exactly 0 on the true class gives log(0) = -inf. Clip the "
            "probabilities into [eps, 1 - eps] with np.clip before taking the logarithm."
        ),
    ),
    Exercise(
        label="ex-05-logit-grad",
        kind="implement",
        function="bce_logit_grad",
        title="The gradient with respect to the logits",
        statement=r"""
Write `bce_logit_grad(y, z)`: the gradient of the mean binary cross-entropy
$\frac{1}{n} \sum_i \ell(y_i, z_i)$ with respect to the logits, for arrays of
0/1 labels `y` and logits `z` of the same length. It must stay finite for
logits of any size. Check your function against `optim.numerical_gradient`
and `losses.binary_crossentropy_grad(y, z, from_logits=True)` first.
""",
        points=2,
        explanation=r"""
This chapter derived the answer: component $i$ is $(\sigma(z_i) - y_i) / n$.
`scipy.special.expit` computes $\sigma$ without overflow; the literal
`1 / (1 + np.exp(-z))` gives the right values too, but warns about an
overflow for large negative logits. Differentiating only the $y$ term gives
$-y(1 - \sigma(z))/n$, which is zero for every example of class 0.
""",
        solution='''\
def bce_logit_grad(y, z):
    """Gradient of the mean binary cross-entropy with respect to the logits z."""
    return (scipy.special.expit(z) - y) / len(z)
''',
        cases=(
            Case((np.array([1.0, 0.0]), np.array([0.0, 0.0])), note="logits of 0, where the sigmoid is 1/2"),
            Case((np.array([1.0, 0.0, 1.0, 0.0]), np.array([2.0, -1.0, -0.5, 0.3]))),
            Case((np.array([1.0, 0.0]), np.array([1000.0, -1000.0])), note="huge logits on the right side"),
            Case((np.array([0.0, 1.0]), np.array([1000.0, -1000.0])), note="huge logits on the wrong side"),
            Case((np.array([1.0]), np.array([-3.0])), note="a single example"),
        ),
        hints=(
            "For one example the derivative of y log(1 + e^-z) + (1 - y) log(1 + e^z) is sigmoid(z) - y. "
            "The mean over n examples divides each component by n.",
            "scipy.special.expit(z) is the sigmoid without overflow warnings for large |z|; "
            "(scipy.special.expit(z) - y) / len(z) is the whole answer.",
        ),
        common=("sign", "sum"),
        mistakes=(
            Mistake(
                "The (1 - y) term is missing: you differentiated only y log(1 + e^-z). The (1 - y) "
                "log(1 + e^z) term adds (1 - y) sigmoid(z), and together they give sigmoid(z) - y.",
                lambda expected, y, z: -y * (1 - _sigmoid(z)) / len(z),
            ),
            Mistake(
                "The sigmoid is missing: the gradient is sigmoid(z) - y, not z - y.", lambda expected, y, z: (z - y) / len(z)
            ),
        ),
    ),
    Exercise(
        label="ex-05-cap",
        kind="by hand",
        function="clipped_loss_by_hand",
        title="The price of a certain mistake, by hand",
        statement=r"""
A model predicts $p = 0$ exactly for an example of class 1. The chapter
worked out what Keras reports for it with its clipping constant $10^{-7}$.
Suppose the probabilities were clipped into $[10^{-5}, 1 - 10^{-5}]$ instead.
Work out by hand the binary cross-entropy of that example, in nats, and return
it, to three decimals, from `clipped_loss_by_hand()`. Then run the check, and
compare with the computation in the cell after it.
""",
        explanation=r"""
Clipping turns $p = 0$ into $\epsilon = 10^{-5}$, so the loss is
$-\log 10^{-5} = 5 \log 10 = 5 \times 2.3026 = 11.513$ nats. With the
logarithm to base 10 the same expression would be 5, and without clipping it
would be infinite. The cap is $-\log \epsilon$ for any $\epsilon$: a larger
constant caps a confident mistake lower.
""",
        solution='''\
def clipped_loss_by_hand():
    """The loss, in nats, that clipping at 1e-5 gives y = 1, p = 0; worked out by hand."""
    return 11.513
''',
        demo=r"""
clipped = np.clip(np.array([0.0]), 1e-5, 1 - 1e-5)
print(f"log 10 = {np.log(10):.4f}; -log(1e-5) = {-np.log(1e-5):.3f}; "
      f"lossbook's formula on the clipped p: {losses.binary_crossentropy(np.array([1.0]), clipped):.3f}")
""",
        cases=(Case(),),
        atol=0.01,
        hints=(
            "Clipping replaces p = 0 by eps = 1e-5, so the loss is -log(1e-5).",
            "-log(10^-5) = 5 log(10) in any base; the natural log of 10 is 2.3026.",
        ),
        common=("log base",),
        mistakes=(
            Mistake(
                "A loss of 0 belongs to a confident correct prediction; here p = 0 is confidently wrong for y = 1.",
                lambda expected: 0.0,
            ),
        ),
        nonfinite_hint=(
            "No clipping: without it -log(0) is infinite. Here p is first clipped into [1e-5, 1 - 1e-5]: "
            "what is -log of the clipped value?"
        ),
    ),
    Exercise(
        label="ex-05-missing-term",
        kind="predict",
        function="predicted_q",
        title="Training without the (1 - y) term",
        statement=r"""
A model that predicts one probability $q = \sigma(b)$ for every example (the
Bernoulli model of {doc}`02_maximum_likelihood`) is trained by gradient
descent on its logit $b$, on 100 labels of which 30 are ones. The loss is the
from-scratch version that forgets a term, $-\frac{1}{n} \sum_i y_i \log q$.
Predict $q$ after 5000 steps, to two decimals. Return your prediction from
`predicted_q()`, run the check, and then the experiment in the cell after it, which trains with the full and with the broken loss.
""",
        explanation=r"""
Without the $(1 - y)$ term the 70 examples of class 0 add nothing to the loss,
and $-\frac{30}{100} \log q$ only decreases as $q$ grows: its derivative with
respect to $b$, $-0.3\,(1 - q)$, is negative for every $q < 1$. Gradient
descent raises $q$ for as long as it runs, towards 1. The full loss stops at
the fraction of ones, 0.3, its maximum-likelihood estimate.
""",
        solution='''\
def predicted_q():
    """The probability q after 5000 steps on the loss without the (1 - y) term, to two decimals."""
    return 1.0
''',
        demo=r"""
labels_30 = np.repeat([1.0, 0.0], [30, 70])


def descend(grad_of_logit, steps=5000, learning_rate=1.0):
    b = 0.0
    for _ in range(steps):
        b -= learning_rate * grad_of_logit(b)
    return scipy.special.expit(b)


full = descend(lambda b: np.mean(scipy.special.expit(b) - labels_30))
broken = descend(lambda b: -np.mean(labels_30 * (1 - scipy.special.expit(b))))
print(f"after 5000 steps: q = {full:.3f} with the full loss, q = {broken:.3f} without the (1 - y) term")
""",
        cases=(Case(),),
        atol=0.01,
        hints=(
            "Without the (1 - y) term the examples of class 0 contribute nothing to the loss or its "
            "gradient. What does the loss then reward?",
            "-mean(y log q) only gets smaller as q grows: the gradient never changes sign, so gradient "
            "descent keeps raising q towards 1.",
        ),
        mistakes=(
            Mistake(
                "0.3 is where the full binary cross-entropy ends (the fraction of ones). Without the "
                "(1 - y) term nothing pulls q back down.",
                lambda expected: 0.3,
            ),
            Mistake("Nothing holds q at 1/2: without the (1 - y) term the loss keeps falling as q grows.", lambda expected: 0.5),
        ),
    ),
]
