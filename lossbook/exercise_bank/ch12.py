"""Exercises of chapter 12, what a regression loss estimates: quantiles, counts and a learned variance."""

import math

import numpy as np

from lossbook.exercises.model import Case, Exercise, Mistake


def _pinball(y, y_hat, q):
    error = y - y_hat
    return float(np.mean(np.maximum(q * error, (q - 1.0) * error)))


def _scores(y, lower, upper):
    return np.sort(np.maximum(lower - y, y - upper))


def _kth(scores, k):
    """The k-th smallest score, k counted from 1 and kept inside the array (a mistake may ask for one too many)."""
    return float(scores[min(max(k, 1), scores.size) - 1])


_CAL_Y = np.array([0.3, 1.2, -0.5, 2.0, 0.9, 0.1, 1.7, -1.1, 0.6, 2.6])
_WIDE_Y = np.array([0.2, -0.4, 0.5, 0.1, -0.2, 0.3, 0.0])
_ROWS_Y = np.array([1.0, 3.5, 2.2, 0.4, 4.1, 2.9, 1.8, 3.3, 0.9, 2.6, 1.5, 3.9, 0.2, 2.0, 3.0])
_ROWS_LOW = np.array([0.5, 2.0, 2.5, 0.0, 3.0, 2.0, 1.0, 3.5, 1.2, 2.0, 1.0, 3.0, 0.5, 1.5, 2.2])


