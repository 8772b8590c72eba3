"""Exercises of chapter 8, binary classification losses in practice."""

import numpy as np

from lossbook.exercises.model import Case, Exercise, Mistake

_Y_PM = np.array([-1, 1, 1, -1, 1, -1])
_S_PM = np.array([-0.7, 0.6, 0.9, -0.2, -0.4, -0.8])
_Y_01 = np.array([0, 1, 1, 0, 0, 1])
_S_01 = np.array([-0.8, 0.65, 0.1, -0.6, 0.7, 0.95])


def _flat(y, scores):
    return np.reshape(scores, np.shape(y))


def _terms(y, scores):
    return np.maximum(0.0, 1.0 - y * scores)


_HINGE_Y = np.array([1.0, -1.0, 1.0, -1.0])
_HINGE_S = np.array([1.5, 0.3, -0.5, -2.0])

EXERCISES = [
    Exercise(
        label="ex-08-sign-accuracy",
        kind="implement",
        function="accuracy_by_sign",
        title="Sign accuracy in NumPy",
        statement=r"""
Write `accuracy_by_sign(y, scores)`: the share of examples whose score lies
on the same side of 0 as the label, the accuracy formula of this chapter. It
must accept labels -1/+1 as well as 0/1 (0 is the negative class, and a score
of exactly 0 counts as negative), and scores of shape $(n,)$ or $(n, 1)$, the
shape `model.predict` returns; the labels have shape $(n,)$. Return one
number. Before you run the check, compare your function with the figure
`models.sign_accuracy` gives for the hinge model, printed in the check cell.
""",
        points=2,
        explanation=r"""
Reshape the scores to the labels' shape first, then compare the two sides of
0 and average. Without the reshape, scores of shape $(n, 1)$ and labels of
shape $(n,)$ broadcast to an $(n, n)$ table, the trap of the custom metric
above, and the mean of that table says nothing about the model. Comparing
`y > 0` with `scores > 0`, rather than `np.sign(y)` with `np.sign(scores)`,
makes 0 and -1 alike the negative class, so both label codings work.
""",
        solution='''\
def accuracy_by_sign(y, scores):
    """Share of examples whose score is on the same side of 0 as the label (-1/+1 or 0/1)."""
    scores = np.reshape(scores, np.shape(y))
    return np.mean((scores > 0) == (y > 0))
''',
        lead=r"""
hinge_test_scores = fitted["hinge"].predict(signed.x_test, verbose=0)
print(f"scores of shape {hinge_test_scores.shape}; models.sign_accuracy: "
      f"{float(np.mean(models.sign_accuracy(signed.y_test, hinge_test_scores))):.3f}")
""",
        cases=(
            Case((_Y_PM, _S_PM), note="labels -1/+1, scores of shape (n,)"),
            Case((_Y_PM, _S_PM[:, None]), note="scores of shape (n, 1), as model.predict returns them"),
            Case((_Y_01, _S_01), note="labels 0/1"),
            Case((_Y_01, _S_01[:, None]), note="labels 0/1 and scores of shape (n, 1)"),
            Case(
                (np.array([1, -1, 1, -1]), np.array([[0.2], [-0.3], [0.45], [0.6]])),
                note="correct but hesitant scores, |score| < 0.5",
            ),
            Case((np.array([1, 1, -1]), np.array([0.0, 0.5, -0.5])), note="a score of exactly 0, which counts as negative"),
            Case(
                (np.array([-1, 1, -1, 1]), np.array([0.0, 0.3, -0.2, 0.0])),
                note="scores of exactly 0 on both labels: right for -1, wrong for +1",
            ),
            Case(
                (np.array([0, 1, 0]), np.array([[0.0], [0.4], [0.0]])),
                note="scores of exactly 0 on labels 0, which they get right",
            ),
        ),
        hints=(
            "An example is right when (score > 0) equals (label > 0). That one test works for labels -1/+1 and 0/1 alike.",
            "Scores of shape (n, 1) compared with labels of shape (n,) broadcast to an (n, n) table. Reshape "
            "the scores first, np.reshape(scores, np.shape(y)), then take np.mean of the comparison.",
        ),
        common=("sum",),
        mistakes=(
            Mistake(
                "Shapes (n,) and (n, 1) broadcast to an (n, n) table that compares every label with every "
                "score. Reshape the scores to the labels' shape first: np.reshape(scores, np.shape(y)).",
                lambda expected, y, scores: np.mean((np.asarray(scores) > 0) == (y > 0)),
            ),
            Mistake(
                "That is Keras' 'accuracy' on one output unit: it compares (score > 0.5) with the label. "
                "Compare the sides of 0 instead: (score > 0) == (y > 0).",
                lambda expected, y, scores: np.mean((_flat(y, scores) > 0.5) == y),
            ),
            Mistake(
                "That is the rounding rule of Keras 2, which counts correct scores smaller than 0.5 in "
                "size as mistakes. Compare the sides of 0 instead: (score > 0) == (y > 0).",
                lambda expected, y, scores: np.mean(np.round(_flat(y, scores)) == y),
            ),
            Mistake(
                "A score of exactly 0 is not a class of its own: it counts as negative, so it is right for "
                "the label -1 (or 0). Compare (score > 0) with (y > 0) instead of the signs.",
                lambda expected, y, scores: np.mean(np.sign(_flat(y, scores)) == np.where(y > 0, 1, -1)),
            ),
            Mistake(
                "Labels in the wrong set: with labels 0/1, np.sign(0) = 0 never equals the sign of a "
                "score. Compare (score > 0) with (y > 0), which treats 0 and -1 alike as the negative class.",
                lambda expected, y, scores: np.mean(np.sign(_flat(y, scores)) == np.sign(y)),
            ),
            Mistake(
                "A score of exactly 0 counts as negative: compare scores > 0, not scores >= 0, with y > 0.",
                lambda expected, y, scores: np.mean((_flat(y, scores) >= 0) == (y > 0)),
            ),
            Mistake(
                "That is the error rate, 1 - accuracy: count the examples whose signs agree.",
                lambda expected, y, scores: 1 - expected,
            ),
        ),
    ),
    Exercise(
        label="ex-08-hinge-by-hand",
        kind="by hand",
        function="hinge_by_hand",
        title="Hinge losses by hand",
        statement=r"""
A linear output unit, with no tanh, as in a support-vector machine, gives
four examples with labels $y = +1, -1, +1, -1$ the scores $1.5$, $0.3$,
$-0.5$ and $-2.0$. Work out by hand the mean hinge loss and the mean squared
hinge loss of the four. Return them as a pair, `(hinge, squared_hinge)`, from
`hinge_by_hand()` (the check accepts values within 0.01), run the check, and compare with the computation in the cell after it.
""",
        explanation=r"""
The margins $m = y \hat y$ are $1.5$, $-0.3$, $-0.5$ and $2.0$. The hinge
terms $\max(0, 1 - m)$ are 0, 1.3, 1.5 and 0: the first and the last example
are beyond margin 1 and cost nothing, which a tanh output could never
achieve. The mean is $2.8 / 4 = 0.7$. Squared, the terms are 0, 1.69, 2.25
and 0, with mean $3.94 / 4 = 0.985$. The squared hinge charges the two
mistakes more than the hinge does (1.69 and 2.25 against 1.3 and 1.5); a
correct but unsure example, with a margin between 0 and 1, it would charge
less.
""",
        solution='''\
def hinge_by_hand():
    """(mean hinge loss, mean squared hinge loss) of the four scores; worked out by hand."""
    return (0.7, 0.985)
''',
        demo=r"""
four_labels, four_scores = np.array([1, -1, 1, -1]), np.array([1.5, 0.3, -0.5, -2.0])
print("margins:", np.round(four_labels * four_scores, 3))
print("hinge terms:", np.round(losses.hinge(four_labels, four_scores, reduction="none"), 3),
      f"mean {losses.hinge(four_labels, four_scores):.3f}")
print("squared hinge terms:", np.round(losses.squared_hinge(four_labels, four_scores, reduction="none"), 3),
      f"mean {losses.squared_hinge(four_labels, four_scores):.3f}")
""",
        cases=(Case(),),
        atol=0.01,
        hints=(
            "First the margins m = y * score: 1.5, -0.3, -0.5 and 2.0. The hinge loss of each is "
            "max(0, 1 - m); the squared hinge loss is that number squared.",
            "The hinge terms are 0, 1.3, 1.5 and 0: the two margins above 1 cost nothing. Square the terms for "
            "the squared hinge, then average each list over the four examples.",
        ),
        mistakes=(
            Mistake(
                "Margins above 1 cost nothing: max(0, 1 - m) is 0 for m = 1.5 and m = 2.0, not a negative "
                "number (nor, squared, a positive one).",
                lambda expected: (np.mean(1 - _HINGE_Y * _HINGE_S), np.mean((1 - _HINGE_Y * _HINGE_S) ** 2)),
            ),
            Mistake(
                "The margin is the label times the score, m = y * score; a score of 0.3 for the label -1 is a margin of -0.3.",
                lambda expected: (np.mean(np.maximum(0, 1 - _HINGE_S)), np.mean(np.maximum(0, 1 - _HINGE_S) ** 2)),
            ),
            Mistake("Wrong reduction: you summed over the four examples; each loss is their mean.", lambda expected: (2.8, 3.94)),
            Mistake("The two values are the wrong way round: the hinge loss comes first.", lambda expected: (0.985, 0.7)),
            Mistake(
                "The squared hinge squares each example's term before averaging, not the mean hinge loss.",
                lambda expected: (0.7, 0.49),
            ),
        ),
    ),
    Exercise(
        label="ex-08-zero-hinge",
        kind="predict",
        function="zero_hinge_points",
        title="Which points does the hinge leave alone?",
        statement=r"""
On the tanh output, a share of only 0.010 of the training points ended with a
hinge loss of exactly 0, and only through float32 rounding. Train the hinge
model again with a linear output unit instead of tanh, everything else as
before (labels -1/+1, 200 epochs, seed 0). Predict what share of the training
points then ends with a hinge loss of exactly 0: `"none"`, `"under a tenth"`,
`"a tenth to a third"` or `"over a third"`. Return the word from `zero_hinge_points()`,
run the check, and then the experiment in the cell after it.
""",
        choices=("none", "under a tenth", "a tenth to a third", "over a third"),
        explanation=r"""
A linear output is not bounded by 1, so a point's margin can pass 1, and once
it does, the point's loss and its gradient are both 0: the optimiser stops
pushing it. On the circles most points lie well inside their own class's
region, so most of them end up there: a share of 0.580 of the training
points, against 0.010 on the tanh output. The points that still cost
something lie near the boundary, at a radius of about 0.9, between the
circles' radii of 0.8 and 1; the points with zero loss lie further in (inner
circle) or further out (outer circle). In a support-vector machine only the
points with a positive loss, the support vectors, shape the boundary; here
they are the ones the network keeps learning from.
""",
        solution='''\
def zero_hinge_points():
    """One of "none", "under a tenth", "a tenth to a third", "over a third": the share of training points
    that ends with a hinge loss of 0."""
    return "over a third"
''',
        demo=r"""
linear = models.compile_for(models.mlp(split.n_features, hidden=50, activation="linear", seed=0), "hinge")
linear_test = training.fit(linear, signed, epochs=200, seed=0).final()["test"]
margins_by_output = {name: signed.y_train * model.predict(signed.x_train, verbose=0)[:, 0]
                     for name, model in [("tanh", fitted["hinge"]), ("linear", linear)]}
for name, m in margins_by_output.items():
    print(f"{name:6} output: margin >= 1 (loss 0) {np.mean(m >= 1):.3f}, from 0 to 1 {np.mean((m >= 0) & (m < 1)):.3f}, "
          f"below 0 {np.mean(m < 0):.3f}")
zero_loss, radius = margins_by_output["linear"] >= 1, np.linalg.norm(signed.x_train, axis=1)
print(f"linear output, test accuracy {linear_test['accuracy']:.3f}; median radius of the training points:")
for cls, circle in [(1, "inner"), (-1, "outer")]:
    rows = signed.y_train == cls
    print(f"  {circle} circle: loss 0 {np.median(radius[rows & zero_loss]):.2f}, "
          f"loss > 0 {np.median(radius[rows & ~zero_loss]):.2f}")
""",
        cases=(Case(),),
        hints=(
            "A point's hinge loss is 0 when its margin y * y_hat is at least 1. A tanh output can barely "
            "reach 1; can a linear output?",
            "Once a point's margin passes 1, its loss and its gradient are both 0: the optimiser leaves it "
            "alone. On the circles most points lie well inside their own class's region.",
        ),
        mistakes=(
            Mistake(
                "A linear output is not bounded by 1, so nothing stops margins from passing 1; "
                "and a point past margin 1 contributes no gradient that would pull it back.",
                lambda expected: "none",
            ),
            Mistake(
                "The few points at margin 1 on the tanh output came from float32 rounding. A linear output "
                "can push every point well inside its region past margin 1, and most points are "
                "far from the boundary.",
                lambda expected: "under a tenth",
            ),
            Mistake(
                "More than that: most points lie well inside their own class's region, far from the boundary, "
                "and a linear output can push each of them past margin 1, where it stops costing anything.",
                lambda expected: "a tenth to a third",
            ),
        ),
    ),
]
