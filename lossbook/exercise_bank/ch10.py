"""Exercises of chapter 10, comparing losses over many seeds."""

import numpy as np
import scipy.stats

from lossbook.exercises.model import Case, Exercise, Mistake


def _interval(a, b, level=0.95, *, ddof=1, quantile=None, df=None, divisor="sqrt(n)", spread=None):
    """The paired t-interval of a - b, or one of its common mistakes."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = d.size
    q = scipy.stats.t.ppf(0.5 + level / 2, n - 1 if df is None else df) if quantile is None else quantile
    sd = d.std(ddof=ddof) if spread is None else spread
    half = q * sd / {"sqrt(n)": np.sqrt(n), "n": n, "1": 1.0}[divisor]
    return np.array([d.mean() - half, d.mean() + half])


def _unpaired_sd(a, b):
    return np.hypot(np.std(a, ddof=1), np.std(b, ddof=1))


_RNG = np.random.default_rng(9)
_A30 = np.round(0.845 + 0.008 * _RNG.standard_normal(30), 3)
_B30 = np.round(_A30 - 0.004 + 0.006 * _RNG.standard_normal(30), 3)


EXERCISES = [
    Exercise(
        label="ex-10-read-spread",
        kind="read a plot",
        function="box_height_squared_hinge",
        title="How tall is a box?",
        statement=r"""
In the middle panel of {numref}`fig-10-spread`, find the box of squared
hinge. Read off the vertical axis, which has a grid line every 0.01, how tall
the box is: the accuracy at its top edge minus the accuracy at its bottom
edge. Return your reading from `box_height_squared_hinge()` and run the check;
a reading within 0.004 of the value counts as right. Then compare it with the
mean difference in test accuracy between binary cross-entropy and squared
hinge over the 30 seeds, which the cell after the check prints.
""",
        explanation=r"""
The box's top edge lies on the grid line 0.85 and its bottom edge a little
above halfway between the grid lines 0.83 and 0.84, at about 0.837, so the box
is about 0.013 tall. The box holds the middle half of the 30 seeds, from the
first to the third quartile; the dots of single seeds reach much further,
from a little above 0.81 to 0.86, and the next cell prints the exact figures.
The middle half of squared hinge's seeds alone spans about
twice the mean difference between binary cross-entropy and squared hinge over
the 30 seeds, 0.0058: a single run of each could easily have put them in
either order.
""",
        solution='''\
def box_height_squared_hinge():
    """Height of the squared hinge box in the binary panel of the spread figure (accuracy)."""
    return 0.013
''',
        demo=r"""
squared_hinge = scores["squared hinge"]["test"]
q1, q3 = np.percentile(squared_hinge, [25, 75])
print(f"squared hinge: box from {q1:.3f} to {q3:.3f}, height {q3 - q1:.3f}; "
      f"all seeds from {squared_hinge.min():.3f} to {squared_hinge.max():.3f}")
mean_gap = np.mean(scores["BCE"]["test"] - squared_hinge)
print(f"mean difference, BCE minus squared hinge, over the {SEEDS} seeds: {mean_gap:.4f}")
""",
        cases=(Case(),),
        atol=0.004,
        hints=(
            "The box of a box plot spans the middle half of the seeds: from the first quartile (its "
            "bottom edge) to the third quartile (its top edge). Find the squared hinge box in the middle "
            "panel and read the accuracy at both edges on the vertical axis.",
            "The top edge lies on the grid line 0.85; the bottom edge lies a little above halfway between "
            "the grid lines 0.83 and 0.84. The answer is the difference of the two.",
        ),
        mistakes=(
            Mistake(
                "That is where the box sits (its median line, or one of its edges), not how tall it is. "
                "Subtract the bottom edge from the top edge.",
                lambda expected: 0.844,
            ),
            Mistake(
                "That is one edge of the box, not its height. Subtract the bottom edge from the top edge.", lambda expected: 0.850
            ),
            Mistake(
                "That is one edge of the box, not its height. Subtract the bottom edge from the top edge.", lambda expected: 0.837
            ),
            Mistake(
                "That is the distance between the ends of the whiskers, here all 30 seeds. The box is "
                "the part with the rectangle: the middle half of the seeds.",
                lambda expected: 0.042,
            ),
            Mistake(
                "That is the mean difference between binary cross-entropy and squared hinge, which the "
                "cell after the check prints for comparison. The box's height is read off the figure: top "
                "edge minus bottom edge.",
                lambda expected: 0.0058,
            ),
        ),
    ),
    Exercise(
        label="ex-10-paired-ci",
        kind="implement",
        function="paired_ci",
        title="A confidence interval for a paired difference",
        statement=r"""
