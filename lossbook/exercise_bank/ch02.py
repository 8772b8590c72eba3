"""Exercises of chapter 2, maximum likelihood."""

import math

import numpy as np

from lossbook.exercises.model import Case, Exercise, Mistake

_LN2 = math.log(2.0)
_TEN_FLIPS = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0])
_TWENTY_FLIPS = np.array([1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1])


def _nll_terms(p, x):
    return x * np.log(p) + (1 - x) * np.log(1 - p)


EXERCISES = [
    Exercise(
        label="ex-02-nll-by-hand",
        kind="by hand",
        function="mean_nll_by_hand",
        title="A likelihood by hand",
        statement=r"""
Ten flips of a coin come out $x = (1, 0, 0, 1, 0, 0, 0, 1, 0, 0)$. By hand
(a calculator for the logarithms is fine), find the maximum-likelihood
estimate $\hat p$ and the mean negative log-likelihood $J(\hat p)$ in nats.
Return $J(\hat p)$, rounded to three decimals, from `mean_nll_by_hand()`, then run the check, and compare with the computation in the cell after it.
""",
        explanation=r"""
Three heads in ten flips give $\hat p = k / n = 0.3$. Then
$J(\hat p) = -\big[0.3 \log 0.3 + 0.7 \log 0.7\big] = -\big[0.3 \cdot (-1.204) + 0.7 \cdot (-0.357)\big] = 0.611$
nats, with the natural logarithm. In bits (base 2) the same number would be
0.881, which is the entropy of a coin with $p = 0.3$: chapter
{doc}`03_entropy_cross_entropy_kl` explains why.
""",
        solution='''\
def mean_nll_by_hand():
    """The mean negative log-likelihood at the estimate p-hat, in nats, worked out by hand."""
    return 0.611
''',
        demo=r"""
ten_flips = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0])
p_ten = ten_flips.mean()
print(f"p-hat = {p_ten:.1f}; log 0.3 = {np.log(0.3):.3f}, log 0.7 = {np.log(0.7):.3f}")
print(f"J(p-hat) = {bernoulli_log_likelihood(p_ten, ten_flips) / -ten_flips.size:.3f} nats "
      f"= {bernoulli_log_likelihood(p_ten, ten_flips) / -ten_flips.size / np.log(2):.3f} bits")
""",
        cases=(Case(),),
        atol=0.002,
        hints=(
            "The estimate is the proportion of heads: 3 heads in 10 flips gives p-hat = 0.3.",
            "J(p-hat) = -[0.3 log(0.3) + 0.7 log(0.7)], with the natural logarithm (ln on a calculator).",
        ),
        common=("log base", "sign", "sum"),
        examples=10,
        mistakes=(Mistake("That is J at p = 0.5, log 2; evaluate J at the estimate p-hat = 3/10.", lambda expected: _LN2),),
    ),
    Exercise(
        label="ex-02-mean-nll",
        kind="implement",
        function="mean_nll",
        title="The Bernoulli loss in code",
        statement=r"""
Write `mean_nll(p, x)`: the mean negative log-likelihood, in nats, of a NumPy
array `x` of 0/1 outcomes under a Bernoulli model with parameter `p`, a number
strictly between 0 and 1. It should work for any number of flips, including
one, and for data with only heads or only tails. Your function applied to the
flips of the previous exercise at $p = 0.3$ should give the value you found
by hand.
""",
        points=2,
        explanation=r"""
Each flip contributes $x_i \log p + (1 - x_i) \log(1 - p)$: the first term
counts for heads, the second for tails. Averaging over the flips and changing
the sign gives the loss. A version with only the first term gives data made
of tails a loss of zero whatever $p$ is, so it would happily fit $p = 1$ to a
coin that never lands heads.
""",
        solution='''\
def mean_nll(p, x):
    """Mean negative log-likelihood, in nats, of 0/1 outcomes x under a Bernoulli(p) model."""
    return -np.mean(x * np.log(p) + (1 - x) * np.log(1 - p))
''',
        cases=(
            Case((0.3, _TEN_FLIPS), note="the ten flips of the previous exercise"),
            Case((0.9, np.array([0, 0, 0, 0])), note="all tails, where only the (1 - x) term counts"),
            Case((0.5, np.array([1, 1, 0]))),
            Case((0.2, np.array([1])), note="a single flip"),
            Case((0.65, _TWENTY_FLIPS)),
        ),
        hints=(
            "Each flip contributes x log p + (1 - x) log(1 - p): the first term for heads, the second "
            "for tails. Average over the flips and flip the sign.",
            "With NumPy arrays the formula works on all flips at once: -np.mean(x * np.log(p) + (1 - x) * np.log(1 - p)).",
        ),
        common=("log base", "sign", "sum"),
        mistakes=(
            Mistake(
                "The (1 - x) log(1 - p) term is missing: in your version tails (x = 0) cost nothing, "
                "so the model is never penalised for predicting heads.",
                lambda expected, p, x: -np.mean(x * np.log(p)),
            ),
            Mistake(
                "p and 1 - p are swapped: heads (x = 1) has probability p.",
                lambda expected, p, x: -np.mean(x * np.log(1 - p) + (1 - x) * np.log(p)),
            ),
        ),
    ),
    Exercise(
        label="ex-02-read-consistency",
        kind="read a plot",
        function="size_at_error_002",
        title="Reading a log-log plot",
        statement=r"""
In {numref}`fig-02-consistency`, follow the dashed line, the theory
$\sqrt{p(1 - p)/n}$, to the root-mean-square error 0.02 (the first minor tick
above $10^{-2}$ on the vertical axis), and read the sample size $n$ at which
the line passes it. Both axes are logarithmic. Return your reading from
`size_at_error_002()` and run the check; a reading within 20% of the value
counts as right.
""",
        explanation=r"""
On the vertical axis 0.02 is the first minor tick above $10^{-2}$. Follow
that height to the dashed line: it crosses it between the points at
$n = 300$ and $n = 1000$, at about $n = 500$. The line's formula gives the
exact place: $n = p(1 - p) / 0.02^2 = 0.21 / 0.0004 = 525$ (next cell). On a
logarithmic axis equal distances are equal ratios, so the point halfway
between $10^2$ and $10^3$ is $10^{2.5} \approx 316$, not 550.
""",
        solution='''\
def size_at_error_002():
    """The sample size n at which the dashed theory line of the consistency figure passes an RMS error of 0.02."""
    return 525.0
''',
        demo=r"""
print(f"sample size where sqrt(p(1 - p) / n) = 0.02: {p_true * (1 - p_true) / 0.02 ** 2:.0f}")
print(f"halfway between 10^2 and 10^3 on a log axis: {10 ** 2.5:.0f}")
""",
        cases=(Case(),),
        rtol=0.2,
        hints=(
            "Both axes are logarithmic: each labelled tick is ten times the previous one, and the unlabelled "
            "minor ticks between 10^-2 and 10^-1 are 0.02, 0.03, ... Find 0.02 on the vertical axis, go across "
            "to the dashed line, then down to the horizontal axis.",
            "The dashed line passes 0.02 between the simulated points at n = 300 and n = 1000. You can check "
            "your reading with the line's formula: sqrt(0.3 * 0.7 / n) = 0.02.",
        ),
        mistakes=(
            Mistake(
                "That is ten times too large: on the horizontal axis the labels 10^2 and 10^3 are 100 and "
                "1000, and the line passes 0.02 between them.",
                lambda expected: expected * 10,
            ),
            Mistake(
                "That is ten times too small: the line passes 0.02 between n = 10^2 = 100 and n = 10^3 = 1000.",
                lambda expected: expected / 10,
            ),
            Mistake(
                "That is the simulated point at n = 1000, whose error is below 0.02; the dashed line passes 0.02 to its left.",
                lambda expected: 1000.0,
            ),
            Mistake(
                "That is the simulated point at n = 300, whose error is above 0.02; the dashed line passes 0.02 to its right.",
                lambda expected: 300.0,
            ),
        ),
    ),
]
