"""Exercises of chapter 13, imbalanced classes."""

import numpy as np
from scipy import special

from lossbook.exercises.model import Case, Exercise, Mistake

_Y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
_P = np.array([0.6, 0.2, 0.1, 0.3, 0.35, 0.05, 0.5, 0.15, 0.02, 0.25])


def _terms(y, p):
    return y * np.log(p), (1 - y) * np.log(1 - p)


_Q = np.array([0.02, 0.229, 0.5, 0.85, 0.99])  # probabilities of a weighted model
_W_POS, _W_NEG = 10.0, 1000 / (2 * 950)  # the chapter's inverse-frequency weights at 5 % positives


def _shifted(q, shift):
    return special.expit(special.logit(q) + shift)


EXERCISES = [
    Exercise(
        label="ex-13-implied-threshold",
        kind="by hand",
        function="implied_threshold",
        title="The threshold hidden in class weights",
        statement=r"""
A network is trained with weighted binary cross-entropy, each positive
weighted by $w_+ = 5$ and each negative by $w_- = 2$, and its output $q$ is
read at 0.5: an alarm when $q \ge 0.5$. Had the same network been trained
without weights, it would predict the probability $p$ of class 1. By hand,
work out the value $p^*$ of that unweighted probability at which the weighted
model raises the alarm. Return it from `implied_threshold()`, run the check,
and then the computation in the cell after it.
""",
        explanation=r"""
The weighted loss is minimised by the probability of a population in which
each positive counts $w_+$ times and each negative $w_-$ times:
$q = w_+ p / (w_+ p + w_- (1 - p))$. Setting $q = 1/2$ gives
$w_+ p = w_- (1 - p)$, so

$$
p^* = \frac{w_-}{w_+ + w_-} = \frac{2}{5 + 2} \approx 0.286.
$$

Read at 0.5, the weighted model raises the alarm for every case whose
probability of being positive is at least two in seven: the weights act as
costs, a miss costing two and a half times a false alarm. In the logit the
weights add $\log(w_+/w_-) = \log 2.5$, which is why an unweighted model read
at $p^*$ makes the same decisions while keeping its probabilities.
""",
        solution='''\
def implied_threshold():
    """The unweighted probability at which a model weighted with w+ = 5, w- = 2 and read at 0.5 raises the alarm."""
    return 2 / (5 + 2)
''',
        demo=r"""
p = np.linspace(0.001, 0.999, 99801)
q = 5 * p / (5 * p + 2 * (1 - p))
print(f"weighted output q reaches 0.5 at p = {p[np.argmax(q >= 0.5)]:.3f}")
print(f"logit shift log(w+ / w-) = {np.log(5 / 2):.3f}; w- / (w+ + w-) = {2 / 7:.3f}")
""",
        cases=(Case(),),
        atol=0.002,
        hints=(
            "The weighted model's output is q = w+ p / (w+ p + w- (1 - p)). Where does it equal 1/2?",
            "q = 1/2 means w+ p = w- (1 - p). Solve for p with w+ = 5 and w- = 2.",
        ),
        mistakes=(
            Mistake(
                "That is w+ / (w+ + w-), the threshold for the other class: the weighted model raises "
                "the alarm early, at a small p, because a miss costs more than a false alarm.",
                lambda expected: 5 / 7,
            ),
            Mistake(
                "The threshold is w- / (w+ + w-), not w- / w+: at p* the weighted positive and negative "
                "terms balance, w+ p = w- (1 - p).",
                lambda expected: 2 / 5,
            ),
            Mistake(
                "The weighted model is read at 0.5, but the question asks for the unweighted probability "
                "at which that happens: the weights move the threshold.",
                lambda expected: 0.5,
            ),
        ),
    ),
    Exercise(
        label="ex-13-all-negative",
        kind="predict",
        function="all_negative_accuracy",
        title="Accuracy at 2 % positives",
        statement=r"""
In the section on accuracy, a classifier that never raises an alarm was
scored on labels with 5 % positives. A rarer disease affects 2 % of the
people screened. Predict the accuracy of the same all-negative classifier
on 1000 such people, 20 of them ill. Return it from
`all_negative_accuracy()`, run the check, and then the cell after it, which
also prints its balanced accuracy and average precision.
""",
        explanation=r"""
The all-negative classifier is right on every negative case and wrong on
every positive one, so its accuracy is the share of negatives:
$980 / 1000 = 0.98$. The rarer the positives, the higher the accuracy of
doing nothing. Its balanced accuracy stays at 0.5, the mean of a recall of 1
on the negatives and 0 on the positives, and its average precision, as for
any constant score, is the base rate.
""",
        solution='''\
def all_negative_accuracy():
    """Accuracy of the classifier that always answers "negative", at 2 % positives."""
    return 1 - 0.02
''',
        demo=r"""
y_screened = np.r_[np.zeros(980, np.int64), np.ones(20, np.int64)]
print(f"accuracy {metrics.accuracy_score(y_screened, np.zeros(1000)):.3f}, "
      f"balanced accuracy {metrics.balanced_accuracy_score(y_screened, np.zeros(1000)):.3f}, "
      f"average precision of a constant score {metrics.average_precision_score(y_screened, np.full(1000, 0.5)):.3f}")
""",
        cases=(Case(),),
        atol=0.001,
        hints=(
            "The classifier answers 'negative' for everyone. On which cases is it right?",
            "It is right on every negative case: 980 of the 1000.",
        ),
        mistakes=(
            Mistake(
                "That is the share of positives, the cases it gets wrong; accuracy is the share it gets right.",
                lambda expected: 0.02,
            ),
            Mistake(
                "That is its balanced accuracy, the mean of the recall of each class. Plain accuracy "
                "counts cases, most of which are negative.",
                lambda expected: 0.5,
            ),
            Mistake("That was the accuracy at 5 % positives. At 2 %, 980 of 1000 cases are negative.", lambda expected: 0.95),
        ),
    ),
    Exercise(
        label="ex-13-weighted-bce",
        kind="implement",
        function="weighted_bce",
        title="Class-weighted cross-entropy",
        statement=r"""
Implement the class-weighted binary cross-entropy of the chapter,

$$
L = -\frac1n \sum_{i=1}^n \bigl[w_+ y_i \log p_i + w_- (1 - y_i) \log(1 - p_i)\bigr],
$$

as `weighted_bce(y, p, w_pos, w_neg)` for NumPy arrays of 0 / 1 labels `y`
and probabilities `p` strictly between 0 and 1, with the natural logarithm.
Note the $1/n$: the mean divides by the number of examples, not by the sum
of the weights. Run the check, and then the cell after it, which compares
`lossbook.losses.weighted_binary_crossentropy` with scikit-learn's weighted
log loss.
""",
        explanation=r"""
Each positive contributes $-w_+ \log p_i$ and each negative
$-w_- \log(1 - p_i)$; the loss is their mean over the $n$ examples. With
$w_+ = w_- = 1$ it is binary cross-entropy. Dividing by the sum of the
weights instead, as `sklearn.metrics.log_loss(..., sample_weight=w)` does,
gives a weighted average of the per-example losses: the same minimiser, but
a value and a gradient scaled by $n / \sum_i w_i$, which changes the
effective learning rate. With the chapter's inverse-frequency weights,
$w_c = n / (2 n_c)$, the two agree: $\sum_i w_i = n_+ w_+ + n_- w_- = n$.
The difference matters for weights chosen any other way.
""",
        solution='''\
def weighted_bce(y, p, w_pos, w_neg):
    """Mean over the examples of the class-weighted binary cross-entropy, in nats."""
    return -np.mean(w_pos * y * np.log(p) + w_neg * (1 - y) * np.log(1 - p))
''',
        demo=r"""
y_demo, p_demo = np.array([1, 0, 0, 0]), np.array([0.6, 0.2, 0.1, 0.3])
w_demo = np.where(y_demo == 1, 3.0, 1.0)
print(f"lossbook, w+ = 3, w- = 1: {losses.weighted_binary_crossentropy(y_demo, p_demo, pos_weight=3.0, neg_weight=1.0):.4f}")
print(f"scikit-learn's log_loss with these sample weights: {metrics.log_loss(y_demo, p_demo, sample_weight=w_demo):.4f} "
      f"(divided by the sum of the weights, {w_demo.sum():.0f}, not by n = {y_demo.size})")
""",
        lead=r"""
from lossbook import losses
""",
        cases=(
            Case((_Y, _P, 4.0, 1.0), note="two positives in ten, w+ = 4"),
            Case((_Y, _P, 1.0, 1.0), note="weights of 1: plain binary cross-entropy"),
            Case((np.array([1, 0, 0, 0]), np.array([0.6, 0.2, 0.1, 0.3]), 3.0, 0.5)),
            Case((np.array([0, 0, 0]), np.array([0.1, 0.4, 0.2]), 9.0, 0.6), note="no positive at all"),
        ),
        hints=(
            "Each example contributes w_pos * y * log(p) + w_neg * (1 - y) * log(1 - p); average over the "
            "examples and change the sign.",
            "-np.mean(w_pos * y * np.log(p) + w_neg * (1 - y) * np.log(1 - p)) works on whole arrays.",
        ),
        common=("log base", "sign", "sum"),
        mistakes=(
            Mistake(
                "The weights are swapped: w_pos multiplies the positive term y log p, w_neg the negative "
                "term (1 - y) log(1 - p).",
                lambda expected, y, p, w_pos, w_neg: -np.mean(sum(w * t for w, t in zip((w_neg, w_pos), _terms(y, p)))),
            ),
            Mistake(
                "That divides by the sum of the weights, as scikit-learn's log_loss with sample_weight "
                "does; the chapter's loss divides by the number of examples n.",
                lambda expected, y, p, w_pos, w_neg: (
                    -np.sum(w_pos * _terms(y, p)[0] + w_neg * _terms(y, p)[1]) / np.sum(np.where(y == 1, w_pos, w_neg))
                ),
            ),
            Mistake(
                "The weights are missing: that is plain binary cross-entropy.",
                lambda expected, y, p, w_pos, w_neg: -np.mean(sum(_terms(y, p))),
            ),
        ),
    ),
    Exercise(
        label="ex-13-undo-weights",
        kind="implement",
        function="undo_weights",
        title="Undoing class weights",
        statement=r"""
A network trained with weighted binary cross-entropy, each positive weighted
by $w_+$ and each negative by $w_-$, predicts probabilities $q$ that
overstate the risk. Implement King and Zeng's correction as
`undo_weights(q, w_pos, w_neg)`: return the probabilities an unweighted model
would give, for a NumPy array `q` of probabilities strictly between 0 and 1
(of any shape; return the same shape). Run the check, and then the cell
after it, which corrects the chapter's weighted networks.
""",
        explanation=r"""
The weights add $\log(w_+/w_-)$ to the best logit, so subtract it and map
back with the logistic function:

$$
p = \sigma\!\left(\operatorname{logit} q - \log\frac{w_+}{w_-}\right)
  = \frac{w_- q}{w_- q + w_+ (1 - q)}.
$$

The correction divides the *odds* $q / (1 - q)$ by $w_+/w_-$, as the
solution does; `scipy.special.expit(scipy.special.logit(q) - np.log(w_pos /
w_neg))` is the same. Dividing the probability itself is close only where
$q$ is small. The ranking does not change, and neither do decisions read at
the matching threshold: only the probabilities become usable again.
""",
        solution='''\
def undo_weights(q, w_pos, w_neg):
    """Probabilities of a model trained with class weights w_pos and w_neg, with the weights' logit shift removed."""
    odds = q / (1 - q) * (w_neg / w_pos)  # the weights multiplied the odds by w_pos / w_neg
    return odds / (1 + odds)
''',
        demo=r"""
w_pos, w_neg = losses_for(PROBLEMS["synthetic"][0]["train"][1])[1]
q = chosen("synthetic", "weighted BCE", "test").astype(np.float64)
p = w_neg * q / (w_neg * q + w_pos * (1 - q))
print(f"weighted BCE: mean probability {q.mean():.3f} before, {p.mean():.3f} after; base rate {Y['synthetic', 'test'].mean():.3f}")
print(f"mean |p - true probability|: {np.abs(q - truth).mean():.3f} before, {np.abs(p - truth).mean():.3f} after")
""",
        cases=(
            Case((_Q, _W_POS, _W_NEG), note="the chapter's weights, w+ = 10, w- = 0.526"),
            Case((_Q, 1.0, 1.0), note="equal weights change nothing"),
            Case((np.array([[0.1, 0.6], [0.3, 0.95]]), 0.5, 2.0), note="negatives weighted more: the probabilities rise"),
            Case((np.array([1e-9, 0.5, 1 - 1e-9]), 4.0, 1.0), note="probabilities near 0 and 1"),
        ),
        rtol=1e-6,
        atol=1e-12,
        hints=(
            "The weights add log(w_pos / w_neg) to the logit. Take the logit of q, remove that shift, and map back "
            "to a probability.",
            "The weights multiplied the odds q / (1 - q) by w_pos / w_neg: divide the odds by that ratio, then turn "
            "the odds back into a probability, odds / (1 + odds).",
        ),
        mistakes=(
            Mistake(
                "That adds the shift again: the weights already added log(w_pos / w_neg) to the logit, so the "
                "correction subtracts it.",
                lambda expected, q, w_pos, w_neg: _shifted(q, np.log(w_pos / w_neg)),
            ),
            Mistake(
                "That divides the probability by w_pos / w_neg; the weights multiply the odds q / (1 - q), so "
                "the correction divides the odds.",
                lambda expected, q, w_pos, w_neg: q * w_neg / w_pos,
            ),
            Mistake(
                "The shift in the logit is the logarithm of w_pos / w_neg, not the ratio itself.",
                lambda expected, q, w_pos, w_neg: _shifted(q, -w_pos / w_neg),
            ),
            Mistake(
                "The shift is log(w_pos / w_neg): both weights count, not w_pos alone.",
                lambda expected, q, w_pos, w_neg: _shifted(q, -np.log(w_pos)),
            ),
            Mistake(
                "That is the corrected logit; map it back to a probability with the logistic function (scipy.special.expit).",
                lambda expected, q, w_pos, w_neg: special.logit(q) - np.log(w_pos / w_neg),
            ),
        ),
    ),
    Exercise(
        label="ex-13-read-reliability",
        kind="read a plot",
        function="weighted_frequency_at_085",
        title="Reading the reliability diagram",
        statement=r"""
In {numref}`fig-13-reliability`, find the weighted model's point in the bin
of predicted probabilities from 0.8 to 0.9 (its predicted probability is
about 0.85). How often are the cases in that bin positive? Read the observed
frequency from the figure, return it from `weighted_frequency_at_085()` (the
check accepts readings within 0.06), and run the check.
""",
        explanation=r"""
The weighted model's curve (orange, nearly hidden under the red one of
oversampling) lies far below the diagonal. At a predicted probability of
about 0.85 it is at about 0.22 on the vertical axis: of the cases the
weighted model gives 85 %, only about one in five is positive. A calibrated
model would sit on the diagonal at 0.85. The weights have taught the model a
base rate of one half, so all its probabilities are too high; the next cell
prints the exact value.
""",
        solution='''\
def weighted_frequency_at_085():
    """Observed frequency of class 1 where the weighted model predicts about 0.85, read from the figure."""
    return 0.22
''',
        demo=r"""
from sklearn.calibration import calibration_curve

observed, predicted = calibration_curve(Y["synthetic", "test"].ravel(), pooled["weighted BCE"], n_bins=10)
k = np.argmin(np.abs(predicted - 0.85))
print(f"weighted BCE, bin around {predicted[k]:.3f}: observed frequency {observed[k]:.3f}")
""",
        cases=(Case(),),
        atol=0.06,
        hints=(
            "Find the orange curve (weighted BCE), almost under the red one, and its point just to the right "
            "of 0.8 on the horizontal axis.",
            "Read that point's height on the vertical axis: it lies a little above 0.2.",
        ),
        mistakes=(
            Mistake(
                "That is the predicted probability, on the horizontal axis; the question asks for the "
                "observed frequency, the height of the point.",
                lambda expected: 0.85,
            ),
            Mistake(
                "That is where the weighted curve ends, in the last bin, around 0.95; read the point in the bin from 0.8 to 0.9.",
                lambda expected: 0.6,
            ),
        ),
    ),
]