Write `paired_ci(a, b, level=0.95)`: the two-sided $t$ confidence interval,
at the given level, for the mean of the seed-by-seed differences `a - b` of
two arrays of the same length (one value per seed). Return it as
`np.array([low, high])`. `scipy.stats.t.ppf(q, df)` gives the quantile of
Student's $t$ distribution. Before you run the check, try your function on
`scores["BCE"]["test"]` and `scores["hinge"]["test"]`, the 30 seeds of binary
cross-entropy and hinge; the cell after the check compares the result with
SciPy's paired $t$-test.
""",
        points=3,
        explanation=r"""
Subtract first, then treat the $n$ differences as one sample: the interval is
$\bar d \pm t_{q,\,n-1}\, s_d / \sqrt n$ with $q = 0.5 + \text{level}/2$, which
is 0.975 for a 95 % interval. Three details decide whether it comes out
right: the sample standard deviation divides by $n - 1$ (`ddof=1`; NumPy's
default divides by $n$); the quantile is Student's $t$ with $n - 1$ degrees of
freedom, not the normal 1.96, which matters most for few seeds (12.7 for two);
and $s_d$ is divided by $\sqrt n$, because it is the mean of the differences
that the interval is about, not a single seed. SciPy's paired $t$-test,
`scipy.stats.ttest_rel(a, b).confidence_interval()`, gives the same interval,
and so does the chapter's `summary` applied to the differences (next cell).
For binary cross-entropy against hinge, one of the 30 differences comes from
hinge's stuck seed and lies far from the others, and the $t$-interval, which
treats the mean of the differences as roughly normal, is wide for that one
seed; {doc}`11_fair_comparison` judges such differences with a sign-flip
test, which does not assume normal results.
""",
        solution='''\
def paired_ci(a, b, level=0.95):
    """Two-sided t confidence interval [low, high] for the mean of the paired differences a - b."""
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    quantile = scipy.stats.t.ppf(0.5 + level / 2, diffs.size - 1)
    half_width = quantile * diffs.std(ddof=1) / np.sqrt(diffs.size)
    return np.array([diffs.mean() - half_width, diffs.mean() + half_width])
''',
        demo=r"""
scipy_ci = stats.ttest_rel(scores["BCE"]["test"], scores["hinge"]["test"]).confidence_interval(confidence_level=0.95)
_, _, low, high, _ = summary(scores["BCE"]["test"] - scores["hinge"]["test"])
print(f"BCE minus hinge, 95 %: SciPy [{scipy_ci.low:+.4f}, {scipy_ci.high:+.4f}], "
      f"summary of the differences [{low:+.4f}, {high:+.4f}]")
print(f"quantiles for two seeds: t {stats.t.ppf(0.975, 1):.1f}, normal {stats.norm.ppf(0.975):.2f}")
""",
        cases=(
            Case(
                (np.array([0.848, 0.852, 0.842, 0.856, 0.846]), np.array([0.844, 0.846, 0.842, 0.848, 0.836])),
                note="five seeds of two classifiers",
            ),
            Case((np.array([0.0068, 0.0041]), np.array([0.0031, 0.0025])), note="two seeds, where the t quantile is 12.7"),
            Case(
                (
                    np.array([0.82, 0.83, 0.81, 0.84, 0.82, 0.83, 0.80, 0.85]),
                    np.array([0.83, 0.83, 0.82, 0.82, 0.84, 0.82, 0.82, 0.84]),
                    0.9,
                ),
                note="a 90 % interval",
            ),
            Case((_A30, _B30), note="thirty seeds"),
            Case(
                (np.array([0.010, 0.014, 0.009, 0.012]), np.array([0.013, 0.019, 0.011, 0.018])),
                note="b is larger on every seed, so the interval lies below zero",
            ),
        ),
        hints=(
            "Subtract first: d = a - b, one difference per seed. The interval is mean(d) plus or minus "
            "t * s_d / sqrt(n), with s_d the standard deviation of the differences and n their number.",
            "s_d is the sample standard deviation, d.std(ddof=1). The quantile is that of Student's t with "
            "n - 1 degrees of freedom: scipy.stats.t.ppf(0.975, n - 1) for a 95 % interval.",
            "For a two-sided interval at level L, the quantile is t.ppf(0.5 + L / 2, n - 1): 0.975 for "
            "L = 0.95, 0.95 for L = 0.90. Return np.array([low, high]).",
        ),
        mistakes=(
            Mistake(
                "Wrong ddof: d.std() divides by n. The sample standard deviation divides by n - 1: use d.std(ddof=1).",
                lambda expected, a, b, level=0.95: _interval(a, b, level, ddof=0),
            ),
            Mistake(
                "z instead of t: that is the normal quantile (1.96 for 95 %). With s_d estimated from the "
                "same n seeds, use Student's t with n - 1 degrees of freedom: "
                "scipy.stats.t.ppf(0.5 + level / 2, n - 1).",
                lambda expected, a, b, level=0.95: _interval(a, b, level, quantile=scipy.stats.norm.ppf(0.5 + level / 2)),
            ),
            Mistake(
                "sqrt(n) is missing: s_d describes single seeds. The standard error of their mean is s_d / sqrt(n).",
                lambda expected, a, b, level=0.95: _interval(a, b, level, divisor="1"),
            ),
            Mistake(
                "You divided by n: the standard error of a mean is s_d / sqrt(n), not s_d / n.",
                lambda expected, a, b, level=0.95: _interval(a, b, level, divisor="n"),
            ),
            Mistake(
                "Wrong degrees of freedom: the t quantile takes n - 1 (one is used up by the mean), not n.",
                lambda expected, a, b, level=0.95: _interval(a, b, level, df=len(a)),
            ),
            Mistake(
                "One-sided quantile: t.ppf(level) leaves all of the 1 - level outside on one side. A "
                "two-sided interval splits it, so use t.ppf(0.5 + level / 2, n - 1).",
                lambda expected, a, b, level=0.95: _interval(a, b, level, quantile=scipy.stats.t.ppf(level, len(a) - 1)),
            ),
            Mistake(
                "The level argument is ignored: your interval is a 95 % one. Use the quantile t.ppf(0.5 + level / 2, n - 1).",
                lambda expected, a, b, level=0.95: _interval(a, b, 0.95),
            ),
            Mistake(
                "That is the unpaired interval: it uses sqrt(s_a^2 + s_b^2), the spread of the two "
                "columns. Pair the seeds: take the standard deviation of the differences a - b.",
                lambda expected, a, b, level=0.95: _interval(a, b, level, spread=_unpaired_sd(a, b)),
            ),
            Mistake(
                "The sign is flipped: the interval is for the mean of a - b, not b - a.",
                lambda expected, a, b, level=0.95: -expected[::-1],
            ),
        ),
    ),
    Exercise(
        label="ex-10-pairing",
        kind="predict",
        function="narrower_interval",
        title="Does pairing help for Huber and log-cosh?",
        statement=r"""
