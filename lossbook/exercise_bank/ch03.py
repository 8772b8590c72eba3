"""Exercises of chapter 3, entropy, cross-entropy and KL divergence."""

import math

import numpy as np
import scipy.special

from lossbook.exercises.model import Case, Exercise, Mistake

_LN2 = math.log(2.0)
_P6 = np.array([0.10, 0.30, 0.05, 0.90, 0.65, 0.21])
_Q6 = np.array([0.70, 0.55, 0.15, 0.04, 0.25, 0.45])


def _kl_nats(p, q):
    return float(np.sum(scipy.special.rel_entr(p, q)))


def _normalised(v):
    v = np.asarray(v, dtype=float)
    return v / v.sum()


EXERCISES = [
    Exercise(
        label="ex-03-entropy-bits",
        kind="by hand",
        function="entropy_by_hand",
        title="Entropy in bits, by hand",
        statement=r"""
Four outcomes have the probabilities $p = (1/2, 1/4, 1/8, 1/8)$. Work out
the entropy $H(p)$ in bits by hand; no calculator is needed. Return it from
`entropy_by_hand()`, then run the check, and compare with the computation in the cell after it.
""",
        explanation=r"""
In bits the surprises $-\log_2 p_k$ are 1, 2, 3 and 3. The entropy weights
them by their probabilities:
$H(p) = \tfrac12 \cdot 1 + \tfrac14 \cdot 2 + \tfrac18 \cdot 3 + \tfrac18 \cdot 3 = 1.75$
bits. In nats the same entropy is $1.75 \log 2$, which the cell below prints
as well.
""",
        solution='''\
def entropy_by_hand():
    """The entropy of (1/2, 1/4, 1/8, 1/8) in bits, worked out by hand."""
    return 1.75
''',
        demo=r"""
four = np.array([1 / 2, 1 / 4, 1 / 8, 1 / 8])
print(f"H = {entropy(four) / LN2:.3f} bits = {entropy(four):.3f} nats; "
      f"scipy.stats.entropy(base=2): {scipy.stats.entropy(four, base=2):.3f} bits")
""",
        cases=(Case(),),
        atol=0.002,
        hints=(
            "In bits, -log2(1/2) = 1, -log2(1/4) = 2 and -log2(1/8) = 3: the surprise of each outcome.",
            "The entropy averages the surprises with the probabilities as weights: 1/2 * 1 + 1/4 * 2 + 1/8 * 3 + 1/8 * 3.",
        ),
        common=("log base", "sign"),
        unit="bits",
        mistakes=(
            Mistake(
                "The surprises need weights: entropy is the average surprise, sum of p_k * (-log2 p_k), "
                "not the plain sum of the surprises.",
                lambda expected: 9.0,
            ),
            Mistake(
                "log2(4) = 2 bits is the entropy of four equally likely outcomes; these four are not "
                "equally likely, so the entropy is lower.",
                lambda expected: 2.0,
            ),
        ),
    ),
    Exercise(
        label="ex-03-kl-bits",
        kind="implement",
        function="kl_bits",
        title="A KL divergence that cannot be fooled",
        statement=r"""
Write `kl_bits(p, q)`, the divergence $\mathrm{KL}(p \,\|\, q)$ in bits. It
should accept vectors that do not sum to one by dividing each by its sum
first (as `scipy.stats.entropy` does), and count a term with $p_k = 0$ as 0.
The check includes the six-colour vectors of this chapter, where your function
should give 1.802 bits.
""",
        points=3,
        explanation=r"""
Normalise, take the terms $p_k \log(p_k / q_k)$ with `scipy.special.rel_entr`
(which returns 0 where $p_k = 0$), sum, and divide by $\log 2$ to go from
nats to bits. `scipy.stats.entropy(p, q, base=2)` computes the same number,
which the next cell uses as an independent check.
""",
        solution='''\
def kl_bits(p, q):
    """KL(p || q) in bits, after dividing p and q by their sums."""
    p = np.asarray(p, dtype=float) / np.sum(p)
    q = np.asarray(q, dtype=float) / np.sum(q)
    return np.sum(scipy.special.rel_entr(p, q)) / np.log(2)
''',
        lead=r"""
print(f"scipy.stats.entropy(P, Q, base=2) = {scipy.stats.entropy(P, Q, base=2):.3f} bits")
""",
        cases=(
            Case((np.array([0.5, 0.5]), np.array([0.9, 0.1]))),
            Case((np.array([0.9, 0.1]), np.array([0.5, 0.5])), note="the same pair in the other direction"),
            Case((_P6, _Q6), note="the six-colour vectors, which do not sum to 1"),
            Case((np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])), note="a zero in p, whose term counts as 0"),
            Case((np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5])), note="p equal to q"),
        ),
        hints=(
            "Three steps: divide p and q by their sums; add up the terms p_k log(p_k / q_k); divide by "
            "log 2 to turn nats into bits.",
            "scipy.special.rel_entr(p, q) returns the terms p_k log(p_k / q_k) as an array, with 0 for "
            "p_k = 0. np.log2 also works, but then a zero in p needs care.",
        ),
        common=("log base",),
        unit="bits",
        mistakes=(
            Mistake(
                "The inputs are not normalised: p and q must be divided by their sums before the "
                "formula applies (the six-colour vectors sum to 2.21 and 2.14).",
                lambda expected, p, q: _kl_nats(p, q) / _LN2,
            ),
            Mistake(
                "Not normalised and in nats: this is exactly the published error of the six-colour "
                "example. Divide p and q by their sums, and convert nats to bits.",
                lambda expected, p, q: _kl_nats(p, q),
            ),
            Mistake(
                "The direction is reversed: KL(p || q) weights the log-ratio log(p_k / q_k) by p_k; you computed KL(q || p).",
                lambda expected, p, q: _kl_nats(_normalised(q), _normalised(p)) / _LN2,
            ),
        ),
        nonfinite_hint=(
            "A zero in p gives 0 * log(0) = nan in plain NumPy. Use scipy.special.rel_entr (or "
            "scipy.special.xlogy), which counts those terms as 0, as their limit says."
        ),
    ),
    Exercise(
        label="ex-03-floor",
        kind="predict",
        function="smallest_cross_entropy",
        title="The floor of a smoothed label",
        statement=r"""
Label smoothing replaces a one-hot target by a softer one, here
$t = (0.8, 0.1, 0.1)$. Predict the smallest cross-entropy $H(t, q)$, in nats,
that any predicted distribution $q$ can reach on this target. Return it,
rounded to three decimals, from `smallest_cross_entropy()`, then run the check, and after it the experiment in the next cell, which searches over all $q$ with SciPy.
""",
        explanation=r"""
By $H(t, q) = H(t) + \mathrm{KL}(t \,\|\, q)$ and $\mathrm{KL} \ge 0$, the
smallest cross-entropy is the entropy of the target, reached at $q = t$:
$H(t) = -[0.8 \log 0.8 + 2 \cdot 0.1 \log 0.1] = 0.639$ nats. The search
below finds the same floor at the same $q$. A model trained on smoothed
labels therefore never reports a loss near zero, even when it is perfect.
""",
        solution='''\
def smallest_cross_entropy():
    """The smallest cross-entropy any prediction reaches on the target (0.8, 0.1, 0.1), in nats."""
    return 0.639
''',
        demo=r"""
smoothed = np.array([0.8, 0.1, 0.1])
search = scipy.optimize.minimize(lambda z: cross_entropy(smoothed, scipy.special.softmax(z)), np.zeros(3))
print(f"smallest cross-entropy found: {search.fun:.3f} nats, at q = {np.round(scipy.special.softmax(search.x), 3)}")
print(f"entropy of the target: {entropy(smoothed):.3f} nats")
""",
        cases=(Case(),),
        atol=0.003,
        hints=(
            "H(t, q) = H(t) + KL(t || q), and the KL divergence is zero only at q = t.",
            "So the floor is the entropy of the target: -[0.8 log 0.8 + 2 * 0.1 log 0.1].",
        ),
        common=("log base",),
        mistakes=(
            Mistake(
                "Zero is the floor only for one-hot targets, whose entropy is zero. Here the target "
                "itself is uncertain: which part of H(t, q) = H(t) + KL(t || q) can a prediction not "
                "remove?",
                lambda expected: 0.0,
            ),
            Mistake(
                "That is -log 0.8, the loss of the true class alone. With a soft target every class "
                "with a nonzero target probability adds a term.",
                lambda expected: -math.log(0.8),
            ),
        ),
    ),
]
