"""Exercises of chapter 11, a fair comparison of losses."""

import numpy as np

from lossbook.exercises.model import Case, Exercise, Mistake


def _holm(p_values, *, offset=1, running_max=True, cap=True, input_order=True, sort=True):
    """Holm's step-down adjustment, or one of its common mistakes."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable") if sort else np.arange(m)
    scaled = p[order] * (m - np.arange(m) - 1 + offset)
    if running_max:
        scaled = np.maximum.accumulate(scaled)
    if cap:
        scaled = np.minimum(scaled, 1.0)
    if not input_order:
        return scaled
    adjusted = np.empty_like(p)
    adjusted[order] = scaled
    return adjusted


_NINE = np.array([0.2, 0.0052, 0.001, 0.63, 0.006, 0.04, 0.004, 0.35, 0.9])


EXERCISES = [
    Exercise(
        label="ex-11-holm",
        kind="implement",
        function="holm",
        title="Holm's step-down adjustment",
        statement=r"""
Write `holm(p_values)`: Holm's adjusted p-values for a family of $m$
p-values, returned as a NumPy array in the order of the input. Sort the
p-values, multiply the $k$-th smallest by $m - k + 1$, make the results
non-decreasing from the smallest p-value to the largest (each becomes the
largest so far), cap them at 1, and put each back in the position its raw
p-value came from. Ties need no special care. Before you run the check, try
your function on `[0.01, 0.04, 0.03]`: the protocol's `lossbook.stats.holm`
gives `[0.03, 0.06, 0.06]`.
""",
        points=2,
        explanation=r"""
`np.argsort(p)` gives the positions of the p-values from the smallest up;
`p[order] * (m - np.arange(m))` multiplies the smallest by $m$, the next by
$m - 1$, and the largest by 1. `np.maximum.accumulate` then keeps the largest
value so far, so that a smaller raw p-value never ends with a larger
adjusted one than the p-values before it: in `[0.01, 0.04, 0.03]`, 0.04 times
1 would be 0.04, below 0.03 times 2 = 0.06, and is raised to 0.06.
`np.minimum(..., 1.0)` caps the result, since a probability cannot exceed 1,
and `adjusted[order] = ...` writes each value back where its raw p-value
was. Holm never rejects less than Bonferroni, which multiplies every p-value
by $m$: on the nine p-values of the last case, Bonferroni leaves three below
0.05 and Holm four (next cell), with the same guarantee that the chance of
any false rejection in the family stays at most 0.05.
""",
        solution='''\
def holm(p_values):
    """Holm's step-down adjusted p-values, in the order of the input."""
    values = np.asarray(p_values, dtype=float)
    m = len(values)
    result = np.zeros(m)
    largest = 0.0  # the running maximum keeps the adjusted values in the order of the raw ones
    for k, i in enumerate(np.argsort(values, kind="stable")):
        largest = max(largest, (m - k) * values[i])
        result[i] = min(largest, 1.0)
    return result
