"""Exercises of chapter 1, training as optimisation."""

import numpy as np

from lossbook.exercises.model import Case, Exercise, Mistake

_X2, _Y2 = np.array([1.0, 2.0]), np.array([2.0, 3.0])

EXERCISES = [
    Exercise(
        label="ex-01-step",
        kind="by hand",
        function="one_step",
        title="One step by hand",
        statement=r"""
The one-weight model $\hat y = w x$ with the mean squared error
$L(w) = \frac{1}{n} \sum_{i} (w x_i - y_i)^2$ sees two examples,
$x = (1, 2)$ and $y = (2, 3)$. Starting from $w_0 = 1$ with learning rate
$\eta = 0.1$, work out by hand the derivative $L'(w_0)$ and the weight $w_1$
after one step of gradient descent. Return $w_1$ from `one_step()`, then run the check; the cell after it takes the same step with `optim.gradient_descent`.
""",
        explanation=r"""
With $n = 2$, $L'(w) = \frac{2}{2} \big[ x_1 (w x_1 - y_1) + x_2 (w x_2 - y_2) \big]$.
At $w_0 = 1$ both residuals $w x_i - y_i$ are $-1$, so
$L'(1) = 1 \cdot (-1) + 2 \cdot (-1) = -3$ and
$w_1 = w_0 - \eta L'(w_0) = 1 - 0.1 \cdot (-3) = 1.3$. The derivative is
negative, so the step increases $w$, towards the best slope.
""",
        solution='''\
def one_step():
    """The weight w1 after one step of gradient descent, worked out by hand."""
    return 1.3
''',
        demo=r"""
x_two, y_two = np.array([1.0, 2.0]), np.array([2.0, 3.0])
first_step = optim.gradient_descent(lambda w: 2 * np.mean(x_two * (w * x_two - y_two)), 1.0, learning_rate=0.1, steps=1)
print(f"L'(1) = {2 * np.mean(x_two * (x_two - y_two)):.1f}; w1 = {first_step[-1]:.1f}")
""",
        cases=(Case(),),
        atol=0.005,
        hints=(
            "The derivative is L'(w) = (2/n) * sum of x_i (w x_i - y_i); evaluate it at w = 1 with n = 2.",
            "At w = 1 the residuals w x_i - y_i are (1 - 2, 2 - 3) = (-1, -1).",
            "L'(1) = (2/2) * (1 * (-1) + 2 * (-1)) = -3, and w1 = w0 - eta * L'(w0).",
        ),
        mistakes=(
            Mistake(
                "You stepped uphill: gradient descent subtracts the derivative, w1 = w0 - eta * L'(w0). "
                "L'(1) is negative here, so the step increases w.",
                lambda expected: 0.7,
            ),
            Mistake(
                "The factor 2 is missing: the derivative of (w x - y)^2 with respect to w is 2 x (w x - y).",
                lambda expected: 1.15,
            ),
            Mistake(
                "Wrong reduction: L is the mean over the two examples, so its derivative carries the "
                "factor 1/n = 1/2. You used the sum.",
                lambda expected: 1.6,
            ),
            Mistake(
                "The chain rule is missing its inner derivative: the derivative of w x with respect to "
                "w is x, so each residual is multiplied by its x_i.",
                lambda expected: 1.2,
            ),
        ),
    ),
    Exercise(
        label="ex-01-line-grad",
        kind="implement",
        function="line_gradient",
        title="The gradient of a line",
        statement=r"""
Give the model an intercept: $\hat y = a x + b$, with the loss
$L(a, b) = \frac{1}{n} \sum_{i} (a x_i + b - y_i)^2$. Derive the two partial
derivatives $\partial L / \partial a$ and $\partial L / \partial b$, and write
`line_gradient(a, b, x, y)` that returns them as one array, $a$ first, for
NumPy arrays `x` and `y`. Before running the check you can compare your function
with `optim.numerical_gradient`, as this chapter did for its own gradients.
""",
        points=2,
        explanation=r"""
With the residuals $r_i = a x_i + b - y_i$, the chain rule gives

$$
\frac{\partial L}{\partial a} = \frac{2}{n} \sum_{i} r_i x_i ,
\qquad
\frac{\partial L}{\partial b} = \frac{2}{n} \sum_{i} r_i .
$$

The slope's derivative weights each residual by its $x_i$; the intercept's
weights them all by 1.
""",
        solution='''\
def line_gradient(a, b, x, y):
    """Gradient (dL/da, dL/db) of the mean squared error of the line a * x + b."""
    residual = a * x + b - y
    return np.array([2 * np.mean(residual * x), 2 * np.mean(residual)])
''',
        cases=(
            Case((1.0, 0.0, _X2, _Y2), note="the two examples of the previous exercise"),
            Case((0.5, 1.0, np.array([-1.0, 0.0, 2.0, 3.0]), np.array([0.0, 1.0, 1.0, 4.0]))),
            Case(
                (2.0, 1.0, np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])),
                note="the line through every point, where the gradient is zero",
            ),
            Case((-2.0, 0.5, np.linspace(-1.0, 1.0, 5), np.array([0.3, -0.2, 0.9, 1.4, 0.6]))),
            Case((0.0, 0.0, np.array([3.0]), np.array([-1.0])), note="a single example"),
        ),
        hints=(
            "Write the residuals r_i = a x_i + b - y_i first. Then dL/da = (2/n) sum r_i x_i and dL/db = (2/n) sum r_i.",
            "np.mean already divides by n, so 2 * np.mean(r * x) is dL/da. Return both partial "
            "derivatives in one array, a first: np.array([dL_da, dL_db]).",
        ),
        common=("sign", "sum"),
        mistakes=(
            Mistake(
                "The factor 2 from differentiating the square is missing in both partial derivatives.",
                lambda expected, *args: expected / 2,
            ),
            Mistake(
                "The two partial derivatives are in the wrong order: return (dL/da, dL/db).",
                lambda expected, *args: expected[::-1],
            ),
            Mistake(
                "dL/da lacks the inner derivative x_i: the chain rule multiplies each residual by x_i "
                "for the slope a, by 1 for the intercept b.",
                lambda expected, a, b, x, y: np.array([expected[1], expected[1]]),
            ),
        ),
    ),
    Exercise(
        label="ex-01-eta",
        kind="predict",
        function="predicted_path",
        title="Predict the path",
        statement=r"""
Run gradient descent on the slope loss of this chapter again, now with the
learning rate $\eta = 0.75 \times 2 / L''$, three quarters of the stability
limit. Before you run it, predict what the weight will do: `"creep"` (approach
$w^\star$ from one side, never crossing it), `"land"` (reach it in one step),
`"oscillate"` (jump from side to side while closing in) or `"diverge"`. Return
your prediction from `predicted_path()`, run the check, and then the experiment in the cell after it.
""",
        choices=("creep", "land", "oscillate", "diverge"),
        explanation=r"""
Each step multiplies the distance to $w^\star$ by $1 - \eta L''$, here
$1 - 0.75 \times 2 = -0.5$. The negative sign moves the weight to the other
side of $w^\star$ at every step, and the size $0.5 < 1$ halves the distance:
the path oscillates and converges.
""",
        solution='''\
def predicted_path():
    """One of "creep", "land", "oscillate", "diverge"."""
    return "oscillate"
''',
        demo=r"""
eta_path = optim.gradient_descent(slope_grad, -1.0, learning_rate=0.75 * limit, steps=6)
for step, w in enumerate(eta_path):
    print(f"step {step}: w - w* = {w - w_star:+.4f}")
""",
        cases=(Case(),),
        hints=(
            "On this parabola each step multiplies the distance to w* by the factor 1 - eta * L''.",
            "With eta = 1.5 / L'' the factor is 1 - 1.5 = -0.5. What does a negative factor of size "
            "below 1 do to the sign and the size of w - w*?",
        ),
        mistakes=(
            Mistake(
                "Creeping needs a factor 1 - eta * L'' between 0 and 1, i.e. eta below 1 / L''. "
                "Here eta is 1.5 / L'': work out the factor.",
                lambda expected: "creep",
            ),
            Mistake(
                "Landing in one step needs the factor 1 - eta * L'' to be exactly 0, i.e. eta = 1 / L''. "
                "Here eta is 1.5 times that.",
                lambda expected: "land",
            ),
            Mistake(
                "Divergence needs the factor 1 - eta * L'' to exceed 1 in size, i.e. eta above 2 / L''. "
                "Here eta is 0.75 of that limit.",
                lambda expected: "diverge",
            ),
        ),
    ),
]
