"""Exercises of chapter 4, choosing the loss with the output layer, and loss versus metric."""

import numpy as np

from lossbook.exercises.model import Case, Exercise, Mistake


def _hinge_terms(t, y_pred):
    return np.maximum(0, 1 - t * y_pred)


EXERCISES = [
    Exercise(
        label="ex-04-hinge",
        kind="implement",
        function="hinge_01",
        title="A hinge loss for 0/1 labels",
        statement=r"""
Write `hinge_01(y, y_pred)`: the mean hinge loss of real-valued scores
`y_pred` (the output of a linear unit, any size) for labels `y` given as 0
and 1, the way Keras accepts them. Both arguments are NumPy arrays of the same
shape. On the four examples of this chapter your function should agree with
`keras.losses.hinge`.
""",
        points=2,
        explanation=r"""
The hinge loss $\max(0, 1 - t \hat y)$ is written for $t \in \{-1, +1\}$, so
the labels are mapped first with $t = 2y - 1$. Fed 0/1 labels directly, the
formula gives every example of class 0 the loss 1, whatever is predicted, and
training could never push those predictions towards $-1$. The $\max(0, \cdot)$
matters once a score passes the margin: without it, a score of 2.5 on a
positive example would earn a negative loss, a reward for being ever more
confident. The cell after the
solution compares with Keras.
""",
        solution='''\
def hinge_01(y, y_pred):
    """Mean hinge loss of labels y in {0, 1} and real-valued scores y_pred."""
    t = 2 * y - 1
    return np.mean(np.maximum(0, 1 - t * y_pred))
''',
        lead=r"""
print(f"Keras on the chapter's four examples: {float(keras.losses.hinge(y01, y_hat).numpy().mean()):.4f}")
""",
        cases=(
            Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.3, -0.2, 0.8, -0.9])), note="the four examples of the chapter"),
            Case((np.array([1.0, 1.0]), np.array([0.5, -0.5])), note="only class 1"),
            Case((np.array([0.0, 0.0]), np.array([-0.9, 0.2])), note="only class 0"),
            Case((np.array([1.0, 0.0, 1.0]), np.array([1.8, -2.4, 1.1])), note="every margin beyond 1, so the loss is 0"),
            Case((np.array([1.0, 0.0, 1.0]), np.array([2.5, -1.7, 0.4])), note="two scores past the margin and one inside it"),
            Case((np.array([0.0, 1.0, 0.0, 1.0, 1.0]), np.array([0.1, 0.9, -0.4, -0.7, 0.0]))),
            Case(
                (np.array([1.0, 0.0, 1.0]), np.array([-2.5, 1.5, 0.6])),
                note="confident mistakes, scores beyond -1 and +1 on the wrong side",
            ),
        ),
        hints=(
            "The hinge loss max(0, 1 - t * y_pred) is written for labels t in {-1, +1}; the labels arrive "
            "as 0 and 1. Map them first: t = 2 * y - 1.",
            "Then np.maximum(0, 1 - t * y_pred) gives the loss of each example (np.maximum, not np.max, "
            "works elementwise), and np.mean averages them.",
        ),
        common=("sum",),
        mistakes=(
            Mistake(
                "Labels in the wrong set: the hinge loss expects -1 and +1, but y holds 0 and 1. With y = 0 "
                "every example of class 0 gets the loss 1 whatever is predicted. Convert with t = 2 * y - 1.",
                lambda expected, y, y_pred: np.mean(_hinge_terms(y, y_pred)),
            ),
            Mistake(
                "The max(0, ...) is missing: a score past the margin, t * y_pred > 1, must cost 0, not a "
                "negative amount. Use np.maximum(0, 1 - t * y_pred) for each example.",
                lambda expected, y, y_pred: np.mean(1 - (2 * y - 1) * y_pred),
            ),
            Mistake(
                "The scores are not bounded by 1: a linear unit's score of -2.5 on a positive example costs "
                "1 - (-2.5) = 3.5. Use y_pred as it is, without clipping it to [-1, 1].",
                lambda expected, y, y_pred: np.mean(_hinge_terms(2 * y - 1, np.clip(y_pred, -1, 1))),
            ),
            Mistake(
                "That is the squared hinge loss; the plain hinge does not square the terms.",
                lambda expected, y, y_pred: np.mean(_hinge_terms(2 * y - 1, y_pred) ** 2),
            ),
        ),
    ),
    Exercise(
        label="ex-04-worse-start",
        kind="predict",
        function="steps_from_worse_start",
        title="A worse start",
        statement=r"""
The saturated-start experiment began at the weights $(-3, -3)$, where
squared error needed hundreds of steps to reach 90% accuracy. Start it
instead at $(-4.5, -4.5)$: weights 1.5 times as large, and just as wrong.
Predict whether squared error will need `"more"`, `"fewer"` or `"the same"`
number of steps to reach 90% accuracy. Return your prediction from
`steps_from_worse_start()`, run the check, and then the experiment in the cell after it.
""",
        choices=("more", "fewer", "the same"),
        explanation=r"""
Larger weights make every logit larger in size, deeper in the flat tails of
the sigmoid, where the factor $s(1 - s)$ in the squared-error gradient is
smaller still: it shrinks roughly like $e^{-|z|}$. The plateau gets much
longer, while cross-entropy, whose gradient $s - y$ has no such factor,
barely notices the worse start.
""",
        solution='''\
def steps_from_worse_start():
    """One of "more", "fewer", "the same"."""
    return "more"
''',
        demo=r"""
for name, grad, loss in [("squared error", squared_error_grad, squared_error_of_logit),
                         ("cross-entropy", cross_entropy_grad, cross_entropy_of_logit)]:
    _, accuracies = train_logistic(grad, loss, start=np.array([-4.5, -4.5]), steps=3000)
    print(f"{name:14}: 90% accuracy after {np.flatnonzero(accuracies >= 0.9)[0]} steps from (-4.5, -4.5)")
""",
        cases=(Case(),),
        hints=(
            "The squared-error gradient carries the factor s(1 - s), the slope of the sigmoid at the example's logit.",
            "Starting weights 1.5 times larger make every logit 1.5 times larger, deeper in the flat tails "
            "of the sigmoid. What happens to s(1 - s) there, and so to the size of each step?",
        ),
        mistakes=(
            Mistake(
                "A worse start makes the logits larger, deeper in the sigmoid's flat tails, where the "
                "factor s(1 - s) in the squared-error gradient is even smaller.",
                lambda expected: "fewer",
            ),
            Mistake(
                "The plateau's length depends on how small s(1 - s) is at the start, and that factor "
                "shrinks roughly like exp(-|z|) as the logits grow.",
                lambda expected: "the same",
            ),
        ),
    ),
    Exercise(
        label="ex-04-read-gradient",
        kind="read a plot",
        function="logit_of_steepest_push",
        title="Where squared error pushes hardest",
        statement=r"""
In {numref}`fig-04-logit-gradients`, the squared-error curve dips below zero
and comes back. Read the logit $z$ at which it is lowest, that is, where
squared error pushes a unit with label 1 hardest. Return your reading from
`logit_of_steepest_push()` and run the check; a reading within 0.35 of the
value counts as right.
""",
        explanation=r"""
The dip is a little left of zero, near $z = -0.7$. Calculus gives the exact
place: with $y = 1$ the curve is $-(1 - s)^2 s$, whose derivative in $s$
vanishes at $s = 1/3$, that is $z = \log(1/2)$. The next cell finds the same
point on the grid of the figure.
""",
        solution='''\
def logit_of_steepest_push():
    """The logit z where the squared-error curve of the gradient figure is lowest."""
    return -0.7
''',
        demo=r"""
lowest = z_grid[np.argmin(squared_error_grad(z_grid, 1.0))]
print(f"lowest point on the grid: z = {lowest:.2f}; log(1/2) = {np.log(0.5):.3f}")
""",
        cases=(Case(),),
        atol=0.35,
        hints=(
            "Follow the squared-error curve from left to right: it starts near 0, dips, and comes back to 0. "
            "The answer is the logit z, on the horizontal axis, at the bottom of the dip.",
            "The dip lies a little to the left of z = 0. (With calculus: the curve is -(1 - s)^2 s, lowest "
            "at s = 1/3, where z = log(1/2).)",
        ),
        mistakes=(
            Mistake(
                "The lowest point lies left of z = 0. And the question asks where the dip is (the "
                "logit z on the horizontal axis), not how deep it is.",
                lambda expected: 0.0,
            ),
            Mistake(
                "Far left (z = -10) is where the cross-entropy curve pushes hardest; the question is "
                "about the squared-error curve.",
                lambda expected: -10.0,
            ),
        ),
    ),
]
