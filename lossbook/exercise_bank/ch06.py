"""Exercises of chapter 6, regression losses in practice."""

import numpy as np

from lossbook.exercises.model import Case, Exercise, Mistake


def _error(y_true, y_pred):
    return np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)


EXERCISES = [
    Exercise(
        label="ex-06-huber-by-hand",
        kind="by hand",
        function="huber_by_hand",
        title="The Huber loss by hand",
        statement=r"""
A model makes errors $e = \hat y - y$ of 0.5, $-2$ and 3 on a batch of three
examples. Work out by hand their mean Huber loss with $\delta = 1$, using the
formula at the start of the chapter. Return it, to three decimals, from
`huber_by_hand()` (the check accepts answers within 0.01), then run the check, and compare with `losses.huber` in the cell after it.
""",
        explanation=r"""
The error 0.5 lies inside $[-\delta, \delta]$ and costs $\frac12 \cdot 0.5^2 = 0.125$.
The errors $-2$ and 3 lie beyond $\delta$ and cost
$\delta(\lvert e \rvert - \frac12 \delta)$: $2 - 0.5 = 1.5$ and $3 - 0.5 = 2.5$.
The mean is $4.125 / 3 = 1.375$. Half the squared error would give 2 and 4.5
for the two large errors: beyond $\delta$ the Huber loss grows only linearly.
""",
        solution='''\
def huber_by_hand():
    """The mean Huber loss (delta = 1) of the errors 0.5, -2 and 3; worked out by hand."""
    return 1.375
''',
        demo=r"""
three_errors = np.array([0.5, -2.0, 3.0])
print("per example:", np.round(losses.huber(np.zeros(3), three_errors, reduction="none"), 3))
print(f"mean: {losses.huber(np.zeros(3), three_errors):.3f}; half the squared error of -2 and 3: "
      f"{0.5 * 2.0 ** 2:.1f} and {0.5 * 3.0 ** 2:.1f}")
""",
        cases=(Case(),),
        atol=0.01,
        hints=(
            "Take the errors one at a time. |0.5| is at most delta = 1, so that example costs e^2 / 2; "
            "|-2| and |3| are beyond delta, so they cost delta * (|e| - delta / 2).",
            "The three losses are 0.125, 1.5 and 2.5. The loss of the batch is their mean.",
        ),
        mistakes=(
            Mistake("Beyond delta the Huber loss is no longer e^2 / 2 but the straight line "
                    "delta * (|e| - delta / 2): the errors -2 and 3 cost 1.5 and 2.5.",
                    lambda expected: (0.125 + 2.0 + 4.5) / 3),
            Mistake("Beyond delta the loss is delta * (|e| - delta / 2): the line starts where the parabola "
                    "ends, so subtract delta / 2 from |e| (before multiplying by delta).",
                    lambda expected: (0.125 + 2.0 + 3.0) / 3),
            Mistake("Inside [-delta, delta] the Huber loss is half the squared error: 0.5 costs 0.125, "
                    "not 0.25.", lambda expected: (0.25 + 1.5 + 2.5) / 3),
            Mistake("That is the mean absolute error. The Huber loss is e^2 / 2 for small errors and "
                    "delta * (|e| - delta / 2) for large ones.", lambda expected: (0.5 + 2.0 + 3.0) / 3),
            Mistake("Wrong reduction: you summed the three losses; the loss of a batch is their mean.",
                    lambda expected: 3 * expected),
        ),
    ),
    Exercise(
        label="ex-06-huber-grad",
        kind="implement",
        function="huber_gradient",
        title="The gradient of the Huber loss",
        statement=r"""
Write `huber_gradient(y_true, y_pred, delta=1.0)`: the gradient of the mean
Huber loss $\frac1n \sum_i \ell_\delta(\hat y_i - y_i)$ with respect to the
predictions, for 1-D arrays `y_true` and `y_pred` of the same length. The
section on $\delta$ gives its form for one example. Compare your function with
`losses.huber_grad(y_true, y_pred, delta=delta)` before you run the check.
""",
        points=2,
        explanation=r"""
For one example the derivative is the error $e = \hat y - y$ where
$\lvert e \rvert \le \delta$ and $\pm\delta$ beyond, which is
`np.clip(y_pred - y_true, -delta, delta)`. The loss is a mean over the $n$
examples, so each component is divided by $n$. Without the clip you get the
gradient of half the squared error, which lets an outlier pull in proportion
to its error; with `np.sign` instead of the clip you get the gradient of the
mean absolute error, which pulls as hard on an error of 0.01 as on one of 10.
""",
        solution='''\
def huber_gradient(y_true, y_pred, delta=1.0):
    """Gradient of the mean Huber loss with respect to the predictions y_pred."""
    return np.clip(y_pred - y_true, -delta, delta) / len(y_pred)
''',
        lead=r"""
print("losses.huber_grad, errors 0.5, -0.2, 3, -7:", np.round(losses.huber_grad(np.zeros(4), np.array([0.5, -0.2, 3.0, -7.0])), 4))
""",
        cases=(
            Case((np.zeros(4), np.array([0.5, -0.2, 3.0, -7.0])), note="errors inside and beyond delta = 1"),
            Case((np.array([1.0, 2.0, -1.0]), np.array([1.2, 0.5, -1.0]), 0.3), note="delta = 0.3"),
            Case((np.zeros(2), np.array([2.5, -4.0]), 3.0), note="delta = 3"),
            Case((np.array([5.0]), np.array([-5.0])), note="one example, predicted far too low"),
            Case((np.array([0.3, -0.4, 1.1, 2.0, 0.0]), np.array([0.1, 0.6, 1.0, -1.5, 0.05]))),
        ),
        hints=(
            "For one example the derivative of e^2 / 2 is the error e = y_pred - y_true, and the derivative "
            "of delta * (|e| - delta / 2) is delta * sign(e). Together: the error, clipped to [-delta, delta].",
            "np.clip(y_pred - y_true, -delta, delta) is the derivative of each example's loss. The loss is "
            "the mean over the n examples, so divide by n = len(y_pred).",
        ),
        common=("sign", "sum"),
        mistakes=(
            Mistake("The error is not clipped: that is the gradient of e^2 / 2 everywhere. Beyond delta the "
                    "slope stays at +delta or -delta: use np.clip(error, -delta, delta).",
                    lambda expected, y_true, y_pred, delta=1.0: (y_pred - y_true) / len(y_pred)),
            Mistake("You clipped at -1 and 1 whatever delta is. The bounds are -delta and delta.",
                    lambda expected, y_true, y_pred, delta=1.0: np.clip(y_pred - y_true, -1, 1) / len(y_pred)),
            Mistake("That is the gradient of the mean absolute error, sign(e) / n. Inside [-delta, delta] the "
                    "Huber loss is e^2 / 2, whose derivative is the error itself.",
                    lambda expected, y_true, y_pred, delta=1.0: np.sign(y_pred - y_true) / len(y_pred)),
            Mistake("The factor 2 is too much: the quadratic part of the Huber loss is e^2 / 2, whose "
                    "derivative is e, not 2e.", lambda expected, *args: 2 * expected),
        ),
    ),
    Exercise(
        label="ex-06-outliers-doubled",
        kind="predict",
        function="mae_outlier_ratio",
        title="Outliers twice as far",
        statement=r"""
In the section on outliers, 10 training targets were moved up by 10
standard deviations, and the network trained with the mean absolute error
stayed close to the clean targets. Move the same 10 rows up by 20 standard
deviations instead and train the MAE network again, from the same initial
weights with the same batches. Predict the ratio of its test MSE to that of
the +10 run, to one decimal. Return your prediction from
`mae_outlier_ratio()`, run the check, and then the experiment in the cell after it, which trains MAE and, for comparison, MSE on the new data.
""",
        explanation=r"""
The derivative of $\lvert \hat y - y \rvert$ with respect to the prediction is
$\operatorname{sign}(\hat y - y)$, whatever the size of the error. The MAE
network stays close to the clean targets, so on every corrupted row its
prediction lies far below the corrupted target: by more than 9 in the +10
run, and by 10 more in the +20 run. The sign is $-1$ in both runs. Every step then receives the same gradient, the
weights follow the same path, and the test MSE is the same: the ratio is 1.0.
The squared error's pull grows with the error, and its test MSE grows about
fourfold. The Huber loss with $\delta = 1$ behaves like MAE here, since its
derivative is clipped at $\delta$ and the corrupted rows' errors stay far
beyond it.
""",
        solution='''\
def mae_outlier_ratio():
    """Test MSE of MAE with outliers of +20, divided by that with outliers of +10; to one decimal."""
    return 1.0
''',
        demo=r"""
doubled = data.with_outliers(split, count=10, scale=20.0)
print(f"same rows corrupted: {np.array_equal(np.flatnonzero(doubled.y_train != split.y_train), corrupted)}")
mae_pred = dirty_fits["MAE"][0].predict(dirty.x_train[corrupted], verbose=0)[:, 0]
print(f"+10 run, MAE: every prediction more than 9 below its corrupted target: "
      f"{np.max(mae_pred - dirty.y_train[corrupted]) < -9}")
for label in ["MAE", "MSE"]:
    mse_10 = dirty_fits[label][1].final()["test"]["mse"]
    mse_20 = train(NAMES[label], doubled)[1].final()["test"]["mse"]
    print(f"{label}: test MSE with +20 outliers / with +10: {mse_20 / mse_10:.2f}")
    if label == "MSE":
        print(f"     ({mse_10:.4f} with +10, {mse_20:.4f} with +20)")
""",
        cases=(Case(),),
        atol=0.05,
        hints=(
            "What does one corrupted row contribute to the gradient of the mean absolute error? Its "
            "derivative with respect to the prediction is sign(y_hat - y) / n.",
            "The MAE network stays close to the clean targets, so on a corrupted row the prediction is far "
            "below the target, by about 10 or by about 20. Does the sign of that error change?",
        ),
        mistakes=(
            Mistake("The pull of a row on an MAE fit does not grow with its error: the derivative of |e| is "
                    "sign(e), the same for an error of 10 and of 20.", lambda expected: 2.0),
            Mistake("A factor near 4 is what squared error does, whose pull grows with the error. The pull "
                    "of |e| is sign(e), whatever the size of e.", lambda expected: 4.0),
            Mistake("Larger outliers do not help the MAE fit either: the derivative of |e| is sign(e), so "
                    "the corrupted rows pull exactly as before.", lambda expected: 0.5),
        ),
    ),
    Exercise(
        label="ex-06-read-delta",
        kind="read a plot",
        function="delta_10_ratio",
        title="Reading the delta figure",
        statement=r"""
In {numref}`fig-06-huber-delta`, look at the largest threshold, $\delta = 10$.
About how many times larger is the test MSE of the network trained on the
corrupted data than that of the network trained on clean data? Read it from
the figure (both axes are logarithmic), return it from `delta_10_ratio()`
(the check accepts readings within 50 %), and run the check.
""",
        explanation=r"""
At $\delta = 10$ the clean line ends a little above $10^{-2}$, at about
0.012, and the corrupted line between $10^0$ and $10^1$, at about 2.7. The
two points are a little more than two powers of ten apart: the ratio is
about 220. The table printed above the figure gives 2.6571 and 0.0116, a
ratio of 230: with a threshold that large, the Huber loss is half the
squared error and lets the outliers in.
""",
        solution='''\
def delta_10_ratio():
    """How many times the corrupted-data test MSE exceeds the clean one at delta = 10, read from the figure."""
    return 220.0
''',
        demo=r"""
print(f"delta = 10: corrupted {test_mse['corrupted'][-1]:.4f} / clean {test_mse['clean'][-1]:.4f} "
      f"= {test_mse['corrupted'][-1] / test_mse['clean'][-1]:.0f}")
""",
        cases=(Case(),),
        rtol=0.5,
        hints=(
            "Find delta = 10, the last point of each line. Both axes are logarithmic: each labelled power of "
            "ten on the vertical axis is ten times the one below it.",
            "The clean point lies a little above 10^-2, the corrupted one between 10^0 and 10^1, about a "
            "quarter of the way up. Divide the upper value by the lower one.",
        ),
        mistakes=(
            Mistake("That is ten times too small: between the two points at delta = 10 lie a little over "
                    "two powers of ten on the vertical axis (from about 0.01 to about 2.5).",
                    lambda expected: expected / 10),
            Mistake("That is ten times too large: the corrupted point lies between 10^0 = 1 and 10^1 = 10, "
                    "the clean one just above 10^-2 = 0.01.", lambda expected: expected * 10),
            Mistake("The question asks for the ratio of the two test MSEs at delta = 10, not their difference "
                    "or their ratio at another delta: the two points are two powers of ten apart.",
                    lambda expected: 2.45),
        ),
    ),
]