The Huber loss and log-cosh were trained with the same 30 seeds. Compare
their mean test MSE in two ways: paired, from the standard deviation of the
seed-by-seed differences, or unpaired, as if the two columns of 30 results
were independent samples, from $\sqrt{s_A^2 + s_B^2}$. Before computing
anything, predict which 95 % interval is narrower. Return `"paired"`,
`"unpaired"`, or `"about the same"` (within 10 % of each other) from
`narrower_interval()`, run the check, and then the comparison in the cell after it.
""",
        choices=("paired", "unpaired", "about the same"),
        explanation=r"""
Paired, and by far. {doc}`06_regression_losses` found that for errors below
1 both the Huber loss with $\delta = 1$ and log-cosh are about half the
squared error, and the errors of these networks are small: the worst Huber
run has a test MSE of 0.025, a root-mean-square error of 0.16. With the same
starting weights and the same batches, the two runs of a seed
follow almost the same path, so their test MSEs move together from seed to
seed: the correlation is 1.00, and the paired interval is about 27 times
narrower (next cell). Pairing is not always worth that much: hinge and
squared hinge, whose runs of a seed have little in common, gain about 10 %.
Only results that move in opposite directions across seeds would make the
paired interval the wider one.
""",
        solution='''\
def narrower_interval():
    """One of "paired", "unpaired", "about the same": for Huber against log-cosh."""
    return "paired"
''',
        demo=r"""
worst_huber = scores["Huber"]["test"].max()
print(f"worst Huber run: test MSE {worst_huber:.3f}, root-mean-square error {np.sqrt(worst_huber):.2f}")
t_over_root_n = stats.t.ppf(0.975, SEEDS - 1) / np.sqrt(SEEDS)
for a, b in [("Huber", "log-cosh"), ("hinge", "squared hinge")]:
    corr, sd_pair, sd_indep = sd_paired_and_unpaired(a, b)
    print(f"{a} vs {b}: correlation {corr:.2f}; half-width paired {t_over_root_n * sd_pair:.5f}, "
          f"unpaired {t_over_root_n * sd_indep:.5f}; unpaired / paired {sd_indep / sd_pair:.2f}")
""",
        cases=(Case(),),
        hints=(
            "Pairing subtracts what the two runs of a seed share. It helps as much as the two losses' "
            "results move together from seed to seed.",
            "Chapter 6 found that for errors below 1 the Huber loss (delta = 1) and log-cosh are both "
            "about half the squared error, and the regression errors here are small. With the same "
            "starting weights and the same batches, how different can the two runs of one seed be?",
        ),
        mistakes=(
            Mistake(
                "The unpaired interval can only be the narrower one when the two losses' results move "
                "in opposite directions from seed to seed. With the same start and batches, and losses "
                "that nearly agree on small errors, they move together.",
                lambda expected: "unpaired",
            ),
            Mistake(
                "About the same would mean the two losses' results are unrelated across seeds. Huber "
                "and log-cosh nearly agree on small errors, so one seed's two runs follow almost the "
                "same path.",
                lambda expected: "about the same",
            ),
        ),
    ),
]
