"""Exercises of chapter 15, wrong labels and several labels."""

import numpy as np
from scipy import special

from lossbook.exercises.model import Case, Exercise, Mistake


def _case(seed, n, k, q, spread=2.0, shift=0.0):
    """Integer labels, logits and q for the gradient exercise."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, k, n), np.round(rng.normal(shift, spread, (n, k)), 3), q


def _mixed(seed=4, n=5, k=3, q=0.6):
    """Rows of very different sizes: some with one logit near 800, one with every logit near 0."""
    labels, logits, q = _case(seed, n, k, q)
    logits[np.arange(n - 1), np.arange(n - 1) % k] += 800.0
    return labels, logits, q


def _gradient(labels, logits, q, weight=lambda p_true, q: p_true**q, mean=True, subtract=True):
    """The gradient of a loss whose logit gradient is weight(p_y) (p - e_y), with the mistakes' variations."""
    p = special.softmax(logits, axis=1)
    rows = np.arange(len(labels))
    g = p.copy()
    if subtract:
        g[rows, labels] -= 1.0
    with np.errstate(divide="ignore", invalid="ignore"):  # a negative power of an underflowed probability
        g = weight(p[rows, labels], q)[:, None] * g
    return g / len(labels) if mean else g


def _free_probability_gradient(labels, logits, q):
    """The gradient w.r.t. the probabilities, -p_y^(q-1) at the label, as if they were free variables."""
    p = special.softmax(logits, axis=1)
    rows = np.arange(len(labels))
    g = np.zeros_like(p)
    with np.errstate(divide="ignore"):
        g[rows, labels] = -(p[rows, labels] ** (q - 1))
    return g / len(labels)


