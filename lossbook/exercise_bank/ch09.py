"""Exercises of chapter 9, comparing losses over many seeds."""

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
        label="ex-09-read-spread",
        kind="read a plot",
        function="box_height_squared_hinge",
        title="How tall is a box?",
        statement=r"""
In the middle panel of {numref}`fig-09-spread`, find the box of squared
hinge. Read off the vertical axis how tall the box is: the accuracy at its top
edge minus the accuracy at its bottom edge. Return your reading from
`box_height_squared_hinge()` and run the check; a reading within 0.003 of the
value counts as right. Then compare it with the mean advantage of binary
cross-entropy over squared hinge in the table of claims.
""",
        explanation=r"""
The box's top edge lies on the grid line 0.85 and its bottom edge a little
above halfway between 0.83 and 0.84, at about 0.837, so the box is about 0.013
tall. The box holds the middle half of the 30 seeds, from the first to the
third quartile; the whiskers reach much further, from 0.818 to 0.860 (next
cell). The middle half of squared hinge's seeds alone spans about twice the
mean advantage of binary cross-entropy over it at the shared rate, 0.0058: a
single run of each could easily have put them in either order.
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
verdict = {v.claim: v for v in shared}["BCE > squared hinge"]
print(f"mean advantage of BCE over squared hinge at 0.01: {verdict.mean:.4f}")
""",
        cases=(Case(),),
        atol=0.003,
        hints=(
            "The box of a box plot spans the middle half of the seeds: from the first quartile (its "
            "bottom edge) to the third quartile (its top edge). Find the squared hinge box in the middle "
            "panel and read the accuracy at both edges on the vertical axis.",
            "The top edge lies on the grid line 0.85; the bottom edge lies a little above halfway between "
            "0.83 and 0.84. The answer is the difference of the two.",
        ),
        mistakes=(
            Mistake("That is where the box sits (its median line, or one of its edges), not how tall it is. "
                    "Subtract the bottom edge from the top edge.", lambda expected: 0.844),
            Mistake("That is one edge of the box, not its height. Subtract the bottom edge from the top edge.",
                    lambda expected: 0.850),
            Mistake("That is one edge of the box, not its height. Subtract the bottom edge from the top edge.",
                    lambda expected: 0.837),
            Mistake("That is the distance between the ends of the whiskers, here all 30 seeds. The box is "
                    "the part with the rectangle: the middle half of the seeds.", lambda expected: 0.042),
        ),
    ),
    Exercise(
        label="ex-09-paired-ci",
        kind="implement",
        function="paired_ci",
        title="A confidence interval for a paired difference",
        statement=r"""
Write `paired_ci(a, b, level=0.95)`: the two-sided $t$ confidence interval,
at the given level, for the mean of the seed-by-seed differences `a - b` of
two arrays of the same length (one value per seed). Return it as
`np.array([low, high])`. `scipy.stats.t.ppf(q, df)` gives the quantile of
Student's $t$ distribution. Before you run the check, try your function on
`scores["BCE"]["test"]` and `scores["hinge"]["test"]` and compare the result
with the row "BCE > hinge" of the protocol's table at the shared rate; its
intervals are simultaneous, at the level `1 - 0.05 / 9`.
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
that the interval is about, not a single seed. At the protocol's simultaneous
level, $1 - 0.05/9$, SciPy's paired $t$-test gives the same interval as the
chapter's table (next cell).
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
level = 1 - ALPHA / len(registry.CLAIMS)
scipy_ci = stats.ttest_rel(scores["BCE"]["test"], scores["hinge"]["test"]).confidence_interval(confidence_level=level)
table_row = {v.claim: v for v in shared}["BCE > hinge"]
print(f"BCE minus hinge at the level {level:.4f}: SciPy [{scipy_ci.low:+.4f}, {scipy_ci.high:+.4f}], "
      f"the table [{table_row.low:+.4f}, {table_row.high:+.4f}]")
print(f"quantiles for two seeds: t {stats.t.ppf(0.975, 1):.1f}, normal {stats.norm.ppf(0.975):.2f}")
""",
        cases=(
            Case((np.array([0.848, 0.852, 0.842, 0.856, 0.846]), np.array([0.844, 0.846, 0.842, 0.848, 0.836])),
                 note="five seeds of two classifiers"),
            Case((np.array([0.0068, 0.0041]), np.array([0.0031, 0.0025])),
                 note="two seeds, where the t quantile is 12.7"),
            Case((np.array([0.82, 0.83, 0.81, 0.84, 0.82, 0.83, 0.80, 0.85]),
                  np.array([0.83, 0.83, 0.82, 0.82, 0.84, 0.82, 0.82, 0.84]), 0.9),
                 note="a 90 % interval"),
            Case((_A30, _B30), note="thirty seeds"),
            Case((np.array([0.010, 0.014, 0.009, 0.012]), np.array([0.013, 0.019, 0.011, 0.018])),
                 note="b is larger on every seed, so the interval lies below zero"),
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
            Mistake("Wrong ddof: d.std() divides by n. The sample standard deviation divides by n - 1: "
                    "use d.std(ddof=1).",
                    lambda expected, a, b, level=0.95: _interval(a, b, level, ddof=0)),
            Mistake("z instead of t: that is the normal quantile (1.96 for 95 %). With s_d estimated from the "
                    "same n seeds, use Student's t with n - 1 degrees of freedom: "
                    "scipy.stats.t.ppf(0.5 + level / 2, n - 1).",
                    lambda expected, a, b, level=0.95: _interval(
                        a, b, level, quantile=scipy.stats.norm.ppf(0.5 + level / 2))),
            Mistake("sqrt(n) is missing: s_d describes single seeds. The standard error of their mean is "
                    "s_d / sqrt(n).",
                    lambda expected, a, b, level=0.95: _interval(a, b, level, divisor="1")),
            Mistake("You divided by n: the standard error of a mean is s_d / sqrt(n), not s_d / n.",
                    lambda expected, a, b, level=0.95: _interval(a, b, level, divisor="n")),
            Mistake("Wrong degrees of freedom: the t quantile takes n - 1 (one is used up by the mean), "
                    "not n.", lambda expected, a, b, level=0.95: _interval(a, b, level, df=len(a))),
            Mistake("One-sided quantile: t.ppf(level) leaves all of the 1 - level outside on one side. A "
                    "two-sided interval splits it, so use t.ppf(0.5 + level / 2, n - 1).",
                    lambda expected, a, b, level=0.95: _interval(
                        a, b, level, quantile=scipy.stats.t.ppf(level, len(a) - 1))),
            Mistake("The level argument is ignored: your interval is a 95 % one. Use the quantile "
                    "t.ppf(0.5 + level / 2, n - 1).",
                    lambda expected, a, b, level=0.95: _interval(a, b, 0.95)),
            Mistake("That is the unpaired interval: it uses sqrt(s_a^2 + s_b^2), the spread of the two "
                    "columns. Pair the seeds: take the standard deviation of the differences a - b.",
                    lambda expected, a, b, level=0.95: _interval(a, b, level, spread=_unpaired_sd(a, b))),
            Mistake("The sign is flipped: the interval is for the mean of a - b, not b - a.",
                    lambda expected, a, b, level=0.95: -expected[::-1]),
        ),
    ),
    Exercise(
        label="ex-09-pairing",
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
            Mistake("The unpaired interval can only be the narrower one when the two losses' results move "
                    "in opposite directions from seed to seed. With the same start and batches, and losses "
                    "that nearly agree on small errors, they move together.", lambda expected: "unpaired"),
            Mistake("About the same would mean the two losses' results are unrelated across seeds. Huber "
                    "and log-cosh nearly agree on small errors, so one seed's two runs follow almost the "
                    "same path.", lambda expected: "about the same"),
        ),
    ),
    Exercise(
        label="ex-09-seed-budget",
        kind="by hand",
        function="seeds_for_difference",
        title="A seed budget, by hand",
        statement=r"""
Binary cross-entropy against squared hinge stayed undecided after 30 seeds at
the shared rate. Suppose their seed-by-seed differences in test accuracy had
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
            Mistake("The ratio s_d / d must be squared: the interval shrinks like 1 / sqrt(n), so n grows "
                    "with the square of s_d / d.", lambda expected: 24),
            Mistake("Far too few seeds: the ratio is s_d / d, the noise over the difference, with both in the "
                    "same units (accuracy: 0.015 and 0.005). A smaller difference must need more seeds, not "
                    "fewer.", lambda expected: 8 / 9),
            Mistake("The factor 8 is missing: (s_d / d)^2 alone is where a single standard error equals "
                    "the difference. Multiply by 8, which is (z_0.975 + z_0.8)^2.", lambda expected: 9),
            Mistake("That is about 4 (s_d / d)^2, the count at which the 95 % interval only just excludes "
                    "zero on average: a coin toss. For 80 % power use the factor 8.",
                    lambda expected: 36),
        ),
    ),
]
