"""Exercises of chapter 7, outliers and the Huber threshold."""

from lossbook.exercises.model import Case, Exercise, Mistake

EXERCISES = [
    Exercise(
        label="ex-07-mean-median",
        kind="by hand",
        function="best_constants",
        title="One outlier, two best constants",
        statement=r"""
Five training targets are 1, 2, 3, 4 and 100; the last one is a typing error
for 10. A model that can only predict one constant $c$ for every row is
trained on them. Work out by hand the best $c$ under the mean absolute error
and the best $c$ under the mean squared error. Return both, in that order, as
a tuple from `best_constants()`, for example `return 2.0, 5.0`, run the
check, and then compare with the search over constants in the cell after it.
""",
        explanation=r"""
The mean absolute error of a constant is smallest at the median of the
targets, and the mean squared error at their mean, as
{doc}`01_training_as_optimisation` showed. The median of 1, 2, 3, 4, 100 is
the middle value, 3: moving $c$ away from it brings it closer to fewer
targets than it moves it away from. The mean is $110 / 5 = 22$, larger than
four of the five targets. Had the last target been the 10 that was meant, the
median would still be 3 and the mean would be 4: one bad row moves the mean
by 18 and leaves the median where it was (next cell). This is why the
absolute error, and the Huber loss beyond $\delta$, hold on where the squared
error chases the outliers.
""",
        solution='''\
def best_constants():
    """The best constant prediction for the targets 1, 2, 3, 4, 100: (under absolute error, under squared error)."""
    return 3.0, 22.0
''',
        demo=r"""
five_targets = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
constants = np.linspace(0.0, 100.0, 100001)
absolute = np.abs(five_targets[:, None] - constants).mean(axis=0)
squared = ((five_targets[:, None] - constants) ** 2).mean(axis=0)
print(f"lowest MAE at c = {constants[np.argmin(absolute)]:.2f}, lowest MSE at c = {constants[np.argmin(squared)]:.2f}")
fixed = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
print(f"with 10 in place of 100: median {np.median(fixed):.0f}, mean {fixed.mean():.0f}")
""",
        cases=(Case(),),
        atol=0.01,
        hints=(
            "A constant prediction c under the mean absolute error is best at the median of the targets; under "
            "the mean squared error it is best at their mean.",
            "The median of five sorted values is the third one. The mean adds all five, the 100 included, and divides by 5.",
        ),
        mistakes=(
            Mistake(
                "The order is swapped: first the best constant under the absolute error (the median), then "
                "the one under the squared error (the mean).",
                lambda expected: (22.0, 3.0),
            ),
            Mistake(
                "The outlier counts in the mean: the squared error of the row with target 100 is part of "
                "the loss, so the best constant is the mean of all five targets, 110 / 5.",
                lambda expected: (3.0, 2.5),
            ),
            Mistake(
                "The mean is what squared error wants, not the median: the row with target 100 pulls c up "
                "until the mean of all five, 22.",
                lambda expected: (3.0, 3.0),
            ),
            Mistake(
                "Absolute error is best at the median, the middle one of the sorted targets, not at their mean.",
                lambda expected: (22.0, 22.0),
            ),
            Mistake(
                "That is the middle of the range, (1 + 100) / 2, which makes the largest error as small as "
                "possible. The mean squared error is smallest at the mean.",
                lambda expected: (3.0, 50.5),
            ),
        ),
    ),
    Exercise(
        label="ex-07-outliers-doubled",
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
            Mistake(
                "The pull of a row on an MAE fit does not grow with its error: the derivative of |e| is "
                "sign(e), the same for an error of 10 and of 20.",
                lambda expected: 2.0,
            ),
            Mistake(
                "A factor near 4 is what squared error does, whose pull grows with the error. The pull "
                "of |e| is sign(e), whatever the size of e.",
                lambda expected: 4.0,
            ),
            Mistake(
                "Larger outliers do not help the MAE fit either: the derivative of |e| is sign(e), so "
                "the corrupted rows pull exactly as before.",
                lambda expected: 0.5,
            ),
        ),
    ),
    Exercise(
        label="ex-07-read-delta",
        kind="read a plot",
        function="delta_at_mse_01",
        title="Reading the delta figure",
        statement=r"""
In {numref}`fig-07-huber-delta`, the line of the network trained on the
corrupted data climbs steeply between $\delta = 1$ and $\delta = 3$. Read the
threshold $\delta$ at which it crosses a test MSE of $10^{-1}$. Both axes are
logarithmic, and the line runs straight between its points. Return your
reading from `delta_at_mse_01()` (the check accepts readings within 15 %),
and run the check.
""",
        explanation=r"""
The height $10^{-1}$ is a labelled tick of the vertical axis. Follow it to the
corrupted line: it crosses between the points at $\delta = 1$ (a test MSE of
about 0.03) and $\delta = 3$ (about 0.3), near the middle of that stretch,
which on a logarithmic axis is $\sqrt{1 \cdot 3} \approx 1.7$, not 2. The next
cell interpolates the stored points on the log scales, as the figure draws
them. Around this $\delta$ the corrupted rows' errors, about 10, start to pull
with a force the normal rows cannot balance.
""",
        solution='''\
def delta_at_mse_01():
    """The delta at which the corrupted-data line of the delta figure crosses a test MSE of 0.1."""
    return 1.72
''',
        demo=r"""
lo, hi = deltas.index(1.0), deltas.index(3.0)
log_lo, log_hi = np.log(test_mse["corrupted"][lo]), np.log(test_mse["corrupted"][hi])
crossing = np.exp((np.log(0.1) - log_lo) / (log_hi - log_lo) * np.log(3.0))
print(f"the corrupted line crosses a test MSE of 0.1 at delta = {crossing:.2f}")
""",
        cases=(Case(),),
        rtol=0.15,
        hints=(
            "Find 10^-1 on the vertical axis and go across to the line of the corrupted data; it crosses "
            "between the points at delta = 1 and delta = 3. Read the delta below the crossing.",
            "The horizontal axis is logarithmic too: the point halfway between 1 and 3 on it is sqrt(1 * 3), about 1.7, not 2.",
        ),
        mistakes=(
            Mistake(
                "That is one of the plotted points; the line crosses 0.1 between delta = 1 and delta = 3.", lambda expected: 1.0
            ),
            Mistake(
                "That is one of the plotted points; the line crosses 0.1 between delta = 1 and delta = 3.", lambda expected: 3.0
            ),
            Mistake(
                "On a logarithmic axis the point halfway between 1 and 3 is sqrt(3), about 1.7; 2 is "
                "halfway only on a linear axis.",
                lambda expected: 2.0,
            ),
        ),
    ),
]