''',
        demo=r"""
reference = lossbook.stats.holm  # the adjustment the protocol applies to the nine claims
nine = np.array([0.2, 0.0052, 0.001, 0.63, 0.006, 0.04, 0.004, 0.35, 0.9])
bonferroni = np.minimum(nine * nine.size, 1.0)
print("Holm:      ", np.round(reference(nine), 4), f"below 0.05: {np.sum(reference(nine) < 0.05)}")
print("Bonferroni:", np.round(bonferroni, 4), f"below 0.05: {np.sum(bonferroni < 0.05)}")
""",
        cases=(
            Case((np.array([0.01, 0.04, 0.03]),), note="the largest p-value is raised by the running maximum"),
            Case((np.array([0.02, 0.5, 0.02, 0.001]),), note="two equal p-values"),
            Case((_NINE,), note="nine claims, as in the protocol"),
            Case((np.array([0.7, 0.6, 0.02, 0.55]),), note="products above 1 are capped"),
            Case((np.array([0.03]),), note="a family of one"),
        ),
        hints=(
            "Work on the sorted p-values: order = np.argsort(p). The k-th smallest (k = 1, ..., m) is "
            "multiplied by m - k + 1, so p[order] * (m - np.arange(m)).",
            "Then np.maximum.accumulate makes the products non-decreasing, np.minimum(..., 1.0) caps them, "
            "and adjusted[order] = ... puts each value back in the position of its raw p-value.",
        ),
        mistakes=(
            Mistake(
                "That is Bonferroni's adjustment: every p-value times m. Holm multiplies only the smallest "
                "by m, the next by m - 1, and so on down to 1 for the largest.",
                lambda expected, p: np.minimum(np.asarray(p, dtype=float) * np.size(p), 1.0),
            ),
            Mistake(
                "The running maximum is missing: a larger raw p-value can end with a smaller adjusted one. "
                "Apply np.maximum.accumulate to the sorted products before capping them.",
                lambda expected, p: _holm(p, running_max=False),
            ),
            Mistake(
                "The cap is missing: adjusted p-values are probabilities, so cap them at 1 with np.minimum(..., 1.0).",
                lambda expected, p: _holm(p, cap=False),
            ),
            Mistake(
                "Your values are in sorted order. Return each adjusted p-value in the position of its raw "
                "p-value: adjusted = np.empty_like(p); adjusted[order] = ...",
                lambda expected, p: _holm(p, input_order=False),
            ),
            Mistake(
                "Off by one: the k-th smallest p-value is multiplied by m - k + 1, so the smallest by m "
                "and the largest by 1, not by m - 1 and 0.",
                lambda expected, p: _holm(p, offset=0),
            ),
            Mistake(
                "The p-values must be sorted first: the multipliers m, m - 1, ..., 1 go with the ranks of "
                "the p-values, from the smallest up, not with their positions in the input.",
                lambda expected, p: _holm(p, sort=False),
            ),
        ),
    ),
    Exercise(
        label="ex-11-rate-fairness",
        kind="predict",
        function="squared_hinge_rate",
        title="A learning rate that evens out the first steps",
        statement=r"""
At the start of training the output's input $z$ is near 0, and for the label
$+1$ the slope of the loss with respect to $z$ there is $-0.5$ for binary
cross-entropy and $-2$ for squared hinge on a tanh output. Both networks
start from the same weights and see the same batches, so in its first SGD
steps each moves its weights by its learning rate times its slope times the
same derivative of $z$. Predict the learning rate at which squared hinge
takes the same first steps as binary cross-entropy at the shared rate 0.01.
Return it from `squared_hinge_rate()` (the check accepts answers within
1 %), run the check, and then the computation in the cell after it.
""",
        explanation=r"""
A step is the rate times the gradient, and at $z = 0$ the gradient of squared
hinge is $-2 / -0.5 = 4$ times that of binary cross-entropy, for either label
(the slopes are $+2$ and $+0.5$ for the other label). Equal steps need a rate
four times smaller: $0.01 \times 0.5 / 2 = 0.0025$. With momentum the same
holds, since the velocity adds up past gradients, each times the rate. The
slopes describe the first steps only: once $z$ moves away from 0 both change,
each in its own way, so the rates that suit whole runs need not keep the
ratio of four. On the fixed split the rates chosen on validation point the
same way, 0.003 for binary cross-entropy and 0.001 for squared hinge (next
cell), on a grid whose steps are about a factor of three. That choice rests
on one validation set of 100 rows: chosen again on each of 30 new datasets
({doc}`11b_tuning_where_data_change`), the rates scatter over most of the grid.
""",
        solution='''\
def squared_hinge_rate():
    """The learning rate at which squared hinge takes the first steps that BCE takes at 0.01."""
    return 0.0025
