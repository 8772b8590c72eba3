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
            Mistake(
                "Beyond delta the Huber loss is no longer e^2 / 2 but the straight line "
                "delta * (|e| - delta / 2): the errors -2 and 3 cost 1.5 and 2.5.",
                lambda expected: (0.125 + 2.0 + 4.5) / 3,
            ),
            Mistake(
                "Beyond delta the loss is delta * (|e| - delta / 2): the line starts where the parabola "
                "ends, so subtract delta / 2 from |e| (before multiplying by delta).",
                lambda expected: (0.125 + 2.0 + 3.0) / 3,
            ),
            Mistake(
                "Inside [-delta, delta] the Huber loss is half the squared error: 0.5 costs 0.125, not 0.25.",
                lambda expected: (0.25 + 1.5 + 2.5) / 3,
            ),
            Mistake(
                "That is the mean absolute error. The Huber loss is e^2 / 2 for small errors and "
                "delta * (|e| - delta / 2) for large ones.",
                lambda expected: (0.5 + 2.0 + 3.0) / 3,
            ),
            Mistake(
                "Wrong reduction: you summed the three losses; the loss of a batch is their mean.", lambda expected: 3 * expected
            ),
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
predictions, for 1-D arrays `y_true` and `y_pred` of the same length. For
one example, differentiate each branch of the formula at the start of the
chapter. Compare your function with
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
            Mistake(
                "The error is not clipped: that is the gradient of e^2 / 2 everywhere. Beyond delta the "
                "slope stays at +delta or -delta: use np.clip(error, -delta, delta).",
                lambda expected, y_true, y_pred, delta=1.0: (y_pred - y_true) / len(y_pred),
            ),
            Mistake(
                "You clipped at -1 and 1 whatever delta is. The bounds are -delta and delta.",
                lambda expected, y_true, y_pred, delta=1.0: np.clip(y_pred - y_true, -1, 1) / len(y_pred),
            ),
            Mistake(
                "That is the gradient of the mean absolute error, sign(e) / n. Inside [-delta, delta] the "
                "Huber loss is e^2 / 2, whose derivative is the error itself.",
                lambda expected, y_true, y_pred, delta=1.0: np.sign(y_pred - y_true) / len(y_pred),
            ),
            Mistake(
                "The factor 2 is too much: the quadratic part of the Huber loss is e^2 / 2, whose derivative is e, not 2e.",
                lambda expected, *args: 2 * expected,
            ),
        ),
    ),
    Exercise(
        label="ex-06-msle-clamp",
        kind="predict",
        function="keras_msle_value",
        title="What Keras' MSLE makes of negative values",
        statement=r"""
Four standardised targets are $-1.2$, $-0.3$, $0.4$ and $2.0$, and a model
predicts $-0.5$ for every one of them. Predict the value that
`keras.losses.mean_squared_logarithmic_error` returns for these targets and
predictions, using what {ref}`msle-standardised` found about how Keras treats
values below $\epsilon = 10^{-7}$. Work it out to three decimals, return it
from `keras_msle_value()` (the check accepts answers within 0.001), run the
check, and then let Keras compute it in the cell after it.
""",
        explanation=r"""
Keras raises every value below $\epsilon = 10^{-7}$ to $\epsilon$ before it
takes $\log(1 + \cdot)$, in the targets and in the predictions alike. The
prediction $-0.5$ becomes $10^{-7}$, and so do the targets $-1.2$ and $-0.3$:
on those two rows both logarithms are $\log(1 + 10^{-7}) \approx 10^{-7}$ and
the row costs nothing, although the prediction misses $-1.2$ by 0.7. The
other two rows cost $(\log 1 - \log 1.4)^2 = 0.113$ and
$(\log 1 - \log 3)^2 = 1.207$. Keras averages over all four rows:
$1.320 / 4 = 0.330$. Without the clamp the first row would need
$\log(1 - 1.2)$, the logarithm of a negative number, which NumPy returns as
`nan`; clamping only the targets and keeping the prediction $-0.5$ would give
1.308 (next cell). On a standardised target the clamp is what makes half of
the rows free.
""",
        solution='''\
def keras_msle_value():
    """Keras' MSLE for the targets -1.2, -0.3, 0.4, 2.0 and the prediction -0.5 on every row; to three decimals."""
    return 0.330
''',
        demo=r"""
msle_targets = np.array([-1.2, -0.3, 0.4, 2.0])
msle_predictions = np.full(4, -0.5)
keras_value = float(keras.losses.mean_squared_logarithmic_error(msle_targets, msle_predictions))
per_row = (np.log1p(np.maximum(msle_predictions, losses.EPSILON)) - np.log1p(np.maximum(msle_targets, losses.EPSILON))) ** 2
print(f"Keras: {keras_value:.3f}; per row, clamped in NumPy: {np.round(per_row, 3)}, mean {per_row.mean():.3f}")
only_targets = np.mean((np.log1p(msle_predictions) - np.log1p(np.maximum(msle_targets, losses.EPSILON))) ** 2)
with np.errstate(invalid="ignore"):
    unclamped = np.mean((np.log1p(msle_predictions) - np.log1p(msle_targets)) ** 2)
print(f"prediction left unclamped: {only_targets:.3f}; nothing clamped: {unclamped}")
""",
        cases=(Case(),),
        atol=0.001,
        common=("sum",),
        examples=4,
        nonfinite_hint=(
            "Keras does not return nan here. Before it takes log(1 + value) it raises every value "
            "below epsilon = 1e-7 to epsilon, in the targets and in the predictions, so log(1 - 1.2) "
            "is never computed."
        ),
        hints=(
            "Keras replaces every value below epsilon = 1e-7 by epsilon before it takes log(1 + value), in the "
            "targets and in the prediction alike. Which of the four targets change, and what does the "
            "prediction -0.5 become?",
            "After the clamp the prediction and the first two targets are all (practically) 0, so those two "
            "rows cost nothing. The other two cost log(1.4)^2 and log(3)^2; Keras averages over all four rows.",
        ),
        mistakes=(
            Mistake(
                "The prediction is clamped too: Keras raises -0.5 to epsilon = 1e-7 before the logarithm, "
                "exactly as it does with the negative targets, so the rows with a negative target cost 0.",
                lambda expected: 1.3079,
            ),
            Mistake(
                "The rows that cost nothing still count: Keras averages over all four rows, not over the "
                "two whose loss is above 0.",
                lambda expected: 2 * expected,
            ),
            Mistake(
                "The +1 is missing: MSLE compares log(1 + prediction) with log(1 + target). Without it "
                "the clamped values give log(1e-7) = -16.1, and the loss explodes.",
                lambda expected: 128.43,
            ),
            Mistake(
                "That is the square root of the answer, the root mean squared logarithmic error. Keras' "
                "MSLE is the mean of the squared differences, without a root.",
                lambda expected: 0.5745,
            ),
            Mistake(
                "Wrong log base: that value uses log10. MSLE uses the natural logarithm, as np.log1p does.",
                lambda expected: 0.06225,
            ),
        ),
    ),
]