EXERCISES = [
    Exercise(
        label="ex-15-gce",
        kind="by hand",
        function="gce_value",
        title="Generalised cross-entropy by hand",
        statement=r"""
A network gives the labelled class of one image the probability
$p_y = 0.36$. By hand, work out the generalised cross-entropy of that image
with $q = 0.5$, $(1 - p_y^{\,q}) / q$. Return it from `gce_value()`, run the
check, and then the cell after it, which compares it with cross-entropy and
with Keras.
""",
        explanation=r"""
$p_y^{\,q} = 0.36^{0.5} = 0.6$, so the loss is $(1 - 0.6) / 0.5 = 0.8$.
Cross-entropy charges $-\ln 0.36 \approx 1.022$ for the same image, and
grows without bound as $p_y \to 0$, where GCE stops at $1 / q = 2$: a label
the network contradicts costs GCE a bounded amount.
""",
        solution='''\
def gce_value():
    """Generalised cross-entropy, q = 0.5, of an image whose labelled class gets 0.36."""
    p, q = 0.36, 0.5
    return (1 - p**q) / q
''',
        demo=r"""
print(f"GCE, q = 0.5: lossbook {robust.generalized_cross_entropy([0], [[0.36, 0.64]], q=0.5):.4f}, Keras "
      f"{float(keras.losses.CategoricalGeneralizedCrossEntropy(q=0.5)(np.array([0]), np.array([[0.36, 0.64]]))):.4f}")
print(f"cross-entropy of the same image: {-np.log(0.36):.4f}; GCE's largest value, at p = 0: {1 / 0.5:.1f}")
""",
        cases=(Case(),),
        atol=0.002,
        hints=(
            "Raise p_y to the power q first: 0.36 ** 0.5 is a square root.",
            "Then (1 - 0.6) / 0.5.",
        ),
        mistakes=(
            Mistake("The division by q is missing: GCE is (1 - p**q) / q.", lambda expected: 1 - 0.36**0.5),
            Mistake("That is cross-entropy, -log p_y; GCE is (1 - p**q) / q.", lambda expected: -np.log(0.36)),
            Mistake("That is p**q / q; GCE subtracts p**q from 1 first.", lambda expected: 0.36**0.5 / 0.5),
            Mistake("That uses 1 - p_y without the power q.", lambda expected: (1 - 0.36) / 0.5),
        ),
    ),
    Exercise(
        label="ex-15-sce-weight",
        kind="predict",
        function="sce_weight_at_zero",
        title="How hard symmetric cross-entropy pulls on a contradicted label",
        statement=r"""
Through the softmax, symmetric cross-entropy's gradient with respect to the
logits is cross-entropy's times the weight $w = \alpha - \beta A\, p_y$.
With the chapter's $\alpha = 0.1$, $\beta = 1$ and $A = -4$, predict the
weight on an image whose labelled class the network gives probability
$p_y = 0$, a label it contradicts completely. Return it from
`sce_weight_at_zero()`, run the check, and then the cell after it, which
prints the weights of all four losses at $p_y = 0$ and $p_y = 1$.
""",
        explanation=r"""
At $p_y = 0$ the reverse term's part, $-\beta A\, p_y$, vanishes and
$w = \alpha = 0.1$. GCE's weight $p_y^{\,q}$ and MAE's $2 p_y$ are 0 there:
they ignore a contradicted label completely. SCE keeps a tenth of
cross-entropy's pull, the price of its cross-entropy term, which helps it
learn in the first epochs when every label looks implausible. At
$p_y = 1$ its weight is $0.1 + 4 = 4.1$.
""",
        solution='''\
def sce_weight_at_zero():
    """SCE's weight on cross-entropy's gradient at p_y = 0, alpha 0.1, beta 1, A = -4."""
    alpha, beta, a, p = 0.1, 1.0, -4.0, 0.0
    return alpha - beta * a * p
''',
        demo=r"""
for loss in (robust.Loss("ce"), robust.Loss("gce", q=0.7), robust.Loss("sce", alpha=0.1, beta=1.0), robust.Loss("mae")):
    print(f"{loss.name:14} weight at p_y = 0: {robust.logit_weight(loss, 0.0):.2f}, at p_y = 1: {robust.logit_weight(loss, 1.0):.2f}")
""",
        cases=(Case(),),
        atol=0.002,
        hints=(
            "Put p_y = 0 into alpha - beta * A * p_y.",
            "The term with p_y vanishes; what is left is alpha.",
        ),
        mistakes=(
            Mistake(
                "SCE's weight does not vanish at p_y = 0, unlike GCE's and MAE's: its cross-entropy term keeps alpha.",
                lambda expected: 0.0,
            ),
            Mistake("That is the weight at p_y = 1, alpha - beta * A = 0.1 + 4.", lambda expected: 4.1),
            Mistake("That is cross-entropy's weight, 1; SCE scales cross-entropy by alpha.", lambda expected: 1.0),
            Mistake("That is -beta * A; at p_y = 0 the term with A is multiplied by 0.", lambda expected: 4.0),
        ),
    ),
    Exercise(
        label="ex-15-gce-gradient",
        kind="implement",
        function="gce_logit_gradient",
        title="The gradient of generalised cross-entropy",
        statement=r"""
Implement the gradient of the *mean* generalised cross-entropy over $n$
images with respect to the logits, as `gce_logit_gradient(labels, logits, q)`:
`labels` is an integer array of the $n$ classes, `logits` an array of shape
$(n, K)$, `q` a number in $(0, 1]$. Return an array of shape $(n, K)$. Use
the chapter's form, $p_y^{\,q}\,(p - e_y)$ per image, with
$p = \operatorname{softmax}(z)$ computed stably. Run the check, and then the
cell after it, which compares your gradient with
`robust.generalized_cross_entropy_grad`.
""",
        explanation=r"""
Take the softmax of each row after subtracting the row's largest logit (the
result is the same, and `np.exp` cannot overflow). Pick each row's
probability of its label, $p_y$. The gradient of one image is its
probability row with 1 subtracted at the label, times $p_y^{\,q}$; the mean
over the images divides by $n$. With $q = 1$ this is half the MAE's
gradient; as $q \to 0$ it becomes cross-entropy's. Differentiating as if
the probabilities were free, $-p_y^{\,q-1}$ at the label, forgets that the
softmax ties them together.
""",
        solution='''\
def gce_logit_gradient(labels, logits, q):
    """Gradient of the mean GCE with respect to the logits, shape (n, K)."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p = p / p.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    weight = p[rows, labels] ** q
    g = p.copy()
    g[rows, labels] -= 1.0
    return weight[:, None] * g / len(labels)
''',
        demo=r"""
labels_demo, logits_demo, q_demo = exercises.get("ex-15-gce-gradient").cases[0].args
ours = robust.generalized_cross_entropy_grad(labels_demo, logits_demo, q=q_demo, from_logits=True)
numerical = lossbook.optim.numerical_gradient(
    lambda v: robust.generalized_cross_entropy(labels_demo, v, q=q_demo, from_logits=True), logits_demo)
print(f"lossbook's gradient for the check's first case, largest entry {np.abs(ours).max():.4f}; "
      f"largest difference from central differences {np.abs(ours - numerical).max():.1e}")
""",
        cases=(
            Case(_case(0, 6, 3, 0.7), note="six images, three classes, q = 0.7"),
            Case(_case(1, 5, 4, 0.3), note="five images, four classes, q = 0.3"),
            Case(_case(2, 4, 2, 1.0), note="two classes, q = 1: half the MAE's gradient"),
            Case(
                _case(3, 3, 5, 0.5, spread=1.0, shift=800.0),
                note="logits near 800: without subtracting each row's largest, np.exp overflows",
            ),
            Case(
                _mixed(),
                note="rows of different sizes: one logit near 800 in four rows, the last row near 0; "
                "subtract each row's own largest logit",
            ),
            Case(
                (np.array([2, 0, 1, 2]), np.array([[0.0, 1.0, 5.0], [2.0, 2.0, 2.0], [4.0, 0.0, 1.0], [1.0, 3.0, 0.0]]), 0.5),
                note="four images, one fitted, one on a tie, two contradicted",
            ),
        ),
        rtol=1e-6,
        atol=1e-10,
        hints=(
            "p = softmax of each row (subtract the row's maximum before np.exp); p_y = p[np.arange(n), labels].",
            "Copy p, subtract 1 at each row's label, multiply each row by p_y ** q, divide by n.",
        ),
        common=("sum",),
        mistakes=(
            Mistake(
                "The weight p_y ** q is missing: that is cross-entropy's gradient.",
                lambda expected, labels, logits, q: _gradient(labels, logits, q, weight=lambda p, q: 0 * p + 1),
            ),
            Mistake(
                "The weight is p_y ** (q - 1), the derivative with respect to p_y; through the softmax it becomes p_y ** q.",
                lambda expected, labels, logits, q: _gradient(labels, logits, q, weight=lambda p, q: p ** (q - 1)),
            ),
            Mistake(
                "1 is not subtracted at each row's label: the gradient is p_y ** q (p - e_y).",
                lambda expected, labels, logits, q: _gradient(labels, logits, q, subtract=False),
            ),
            Mistake(
                "That differentiates with respect to the probabilities as free variables, -p_y ** (q - 1) at "
                "the label; the question asks for the gradient with respect to the logits.",
                lambda expected, labels, logits, q: _free_probability_gradient(labels, logits, q),
            ),
        ),
    ),
    Exercise(
        label="ex-15-read-memorise",
        kind="read a plot",
        function="noisy_test_accuracy_at_60",
        title="Reading the memorisation curve",
        statement=r"""
In {numref}`fig-15-memorise`, find the solid red curve, the test accuracy
of the network trained on 40 % wrong labels. Read its value at epoch 60
from the figure, return it from `noisy_test_accuracy_at_60()` (the check
accepts readings within 0.03), and run the check.
""",
        explanation=r"""
At epoch 60 the solid red curve sits at about 0.65, well below its peak
in the first epochs and far below the blue curve of the network trained on
correct labels. Between the peak and epoch 60 the network has fitted more
and more of the wrong labels (the dotted curve), and each one it memorises
costs test accuracy on images like it. The next cell prints the exact
value.
""",
        solution='''\
def noisy_test_accuracy_at_60():
    """Test accuracy at epoch 60 of the network trained on 40 % wrong labels."""
    return 0.65
''',
        demo=r"""
print(f"test accuracy at epoch 60, 40 % wrong labels: {tests[3:, list(first.epochs).index(60)].mean():.3f}")
""",
        cases=(Case(),),
        atol=0.03,
        hints=(
            "Find epoch 60 on the horizontal axis and go up to the solid red curve.",
            "Read its height on the vertical axis: a share of the test images.",
        ),
        mistakes=(
            Mistake(
                "That is the blue curve, the network trained on correct labels; read the solid red one.", lambda expected: 0.96
            ),
            Mistake(
                "That is the dashed curve, the share of the noisy training labels fitted; read the solid one.",
                lambda expected: 0.78,
            ),
        ),
    ),
]
