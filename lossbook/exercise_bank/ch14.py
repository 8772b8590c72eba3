"""Exercises of chapter 14, calibration."""

import numpy as np
from scipy import special

from lossbook.exercises.model import Case, Exercise, Mistake

_CONFIDENCE = np.array([0.95, 0.9, 0.55, 0.65, 0.99, 0.7, 0.85, 0.6])
_CORRECT = np.array([1, 1, 0, 1, 1, 0, 1, 1])


def _bin_rows(confidence, n_bins):
    """The bin of each confidence, bins (k/n, (k+1)/n], 0 in the first."""
    return np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)


def _unweighted(confidence, correct, n_bins):
    which = _bin_rows(confidence, n_bins)
    gaps = [abs(confidence[which == b].mean() - correct[which == b].mean()) for b in np.unique(which)]
    return float(np.mean(gaps))


def _signed(confidence, correct, n_bins):
    which = _bin_rows(confidence, n_bins)
    return float(sum((which == b).sum() * (confidence[which == b].mean() - correct[which == b].mean())
                     for b in np.unique(which)) / confidence.size)


def _no_bins(confidence, correct, n_bins):
    return float(abs(confidence.mean() - correct.mean()))


def _softmax_top(z):
    return float(special.softmax(np.asarray(z, dtype=float)).max())


