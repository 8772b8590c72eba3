"""Exercises of chapter 12, what a regression loss estimates: quantiles, counts and a learned variance."""

import numpy as np

from lossbook.exercises.model import Case, Exercise, Mistake


def _pinball(y, y_hat, q):
    error = y - y_hat
    return float(np.mean(np.maximum(q * error, (q - 1.0) * error)))


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
            Mistake("The weights are swapped: at q = 0.9 an under-prediction (y above y_hat) costs 0.9 per unit "
                    "and an over-prediction 0.1, not the other way round.",
                    lambda expected: _pinball(np.array([2.0, 5.0, 9.0]), np.full(3, 6.0), 0.1)),
            Mistake("Every error was weighted by q = 0.9; over-predictions cost only 1 - q = 0.1 per unit.",
                    lambda expected: 0.9 * 8 / 3),
            Mistake("That is the pinball loss at q = 0.5, half the absolute error. At q = 0.9 the two sides "
                    "of the kink cost 0.9 and 0.1 per unit.", lambda expected: 0.5 * 8 / 3),
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
            Mistake("The error is reversed: with e = y_hat - y the two sides swap and you compute the loss at "
                    "1 - q. Use e = y - y_hat.", lambda expected, y, y_hat, q: _pinball(y, y_hat, 1 - q)),
            Mistake("Both sides are weighted by q: an over-prediction costs (1 - q) per unit, not q.",
                    lambda expected, y, y_hat, q: float(q * np.mean(np.abs(y - y_hat)))),
            Mistake("np.minimum picks the smaller branch, which is never positive. The pinball loss takes the "
                    "larger one, np.maximum.",
                    lambda expected, y, y_hat, q: float(np.mean(np.minimum(q * (y - y_hat), (q - 1) * (y - y_hat))))),
        ),
    ),
    Exercise(
        label="ex-12-quartile-coverage",
        kind="predict",
        function="quartile_coverage",
        title="Coverage of the true quartiles where the noise is largest",
        statement=r"""
Replace the networks of this chapter by the truth: for every test row of the
heteroscedastic data take the true 0.25 and 0.75 quantiles of $y$ given $x$,
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
$0.5$ up to sampling noise (about $\sqrt{0.25 / 182} \approx 0.04$ for the 182
rows with $x \ge 1$). A band of constant width, such as $\pm 2$ RMSE, is what
loses coverage where the noise is large.
""",
        solution='''\
def quartile_coverage():
    """Share of the test rows with x >= 1 between the true 0.25 and 0.75 quantiles."""
    return 0.75 - 0.25  # the probability between the two quartiles, whatever sigma(x) is
''',
        demo=r"""
z75 = scipy_stats.norm.ppf(0.75)
inside = np.abs(hetero.y_test - true_mean(x_test)) <= z75 * true_sigma(x_test)
for name, rows in THIRDS.items():
    print(f"{name}: share between the true quartiles {inside[rows].mean():.3f} ({rows.sum()} rows)")
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
            Mistake("That is the share below the upper quartile. The interval also excludes the quarter below "
                    "the lower quartile.", lambda expected: 0.75),
            Mistake("That is the share outside one side only. Between the 0.25 and 0.75 quantiles lies "
                    "0.75 - 0.25 of the probability.", lambda expected: 0.25),
            Mistake("0.674 is the z-value of the 0.75 quantile, not a probability. The probability between "
                    "the quartiles is 0.75 - 0.25.", lambda expected: 0.674),
        ),
    ),
    Exercise(
        label="ex-12-read-sigma",
        kind="read a plot",
        function="sigma_at_two",
        title="Reading the learned noise level",
        statement=r"""
In {numref}`fig-12-sigma`, read the standard deviation the networks trained
with the Gaussian negative log-likelihood predict at $x = 2$ (most seeds lie
on top of each other there). Return it from `sigma_at_two()` (the check
accepts readings within 20 %), run the check, and compare with the value the
cell after it computes.
""",
        explanation=r"""
At $x = 2$ the learned curves and the dashed true curve lie a little above
the middle between the two tick marks around them, at about $1.35$. The true
value is $0.1 + 0.25 \cdot (2 + 3) = 1.35$. The network's second output is
the log-variance $s$; the standard deviation in the figure is $e^{s/2}$, and
the variance $e^{s}$ would be about $1.8$.
""",
        solution='''\
def sigma_at_two():
    """The learned standard deviation at x = 2, read from the figure."""
    return 1.35
''',
        demo=r"""
at_two = np.exp(gauss.logits(np.array([[2.0]]))[:, 0, 1] / 2)
print(f"learned sigma at x = 2: median over seeds {np.median(at_two):.2f}; true {true_sigma(2.0):.2f}")
""",
        cases=(Case(),),
        rtol=0.2,
        hints=(
            "Find x = 2 on the horizontal axis and go up to the bundle of blue curves; the dashed line is "
            "the true sigma and most seeds lie on it.",
            "The curves cross x = 2 between the grid lines 1.0 and 1.5, a little above the middle.",
        ),
        mistakes=(
            Mistake("That is about the variance, sigma squared. The figure shows the standard deviation "
                    "sigma = exp(s / 2).", lambda expected: expected**2),
            Mistake("That is the value near x = 0. Read the curves at x = 2.", lambda expected: 0.85),
            Mistake("That is twice sigma, the half-width of a 95 % band. The figure shows sigma itself.",
                    lambda expected: 2 * expected),
        ),
    ),
]
