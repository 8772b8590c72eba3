"""Exercises of chapter 3, entropy, cross-entropy and KL divergence."""

import math

import numpy as np
import scipy.special

from lossbook.exercises import Case, Exercise, Mistake

_LN2, _LN10 = math.log(2.0), math.log(10.0)
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
        solution='''\
def entropy_by_hand():
    """The entropy of (1/2, 1/4, 1/8, 1/8) in bits, worked out by hand."""
    return 1.75
''',
        cases=(Case(),),
        atol=0.002,
        hints=(
            "In bits, -log2(1/2) = 1, -log2(1/4) = 2 and -log2(1/8) = 3: the surprise of each outcome.",
            "The entropy averages the surprises with the probabilities as weights: "
            "1/2 * 1 + 1/4 * 2 + 1/8 * 3 + 1/8 * 3.",
        ),
        mistakes=(
            Mistake("Wrong log base: that is the entropy in nats (natural log). The question asks for "
                    "bits: use log base 2, or divide nats by log 2 = 0.693.",
                    lambda expected: expected * _LN2),
            Mistake("Wrong log base: that is log base 10. Bits use log base 2.",
                    lambda expected: expected * _LN2 / _LN10),
            Mistake("The surprises need weights: entropy is the average surprise, sum of p_k * (-log2 p_k), "
                    "not the plain sum of the surprises.", lambda expected: 9.0),
            Mistake("log2(4) = 2 bits is the entropy of four equally likely outcomes; these four are not "
                    "equally likely, so the entropy is lower.", lambda expected: 2.0),
            Mistake("The sign is missing: entropy is -sum p_k log p_k, which is never negative.",
                    lambda expected: -expected),
        ),
    ),
    Exercise(
        label="ex-03-kl-bits",
        kind="implement",
        function="kl_bits",
        points=3,
        solution='''\
def kl_bits(p, q):
    """KL(p || q) in bits, after dividing p and q by their sums."""
    p = np.asarray(p, dtype=float) / np.sum(p)
    q = np.asarray(q, dtype=float) / np.sum(q)
    return np.sum(scipy.special.rel_entr(p, q)) / np.log(2)
''',
        cases=(
            Case((np.array([0.5, 0.5]), np.array([0.9, 0.1]))),
            Case((np.array([0.9, 0.1]), np.array([0.5, 0.5])), note="the same pair in the other direction"),
            Case((_P6, _Q6), note="the six-colour vectors, which do not sum to 1"),
            Case((np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])),
                 note="a zero in p, whose term counts as 0"),
            Case((np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5])), note="p equal to q"),
        ),
        hints=(
            "Three steps: divide p and q by their sums; add up the terms p_k log(p_k / q_k); divide by "
            "log 2 to turn nats into bits.",
            "scipy.special.rel_entr(p, q) returns the terms p_k log(p_k / q_k) as an array, with 0 for "
            "p_k = 0. np.log2 also works, but then a zero in p needs care.",
        ),
        mistakes=(
            Mistake("Wrong log base: your value is in nats. Divide by np.log(2), or use log base 2.",
                    lambda expected, p, q: expected * _LN2),
            Mistake("The inputs are not normalised: p and q must be divided by their sums before the "
                    "formula applies (the six-colour vectors sum to 2.21 and 2.14).",
                    lambda expected, p, q: _kl_nats(p, q) / _LN2),
            Mistake("Not normalised and in nats: this is exactly the published error of the six-colour "
                    "example. Divide p and q by their sums, and convert nats to bits.",
                    lambda expected, p, q: _kl_nats(p, q)),
            Mistake("The direction is reversed: KL(p || q) weights the log-ratio log(p_k / q_k) by p_k; "
                    "you computed KL(q || p).",
                    lambda expected, p, q: _kl_nats(_normalised(q), _normalised(p)) / _LN2),
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
        solution='''\
def smallest_cross_entropy():
    """The smallest cross-entropy any prediction reaches on the target (0.9, 0.05, 0.05), in nats."""
    return 0.394
''',
        cases=(Case(),),
        atol=0.003,
        hints=(
            "H(t, q) = H(t) + KL(t || q), and the KL divergence is zero only at q = t.",
            "So the floor is the entropy of the target: -[0.9 log 0.9 + 2 * 0.05 log 0.05].",
        ),
        mistakes=(
            Mistake("Zero is the floor only for one-hot targets, whose entropy is zero. Here the target "
                    "itself is uncertain: which part of H(t, q) = H(t) + KL(t || q) can a prediction not "
                    "remove?", lambda expected: 0.0),
            Mistake("Wrong log base: that is the value in bits; the question asks for nats (natural log).",
                    lambda expected: expected / _LN2),
            Mistake("That is -log 0.9, the loss of the true class alone. With a soft target every class "
                    "with a nonzero target probability adds a term.", lambda expected: -math.log(0.9)),
        ),
    ),
]