EXERCISES = [
    Exercise(
        label="ex-12-pinball-by-hand",
        kind="by hand",
        function="pinball_by_hand",
        title="The pinball loss of three rows",
        statement=r"""
Three targets are 2, 5 and 9, and a model predicts 6 for each of them as its
0.9 quantile. Work out by hand the mean pinball loss at $q = 0.9$, with
$e = y - \hat y$ and $\ell = \max(q e, (q - 1) e)$. Return it from
`pinball_by_hand()`, run the check, and compare with `losses.pinball_loss`
in the cell after it.
""",
        explanation=r"""
The errors $y - \hat y$ are $-4$, $-1$ and $3$. The first two are
over-predictions ($e < 0$), which cost $1 - q = 0.1$ per unit:
$0.1 \cdot 4 = 0.4$ and $0.1 \cdot 1 = 0.1$. The third is an
under-prediction, which costs $q = 0.9$ per unit: $0.9 \cdot 3 = 2.7$. The
mean is $3.2 / 3 \approx 1.0667$. A 0.9 quantile should lie above about nine
targets in ten, so an under-prediction is nine times as expensive as an
over-prediction; the best constant for these three targets is the largest
one, 9, whose loss is $(0.7 + 0.4) / 3 \approx 0.3667$ (next cell).
""",
        solution='''\
def pinball_by_hand():
    """Mean pinball loss at q = 0.9 of the targets 2, 5, 9 with the prediction 6 for each."""
    return (0.1 * 4 + 0.1 * 1 + 0.9 * 3) / 3
''',
        demo=r"""
three = np.array([2.0, 5.0, 9.0])
print(f"losses.pinball_loss: {losses.pinball_loss(three, np.full(3, 6.0), quantile=0.9):.4f}")
print(f"the constant 9 instead: {losses.pinball_loss(three, np.full(3, 9.0), quantile=0.9):.4f}")
""",
        cases=(Case(),),
        atol=1e-3,
        hints=(
            "Compute e = y - y_hat for each row: -4, -1 and 3. A negative error (an over-prediction) costs "
            "(1 - q) |e|, a positive one (an under-prediction) costs q e.",
            "The three losses are 0.1 * 4, 0.1 * 1 and 0.9 * 3; the answer is their mean.",
        ),
        common=("sign", "sum"),
        examples=3,
        mistakes=(
            Mistake(
                "The weights are swapped: at q = 0.9 an under-prediction (y above y_hat) costs 0.9 per unit "
                "and an over-prediction 0.1, not the other way round.",
                lambda expected: _pinball(np.array([2.0, 5.0, 9.0]), np.full(3, 6.0), 0.1),
            ),
            Mistake(
                "Every error was weighted by q = 0.9; over-predictions cost only 1 - q = 0.1 per unit.",
                lambda expected: 0.9 * 8 / 3,
            ),
            Mistake(
                "That is the pinball loss at q = 0.5, half the absolute error. At q = 0.9 the two sides "
                "of the kink cost 0.9 and 0.1 per unit.",
                lambda expected: 0.5 * 8 / 3,
            ),
        ),
    ),
    Exercise(
        label="ex-12-pinball",
        kind="implement",
        function="pinball",
        title="Implement the pinball loss",
        statement=r"""
Write `pinball(y, y_hat, q)`: the mean pinball loss
$\frac1n \sum_i \max\bigl(q (y_i - \hat y_i), (q - 1)(y_i - \hat y_i)\bigr)$
of arrays of targets `y` and predicted quantiles `y_hat` of the same length,
for a quantile `q` strictly between 0 and 1. Compare your function with
`losses.pinball_loss` and `sklearn.metrics.mean_pinball_loss` before you run
the check.
""",
        points=2,
        explanation=r"""
With `e = y - y_hat`, `np.maximum(q * e, (q - 1) * e)` picks $q e$ where the
target lies above the prediction and $(1 - q)\lvert e \rvert$ where it lies
below; the mean over the rows comes last. The order of the subtraction
matters: with `y_hat - y` the two sides swap and the function computes the
loss at $1 - q$, whose minimiser is the other tail's quantile.
""",
        solution='''\
def pinball(y, y_hat, q):
    """Mean pinball loss of targets y and predicted q-quantiles y_hat."""
    e = y - y_hat
    return np.mean(np.maximum(q * e, (q - 1) * e))
''',
        cases=(
            Case((np.array([10.0, 10.0]), np.array([8.0, 12.0]), 0.9), note="one row under, one over"),
            Case((np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.5, 2.5, 2.5, 2.5]), 0.1)),
            Case((np.array([0.0, -1.0, 2.0]), np.array([0.0, 0.5, 1.0]), 0.75), note="a row with zero error"),
            Case((np.array([3.0]), np.array([1.0]), 0.05), note="a single row, a low quantile"),
        ),
        hints=(
            "Compute e = y - y_hat. Where e > 0 the loss is q * e, where e < 0 it is (q - 1) * e, which is "
            "positive; np.maximum(q * e, (q - 1) * e) gives both at once.",
            "np.mean(np.maximum(q * e, (q - 1) * e)) with e = y - y_hat is the whole answer.",
        ),
        common=("sign", "sum"),
        mistakes=(
            Mistake(
                "The error is reversed: with e = y_hat - y the two sides swap and you compute the loss at "
                "1 - q. Use e = y - y_hat.",
                lambda expected, y, y_hat, q: _pinball(y, y_hat, 1 - q),
            ),
            Mistake(
                "Both sides are weighted by q: an over-prediction costs (1 - q) per unit, not q.",
                lambda expected, y, y_hat, q: float(q * np.mean(np.abs(y - y_hat))),
            ),
            Mistake(
                "np.minimum picks the smaller branch, which is never positive. The pinball loss takes the "
                "larger one, np.maximum.",
                lambda expected, y, y_hat, q: float(np.mean(np.minimum(q * (y - y_hat), (q - 1) * (y - y_hat)))),
            ),
        ),
    ),
    Exercise(
        label="ex-12-conformal",
        kind="implement",
        function="cqr_margin",
        title="Conformalise an interval",
        statement=r"""
A quantile model gives each row an interval `[lower, upper]` that should hold
its target with probability `coverage`, but on held-out rows it covers less.
Split-conformal quantile regression repairs it with one number, the margin
$m$, computed on calibration rows that chose nothing else: each calibration
row's score is $E_i = \max(\ell_i - y_i,\ y_i - u_i)$, and with $n$ rows
the margin is the $k$-th smallest score, $k = \lceil (n + 1)\,\text{coverage} \rceil$.
The conformalised interval of a new row is $[\ell - m,\ u + m]$. Write
`cqr_margin(y, lower, upper, coverage)` for arrays of calibration targets
and bounds of the same length; you may assume $k \le n$.
""",
        points=2,
        explanation=r"""
The score is positive for a target outside its interval (how far outside)
and negative inside (how far from the nearer bound), so a margin can also be
negative and narrow an interval that is too wide: do not clip it at 0. The
$(n + 1)$ counts the new row, which is exchangeable with the $n$
calibration rows: its score is equally likely to fall in any of the $n + 1$
gaps between the sorted scores, so it lies at or below the $k$-th smallest
with probability $k / (n + 1) \ge$ `coverage`. Rounding down, or using $n$
instead of $n + 1$, or an interpolated `np.quantile`, gives up that
guarantee; `np.sort(scores)[k - 1]` is the $k$-th smallest, counted from 1.
""",
        solution='''\
def cqr_margin(y, lower, upper, coverage):
    """Split-conformal margin: the ceil((n + 1) * coverage)-th smallest of max(lower - y, y - upper)."""
    scores = np.maximum(lower - y, y - upper)
    k = int(np.ceil((len(y) + 1) * coverage))
    return np.sort(scores)[k - 1]
''',
        demo=r"""
y_cal = DIABETES[0]["calibration"][1]
low_cal, high_cal = (b[0] for b in D_BOUNDS["boosting"]["calibration"])
margin = intervals.conformal_margin(y_cal, low_cal, high_cal, coverage=LEVEL)
print(f"boosting on the first diabetes split: intervals.conformal_margin {margin:.3f} on {y_cal.size} calibration rows")
print(f"its test coverage {D_COVER['boosting'][0]:.3f} before, {D_COVER['boosting + CQR'][0]:.3f} after")
""",
        cases=(
            Case((_CAL_Y, np.zeros(10), np.ones(10), 0.8), note="n = 10 rows, (n + 1) * 0.8 = 8.8"),
            Case((_WIDE_Y, np.full(7, -5.0), np.full(7, 5.0), 0.5), note="an interval far too wide: a negative margin"),
            Case((_ROWS_Y, _ROWS_LOW, _ROWS_LOW + 1.0, 0.9), note="n = 15 rows, k = n: the largest score"),
            Case((_CAL_Y[:4], np.zeros(4), np.ones(4), 0.5), note="n = 4 rows, (n + 1) * 0.5 = 2.5"),
        ),
        hints=(
            "Compute every calibration row's score, np.maximum(lower - y, y - upper), sort the scores, and "
            "take the k-th smallest with k = ceil((n + 1) * coverage), counted from 1.",
            "With scores sorted by np.sort, the k-th smallest is np.sort(scores)[k - 1]; "
            "k = int(np.ceil((len(y) + 1) * coverage)).",
        ),
        mistakes=(
            Mistake(
                "The level misses the (n + 1) correction: k = ceil(n * coverage) is one row short of the "
                "guarantee. The new row makes n + 1; use k = ceil((n + 1) * coverage).",
                lambda expected, y, lower, upper, c: _kth(_scores(y, lower, upper), math.ceil(len(y) * c)),
            ),
            Mistake(
                "k was rounded down. The margin must reach at least (n + 1) * coverage of the scores: "
                "round up, k = ceil((n + 1) * coverage).",
                lambda expected, y, lower, upper, c: _kth(_scores(y, lower, upper), math.floor((len(y) + 1) * c)),
            ),
            Mistake(
                "np.quantile interpolates between scores at the level coverage, without the (n + 1) "
                "correction. Take the k-th smallest score itself, k = ceil((n + 1) * coverage).",
                lambda expected, y, lower, upper, c: float(np.quantile(np.maximum(lower - y, y - upper), c)),
            ),
            Mistake(
                "The score's sign is flipped: max(y - lower, upper - y) measures how far inside, not how far "
                "outside. Use max(lower - y, y - upper), positive for a target outside the interval.",
                lambda expected, y, lower, upper, c: _kth(np.sort(np.maximum(y - lower, upper - y)), math.ceil((len(y) + 1) * c)),
            ),
            Mistake(
                "The scores were clipped at 0, so the margin can never narrow an interval that is too wide. "
                "Keep the negative scores of targets inside their interval.",
                lambda expected, y, lower, upper, c: max(expected, 0.0),
            ),
            Mistake(
                "Off by one: np.sort(scores)[k] is the (k + 1)-th smallest. Index with k - 1.",
                lambda expected, y, lower, upper, c: _kth(_scores(y, lower, upper), math.ceil((len(y) + 1) * c) + 1),
            ),
        ),
    ),
    Exercise(
        label="ex-12-quartile-coverage",
        kind="predict",
        function="quartile_coverage",
        title="Coverage of the true quartiles where the noise is largest",
        statement=r"""
Replace the networks of this chapter by the truth: for every test row of the
first heteroscedastic draw take the true 0.25 and 0.75 quantiles of $y$ given $x$,
$\sin x \pm 0.674\,\sigma(x)$. Predict the share of the test rows with
$x \ge 1$, where the noise is largest, whose target lies between the two, to
two decimals. Return your prediction from `quartile_coverage()`, run the
check, and then the computation in the cell after it.
""",
        explanation=r"""
Given $x$, the target is normal with mean $\sin x$ and standard deviation
$\sigma(x)$, so it lies between its own 0.25 and 0.75 quantiles with
probability $0.75 - 0.25 = 0.5$, whatever $\sigma(x)$ is. A large noise
widens the interval, not its coverage. On a finite test half the share is
$0.5$ up to sampling noise (about $\sqrt{0.25 / 170} \approx 0.04$ for the
roughly 170 rows of a 500-row test part with $x \ge 1$). A band of constant
width, such as $\pm 2$ RMSE, is what
loses coverage where the noise is large.
""",
        solution='''\
def quartile_coverage():
    """Share of the test rows with x >= 1 between the true 0.25 and 0.75 quantiles."""
    return 0.75 - 0.25  # the probability between the two quartiles, whatever sigma(x) is
''',
        demo=r"""
z75 = scipy_stats.norm.ppf(0.75)
inside = np.abs(Y_TEST - true_mean(X_TEST)) <= z75 * true_sigma(X_TEST)
for name, rows in THIRDS.items():
    print(f"{name}: share between the true quartiles {inside[0][rows[0]].mean():.3f} ({rows[0].sum()} rows of the "
          f"first draw); {inside[rows].mean():.3f} over all {SEEDS} draws")
""",
        cases=(Case(),),
        atol=0.06,
        hints=(
            "Given x, the target is normal with mean sin x and standard deviation sigma(x). What is the "
            "probability that a normal variable lies between its own 0.25 and 0.75 quantiles?",
            "The probability between two quantiles is the difference of their levels; sigma(x) only sets how "
            "wide the interval is.",
        ),
        mistakes=(
            Mistake(
                "That is the share below the upper quartile. The interval also excludes the quarter below the lower quartile.",
                lambda expected: 0.75,
            ),
            Mistake(
                "That is the share outside one side only. Between the 0.25 and 0.75 quantiles lies "
                "0.75 - 0.25 of the probability.",
                lambda expected: 0.25,
            ),
            Mistake(
                "0.674 is the z-value of the 0.75 quantile, not a probability. The probability between "
                "the quartiles is 0.75 - 0.25.",
                lambda expected: 0.674,
            ),
        ),
    ),
    Exercise(
        label="ex-12-read-sigma",
        kind="read a plot",
        function="sigma_at_minus_three",
        title="Reading the learned noise level",
        statement=r"""
In {numref}`fig-12-sigma`, read the standard deviation that most networks
trained with the Gaussian negative log-likelihood predict at the left edge,
$x = -3$, where the noise is smallest. Return the value of the bundle (the
typical network, not an outlier) from `sigma_at_minus_three()` (the check
accepts readings within 20 %), run the check, and compare with the value the
cell after it computes.
""",
        explanation=r"""
At $x = -3$ most learned curves start clearly above the dashed true curve,
at about 0.22, against the true $0.1 + 0.25 \cdot 0 = 0.10$: the
networks overestimate the smallest noise level. A small $\sigma$ pays off in
the loss only once the mean fits to well within it, and at the small
learning rate the validation chose, training stops before that. The
network's second output is the log-variance $s$; the figure shows
$e^{s/2}$.
""",
        solution='''\
def sigma_at_minus_three():
    """The learned standard deviation at x = -3, read from the figure."""
    return 0.22
''',
        demo=r"""
at_left = np.exp(gauss.logits(np.array([[-3.0]]))[:, 0, 1] / 2)
print(f"learned sigma at x = -3: median over draws {np.median(at_left):.2f}; true {true_sigma(-3.0):.2f}")
""",
        cases=(Case(),),
        rtol=0.2,
        hints=(
            "Find x = -3, the left edge of the horizontal axis, and read where the bundle of blue curves starts; "
            "the dashed line is the true sigma, which the curves do not follow there.",
            "The curves start between the grid lines 0.0 and 0.5, clearly above the dashed line.",
        ),
        mistakes=(
            Mistake(
                "That is about the variance, sigma squared. The figure shows the standard deviation sigma = exp(s / 2).",
                lambda expected: expected**2,
            ),
            Mistake(
                "That is the true sigma at x = -3, 0.1 + 0.25 * 0, not the learned one. Read the blue curves, "
                "which lie above the dashed line there.",
                lambda expected: 0.10,
            ),
            Mistake(
                "That is twice sigma, the half-width of a 95 % band. The figure shows sigma itself.",
                lambda expected: 2 * expected,
            ),
        ),
    ),
]