''',
        demo=r"""
def slope_at_zero(loss, h=1e-6):
    return (loss(h) - loss(-h)) / (2 * h)


bce_slope = slope_at_zero(lambda z: np.log1p(np.exp(-z)))  # label +1: -log(sigmoid(z))
squared_hinge_slope = slope_at_zero(lambda z: np.maximum(0.0, 1.0 - np.tanh(z)) ** 2)
print(f"slopes at z = 0, label +1: BCE {bce_slope:+.3f}, squared hinge {squared_hinge_slope:+.3f}")
print(f"rate for squared hinge matching BCE at 0.01: {0.01 * bce_slope / squared_hinge_slope:.4f}")
print(f"rates chosen on validation: BCE {RATES[CHOSEN['BCE']]:g}, squared hinge {RATES[CHOSEN['squared hinge']]:g}")
""",
        cases=(Case(),),
        rtol=0.01,
        atol=1e-6,
        hints=(
            "One SGD step moves the weights by the learning rate times the gradient, and the gradient is the "
            "slope with respect to z times the same derivative of z for both losses. What must the rate of "
            "squared hinge be for rate times slope to come out the same?",
            "0.01 * (-0.5) must equal r * (-2). Solve for r.",
        ),
        mistakes=(
            Mistake(
                "The ratio is upside down: squared hinge pulls four times as hard at z = 0, so it needs a "
                "rate four times smaller than 0.01, not larger.",
                lambda expected: 0.04,
            ),
            Mistake(
                "That is the rate that matches the hinge loss, whose slope at z = 0 is -1. Squared hinge has the slope -2.",
                lambda expected: 0.005,
            ),
            Mistake(
                "The same rate does not give the same steps: at z = 0 the slope of squared hinge is four "
                "times that of binary cross-entropy.",
                lambda expected: 0.01,
            ),
            Mistake(
                "That is the rate chosen on validation for squared hinge, from a grid with steps of about "
                "three. The question asks for the rate that matches the first steps: 0.01 times the ratio "
                "of the slopes.",
                lambda expected: 0.001,
            ),
        ),
    ),
    Exercise(
        label="ex-11-seed-budget",
        kind="by hand",
        function="seeds_for_difference",
        title="A seed budget, by hand",
        statement=r"""
Binary cross-entropy beat squared hinge only narrowly after 30 seeds at the
shared rate, and on 400 training rows the claim was undecided. Suppose their
seed-by-seed differences in test accuracy had
a standard deviation of $s_d = 0.015$ (the cell after the check prints the
measured one). Suppose the true difference is $d = 0.005$, two and a
half test points out of 500. Work out by hand, with the chapter's rule of
thumb, how many seeds a paired $t$-test needs to detect it with 80 % power.
Return the count from `seeds_for_difference()`, run the check (a count within 2 seeds counts as right), and compare with the computation in the cell after it.
""",
        explanation=r"""
The rule of thumb is $n \approx 8\,(s_d/d)^2$. Here $s_d / d = 0.015 / 0.005
= 3$, its square is 9, and $8 \times 9 = 72$ seeds. The exact count from the
noncentral $t$ distribution is 73, one more, as the chapter said to expect.
Forgetting the square gives 24 seeds, and with those the test would detect
this difference only about a third of the time (power 0.35). The factor 8 is $(z_{0.975} + z_{0.8})^2$;
with $z_{0.975}^2 \approx 4$ alone the interval would only just exclude zero
on average, which detects the difference half the time.
""",
        solution='''\
def seeds_for_difference():
    """Seeds to detect d = 0.005 when the paired sd is 0.015, by the rule of thumb 8 (s_d / d)^2."""
    return 72
''',
        demo=r"""
print(f"paired sd, BCE against squared hinge: {advantage('BCE', 'squared hinge').std(ddof=1):.4f}")
print(f"rule of thumb 8 (s_d / d)^2: {8 * (0.015 / 0.005) ** 2:.0f} seeds; "
      f"exact: {seeds_needed(0.015, 0.005)}; power of 24 seeds: "
      f"{stats.nct.sf(stats.t.ppf(0.975, 23), 23, 0.005 * np.sqrt(24) / 0.015):.2f}")
""",
        cases=(Case(),),
        atol=2,
        hints=(
            "The rule of thumb at the end of the chapter: about 8 (s_d / d)^2 seeds detect a true "
            "difference d with 80 % power, where s_d is the standard deviation of the paired differences.",
            "s_d / d = 0.015 / 0.005 = 3. Square it, then multiply by 8.",
        ),
        mistakes=(
            Mistake(
                "The ratio s_d / d must be squared: the interval shrinks like 1 / sqrt(n), so n grows "
                "with the square of s_d / d.",
                lambda expected: 24,
            ),
            Mistake(
                "Far too few seeds: the ratio is s_d / d, the noise over the difference, with both in the "
                "same units (accuracy: 0.015 and 0.005). A smaller difference must need more seeds, not "
                "fewer.",
                lambda expected: 8 / 9,
            ),
            Mistake(
                "The factor 8 is missing: (s_d / d)^2 alone is where a single standard error equals "
                "the difference. Multiply by 8, which is (z_0.975 + z_0.8)^2.",
                lambda expected: 9,
            ),
            Mistake(
                "That is about 4 (s_d / d)^2, the count at which the 95 % interval only just excludes "
                "zero on average: a coin toss. For 80 % power use the factor 8.",
                lambda expected: 36,
            ),
        ),
    ),
]