EXERCISES = [
    Exercise(
        label="ex-14-temperature",
        kind="by hand",
        function="scaled_confidence",
        title="A temperature by hand",
        statement=r"""
A network gives one image the logits $z = (3, 1, 0)$ over three classes.
Temperature scaling on the validation data found $T = 2$. By hand (a
calculator for $e^x$ is fine), work out the network's confidence in its
predicted class after scaling, the largest entry of
$\operatorname{softmax}(z / T)$. Return it from `scaled_confidence()`, run
the check, and then the cell after it, which also prints the confidence
before scaling.
""",
        explanation=r"""
Dividing by $T = 2$ gives the logits $(1.5, 0.5, 0)$, and the predicted class
is still the first. Its probability is

$$
\frac{e^{1.5}}{e^{1.5} + e^{0.5} + e^{0}} = \frac{4.482}{4.482 + 1.649 + 1} \approx 0.629.
$$

Before scaling it was $e^3 / (e^3 + e + 1) \approx 0.844$: a temperature
above 1 makes the network more modest without changing which class it
predicts.
""",
        solution='''\
def scaled_confidence():
    """Largest probability of softmax((3, 1, 0) / 2)."""
    top, middle, bottom = np.exp(1.5), np.exp(0.5), np.exp(0.0)
    return top / (top + middle + bottom)
''',
        demo=r"""
z_demo = np.array([[3.0, 1.0, 0.0]])
print(f"confidence at T = 1: {calibration.scale(z_demo, 1.0).max():.3f}; at T = 2: {calibration.scale(z_demo, 2.0).max():.3f}")
print(f"predicted class at T = 1 and T = 2: {calibration.scale(z_demo, 1.0).argmax()}, {calibration.scale(z_demo, 2.0).argmax()}")
""",
        cases=(Case(),),
        atol=0.002,
        hints=(
            "Divide each logit by T first: (3, 1, 0) / 2. Then take the softmax of the result.",
            "The confidence is exp(1.5) / (exp(1.5) + exp(0.5) + exp(0)).",
        ),
        mistakes=(
            Mistake("That is the confidence before scaling, softmax(z) without dividing by T.",
                    lambda expected: _softmax_top([3.0, 1.0, 0.0])),
            Mistake("That multiplies the logits by T; temperature scaling divides them by T.",
                    lambda expected: _softmax_top([6.0, 2.0, 0.0])),
            Mistake("That divides the probabilities by T instead of the logits: softmax(z) / 2 is not a "
                    "distribution.", lambda expected: _softmax_top([3.0, 1.0, 0.0]) / 2),
        ),
    ),
    Exercise(
        label="ex-14-smoothing-cap",
        kind="predict",
        function="smoothing_cap",
        title="The confidence label smoothing rewards",
        statement=r"""
The chapter's networks have ten classes. Suppose one is trained with label
smoothing at $\varepsilon = 0.2$, the largest value of the chapter's grid.
Predict the probability it learns to give the true class of a training image
that it fits perfectly: the probability at which the smoothed cross-entropy
of that image is smallest. Return it from `smoothing_cap()`, run the check,
and then the cell after it, which finds the minimum numerically.
""",
        explanation=r"""
Cross-entropy against a target distribution $q$ is smallest when the
prediction equals $q$ (Gibbs' inequality, chapter 3). The smoothed target
gives the true class $1 - \varepsilon + \varepsilon / K = 1 - 0.2 + 0.2 / 10
= 0.82$ and each other class $0.02$. So the loss pushes the network towards
a confidence of 0.82 even on images it has right, and a network that is right
on more than 82 % of its images is then underconfident, as in the chapter.
""",
        solution='''\
def smoothing_cap():
    """Probability of the true class that minimises the label-smoothed cross-entropy, epsilon 0.2, ten classes."""
    epsilon, classes = 0.2, 10
    return 1 - epsilon + epsilon / classes
''',
        demo=r"""
from scipy import optimize

target = np.eye(CLASSES)[:1]  # one image of class 0
smoothed = lambda z: lossbook.losses.label_smoothed_categorical_crossentropy(
    target, z[None, :], label_smoothing=0.2, from_logits=True)
best = optimize.minimize(smoothed, np.zeros(CLASSES), method="BFGS")
print(f"probability of the true class at the minimum: {calibration.scale(best.x[None, :], 1.0)[0, 0]:.3f}")
""",
        cases=(Case(),),
        atol=0.002,
        hints=(
            "Cross-entropy against a target distribution is smallest when the prediction equals that target.",
            "The smoothed target of the true class is 1 - epsilon + epsilon / K, with K = 10 classes.",
        ),
        mistakes=(
            Mistake("That is 1 - epsilon: the smoothing also gives the true class its share epsilon / K of "
                    "the uniform part.", lambda expected: 0.8),
            Mistake("That is 1 - epsilon / K, the confidence of a smoothing that takes epsilon / K from the true "
                    "class only; the true class keeps 1 - epsilon + epsilon / K.", lambda expected: 0.98),
            Mistake("That is the smoothed target of each wrong class, epsilon / K; the question asks for the "
                    "true class.", lambda expected: 0.02),
            Mistake("Label smoothing does not leave the target at 1: its minimum lies below 1, so the network "
                    "never learns to be certain.", lambda expected: 1.0),
        ),
    ),
    Exercise(
        label="ex-14-ece",
        kind="implement",
        function="ece",
        title="Expected calibration error",
        statement=r"""
Implement the expected calibration error of the chapter as
`ece(confidence, correct, n_bins)`: `confidence` is a NumPy array of the
top-label probabilities, `correct` an array of 1 (right) and 0 (wrong) of the
same length, and the bins are the `n_bins` intervals
$(b / B, (b + 1) / B]$ of equal width, the first also holding 0. Over the
bins that hold at least one case, sum the bin's share of the cases times the
absolute difference between its mean confidence and its accuracy. Run the
check, and then the cell after it, which shows the bins of the check's first
case as `lossbook.calibration` computes them.
""",
        explanation=r"""
Number each case's bin: a confidence $c$ lies in bin $\lceil c B \rceil - 1$,
with 0 moved into the first bin. Then for every bin $b$ that is not empty,
add $\frac{n_b}{n} \lvert \bar c_b - \bar a_b \rvert$, where $\bar c_b$ is
the mean confidence and $\bar a_b$ the share of correct cases in the bin.
Without the weights $n_b / n$ a bin with one case would count as much as the
bin with nearly all of them; without the absolute value, overconfident and
underconfident bins would cancel.
""",
        solution='''\
def ece(confidence, correct, n_bins):
    """Expected calibration error with n_bins equal-width bins of the confidence."""
    total = 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        inside = (confidence > low) & (confidence <= high)
        if b == 0:
            inside |= confidence == 0
        count = inside.sum()
        if count > 0:
            total += count * abs(confidence[inside].mean() - correct[inside].mean())
    return total / confidence.size
''',
        demo=r"""
confidence_demo = np.array([0.95, 0.9, 0.55, 0.65, 0.99, 0.7, 0.85, 0.6])  # the check's first case
correct_demo = np.array([1, 1, 0, 1, 1, 0, 1, 1])
rows_demo = np.c_[confidence_demo, 1 - confidence_demo]  # class 0 predicted with these confidences
bins_demo = calibration.calibration_bins(rows_demo, np.where(correct_demo == 1, 0, 1), n_bins=5)
for low, n, c, a in zip(bins_demo.edges, bins_demo.count, bins_demo.confidence, bins_demo.accuracy):
    if n:
        print(f"bin from {low:.1f}: {n} cases, mean confidence {c:.3f}, accuracy {a:.3f}")
print(f"lossbook's ECE with 5 bins: {bins_demo.ece:.4f}")
""",
        cases=(
            Case((_CONFIDENCE, _CORRECT.astype(float), 5), note="eight cases, five bins"),
            Case((_CONFIDENCE, _CORRECT.astype(float), 2), note="two bins"),
            Case((np.array([0.5, 0.5, 1.0, 1.0]), np.array([1.0, 0.0, 1.0, 1.0]), 2),
                 note="confidences on the bin edges 0.5 and 1: each belongs to the bin it closes"),
            Case((np.array([0.3, 0.8, 0.9]), np.array([0.0, 1.0, 1.0]), 10), note="most bins empty"),
        ),
        hints=(
            "Loop over the bins; for each, select the cases with low < confidence <= high and skip the bin if "
            "it is empty.",
            "Each non-empty bin adds (cases in the bin) * |mean confidence - accuracy|; divide the total by the "
            "number of cases.",
        ),
        common=("sum",),
        mistakes=(
            Mistake("Each bin must be weighted by its share of the cases: that is the plain mean of the bins' "
                    "gaps.", lambda expected, confidence, correct, n_bins: _unweighted(confidence, correct, n_bins)),
            Mistake("The absolute value is missing: overconfident and underconfident bins cancel.",
                    lambda expected, confidence, correct, n_bins: _signed(confidence, correct, n_bins)),
            Mistake("That compares the overall mean confidence with the overall accuracy, one bin for all "
                    "cases; the ECE compares them bin by bin.",
                    lambda expected, confidence, correct, n_bins: _no_bins(confidence, correct, n_bins)),
        ),
    ),
    Exercise(
        label="ex-14-read-smoothing",
        kind="read a plot",
        function="smoothing_accuracy_at_065",
        title="Reading label smoothing's reliability diagram",
        statement=r"""
In the left panel of {numref}`fig-14-clean`, find label smoothing's point
in the bin of confidences from 0.6 to 0.7 (its mean confidence is about
0.65). Read the accuracy of the networks in that bin from the figure, return
it from `smoothing_accuracy_at_065()` (the check accepts readings within
0.05), and run the check.
""",
        explanation=r"""
Label smoothing's curve (orange) lies far above the diagonal. Above a
confidence of about 0.65 its point sits at about 0.96 on the vertical axis:
of the images to which the smoothed networks give 65 %, about 96 % are
classified right. A calibrated model would sit on the diagonal at 0.65. The
smoothed targets cap the confidence, so images that the networks classify
reliably are reported with a modest probability: underconfidence, which a
temperature below 1 repairs. The next cell prints the exact value.
""",
        solution='''\
def smoothing_accuracy_at_065():
    """Accuracy of the label-smoothed networks on images they predict with confidence about 0.65."""
    return 0.96
''',
        demo=r"""
bins_demo = calibration.calibration_bins(*pooled("clean", "label smoothing", False), n_bins=10)
print(f"label smoothing, bin (0.6, 0.7]: {bins_demo.count[6]} images, mean confidence {bins_demo.confidence[6]:.3f}, "
      f"accuracy {bins_demo.accuracy[6]:.3f}")
""",
        cases=(Case(),),
        atol=0.05,
        hints=(
            "Find the orange line in the left panel and the point above a confidence of about 0.65 on the "
            "horizontal axis.",
            "Read that point's height on the vertical axis, the accuracy in the bin.",
        ),
        mistakes=(
            Mistake("That is the confidence, the point's horizontal position; the question asks for its height, "
                    "the accuracy.", lambda expected: 0.65),
        ),
    ),
]
