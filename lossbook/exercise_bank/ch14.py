"""Exercises of chapter 14, calibration."""

import numpy as np
from scipy import optimize, special

from lossbook.exercises.model import Case, Exercise, Mistake

_CONFIDENCE = np.array([0.95, 0.9, 0.55, 0.65, 0.99, 0.7, 0.85, 0.6])
_CORRECT = np.array([1, 1, 0, 1, 1, 0, 1, 1])
_BOUNDS = (0.05, 20.0)


def _validation_set(seed, n, classes, spread, truth):
    """Logits of n cases and labels drawn from softmax(logits / truth): a model whose best temperature is near truth."""
    rng = np.random.default_rng(seed)
    z = spread * rng.normal(size=(n, classes))
    p = special.softmax(z / truth, axis=1)
    return z, (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1).clip(0, classes - 1)


_OVERCONFIDENT = _validation_set(14, 300, 10, 4.0, 1.6)
_UNDERCONFIDENT = _validation_set(15, 200, 5, 1.0, 0.5)


def _spread_out(seed=1, n=40, classes=4):
    """Logits of n cases with labels drawn at random, unrelated to them, and with the labels they predict.

    The first pair's best temperature is the upper bound of the search (the flatter, the better), the second's the
    lower bound (every case is right: the sharper, the better).
    """
    rng = np.random.default_rng(seed)
    z = np.round(rng.normal(0, 3, (n, classes)), 2)
    return (z, rng.integers(0, classes, n)), (z, z.argmax(axis=1))


_UNRELATED, _OWN_PREDICTIONS = _spread_out()
_THREE_CLASSES = (
    np.array([[2.0, 0.5, -1.0], [0.2, 1.5, 0.1], [1.0, 1.2, -0.5], [-0.3, 0.1, 2.2], [1.8, 0.0, 0.3], [0.4, 0.6, 0.5]]),
    np.array([0, 1, 0, 2, 1, 2]),
)


def _best_temperature(objective):
    """The temperature in _BOUNDS that minimises objective(T), searched over log T."""
    result = optimize.minimize_scalar(
        lambda log_t: objective(np.exp(log_t)), bounds=np.log(_BOUNDS), method="bounded", options={"xatol": 1e-8}
    )
    return float(np.exp(result.x))


def _temperature_for(labels_of, score, *, multiply=False):
    """A mistaken fit: the labels it scores against, its objective, and whether it multiplies the logits by T."""

    def answer(expected, logits, labels):
        y = labels_of(logits, labels)
        return _best_temperature(lambda t: score(special.softmax(logits * t if multiply else logits / t, axis=1), y))

    return answer


def _nll(p, y):
    return -np.mean(np.log(p[np.arange(y.size), y]))


def _left_closed(confidence, correct, n_bins):
    """ECE with bins [b / B, (b + 1) / B), the last one also holding 1, as np.histogram makes them."""
    total = 0.0
    for b in range(n_bins):
        inside = (confidence >= b / n_bins) & ((confidence < (b + 1) / n_bins) | (b == n_bins - 1))
        if inside.any():
            total += inside.sum() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(total / confidence.size)


def _bin_rows(confidence, n_bins):
    """The bin of each confidence, bins (k/n, (k+1)/n], 0 in the first."""
    return np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)


def _unweighted(confidence, correct, n_bins):
    which = _bin_rows(confidence, n_bins)
    gaps = [abs(confidence[which == b].mean() - correct[which == b].mean()) for b in np.unique(which)]
    return float(np.mean(gaps))


def _signed(confidence, correct, n_bins):
    which = _bin_rows(confidence, n_bins)
    return float(
        sum((which == b).sum() * (confidence[which == b].mean() - correct[which == b].mean()) for b in np.unique(which))
        / confidence.size
    )


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
            Mistake(
                "That is the confidence before scaling, softmax(z) without dividing by T.",
                lambda expected: _softmax_top([3.0, 1.0, 0.0]),
            ),
            Mistake(
                "That multiplies the logits by T; temperature scaling divides them by T.",
                lambda expected: _softmax_top([6.0, 2.0, 0.0]),
            ),
            Mistake(
                "That divides the probabilities by T instead of the logits: softmax(z) / 2 is not a distribution.",
                lambda expected: _softmax_top([3.0, 1.0, 0.0]) / 2,
            ),
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
            Mistake(
                "That is 1 - epsilon: the smoothing also gives the true class its share epsilon / K of the uniform part.",
                lambda expected: 0.8,
            ),
            Mistake(
                "That is 1 - epsilon / K, the confidence of a smoothing that takes epsilon / K from the true "
                "class only; the true class keeps 1 - epsilon + epsilon / K.",
                lambda expected: 0.98,
            ),
            Mistake(
                "That is the smoothed target of each wrong class, epsilon / K; the question asks for the true class.",
                lambda expected: 0.02,
            ),
            Mistake(
                "Label smoothing does not leave the target at 1: its minimum lies below 1, so the network "
                "never learns to be certain.",
                lambda expected: 1.0,
            ),
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
            Case(
                (np.array([0.5, 0.5, 1.0, 1.0]), np.array([1.0, 1.0, 1.0, 0.0]), 2),
                note="confidences on the bin edges 0.5 and 1: 0.5 closes the first bin, (0, 0.5], and 1 the second",
            ),
            Case((np.array([0.3, 0.8, 0.9]), np.array([0.0, 1.0, 1.0]), 10), note="most bins empty"),
            Case(
                (np.array([0.0, 0.3, 0.8]), np.array([1.0, 0.0, 1.0]), 2),
                note="a confidence of exactly 0, which belongs to the first bin, (0, 0.5] with 0",
            ),
        ),
        hints=(
            "Loop over the bins; for each, select the cases with low < confidence <= high and skip the bin if it is empty.",
            "Each non-empty bin adds (cases in the bin) * |mean confidence - accuracy|; divide the total by the number of cases.",
        ),
        common=("sum",),
        mistakes=(
            Mistake(
                "Each bin must be weighted by its share of the cases: that is the plain mean of the bins' gaps.",
                lambda expected, confidence, correct, n_bins: _unweighted(confidence, correct, n_bins),
            ),
            Mistake(
                "The absolute value is missing: overconfident and underconfident bins cancel.",
                lambda expected, confidence, correct, n_bins: _signed(confidence, correct, n_bins),
            ),
            Mistake(
                "That compares the overall mean confidence with the overall accuracy, one bin for all "
                "cases; the ECE compares them bin by bin.",
                lambda expected, confidence, correct, n_bins: _no_bins(confidence, correct, n_bins),
            ),
            Mistake(
                "Those are left-closed bins [low, high), as np.histogram makes them: a confidence on an edge "
                "then joins the bin above it. Here a bin is (low, high]: use low < confidence <= high.",
                lambda expected, confidence, correct, n_bins: _left_closed(confidence, correct, n_bins),
            ),
        ),
    ),
    Exercise(
        label="ex-14-fit-temperature",
        kind="implement",
        function="best_temperature",
        title="Fit a temperature",
        statement=r"""
Implement temperature scaling, what `calibration.fit_temperature` does, as
`best_temperature(logits, labels)`:
`logits` is an array of shape (n, K) of a network's outputs before the
softmax on held-out cases, `labels` an array of their n true classes. Return,
as a float, the temperature $T$ between 0.05 and 20 that minimises the mean
negative log-likelihood of $\operatorname{softmax}(z / T)$ on these labels,
to three significant digits; where the likelihood keeps improving up to 0.05
or 20, return that bound (`calibration.fit_temperature` raises an error
there instead). `scipy.optimize.minimize_scalar` with
`method="bounded"` finds the minimum of a function of one number. Run the
check, and then the cell after it, which fits lossbook's temperature to the
check's first case and to the validation part of the chapter's first
cross-entropy network.
""",
        explanation=r"""
Write the mean negative log-likelihood as a function of $T$: divide the
logits by $T$, take `scipy.special.log_softmax` along the classes (it stays
finite where a probability underflows), pick each row's entry at its label
and average with a minus sign. It is convex in $1 / T$ and has one minimum,
which a bounded scalar search finds; searching over $\log T$ gives equal
steps in ratio, so that 0.1 and 10 are as easy to reach. The check's first
case draws its labels from $\operatorname{softmax}(z / 1.6)$: the logits are
too far apart, and the best temperature lies above 1, near 1.6 up to the
noise of 300 labels. The second case's labels come from $z / 0.5$, and
$T < 1$ sharpens. When the labels have nothing to do with the logits, as in
the fourth case, the flattest probabilities score best and the search stops
at the upper bound; when every label is the class the logits predict, as in
the fifth, every case is right, and the sharper the better down to the lower
bound. The
objective must be the likelihood: the mean probability of the true class or
the Brier score have their minima elsewhere, and labels from the model's own
predictions make every case "right", so the likelihood keeps rising as $T$
falls to the bound.
""",
        solution='''\
def best_temperature(logits, labels):
    """The temperature in [0.05, 20] that minimises the mean NLL of softmax(logits / T) on `labels`."""
    from scipy import optimize, special

    rows = np.arange(len(labels))

    def mean_nll(log_t):
        log_p = special.log_softmax(logits / np.exp(log_t), axis=1)
        return -np.mean(log_p[rows, labels])

    best = optimize.minimize_scalar(mean_nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded",
                                    options={"xatol": 1e-8})
    return float(np.exp(best.x))
''',
        demo=r"""
z_fit, y_fit = exercises.get("ex-14-fit-temperature").cases[0].args
print(f"lossbook's temperature for the check's first case: {calibration.fit_temperature(z_fit, y_fit):.4f}")
z_fit, y_fit = chosen_logits("clean", "cross-entropy", "validation")[0], LABELS["clean", "validation"][0]
t_fit = calibration.fit_temperature(z_fit, y_fit)
print(f"the chapter's first cross-entropy network, validation part: T = {t_fit:.4f}, validation NLL "
      f"{metrics.log_loss(y_fit, calibration.scale(z_fit, 1.0), labels=np.arange(CLASSES)):.4f} at T = 1, "
      f"{metrics.log_loss(y_fit, calibration.scale(z_fit, t_fit), labels=np.arange(CLASSES)):.4f} at T")
""",
        cases=(
            Case(_OVERCONFIDENT, note="300 cases of 10 classes whose labels follow softmax(z / 1.6)"),
            Case(_UNDERCONFIDENT, note="200 cases of 5 classes whose labels follow softmax(z / 0.5)"),
            Case(_THREE_CLASSES, note="six cases of three classes"),
            Case(
                _UNRELATED,
                note="40 cases of 4 classes whose labels are drawn at random, whatever the logits: "
                "the flatter the better, up to the upper bound 20",
            ),
            Case(
                _OWN_PREDICTIONS,
                note="the same 40 cases labelled with the class each row's largest logit "
                "predicts: the sharper the better, down to the lower bound 0.05",
            ),
        ),
        rtol=1e-3,
        hints=(
            "Write a function of T: -np.mean(log_softmax(logits / T)[i, labels[i]]) over the rows i, with "
            "scipy.special.log_softmax(..., axis=1).",
            "Minimise it with scipy.optimize.minimize_scalar(f, bounds=(np.log(0.05), np.log(20)), "
            "method='bounded') over log T, and return np.exp of the result's x.",
        ),
        mistakes=(
            Mistake(
                "That multiplies the logits by T; temperature scaling divides them by T (your value is about 1 / T).",
                _temperature_for(lambda z, y: y, _nll, multiply=True),
            ),
            Mistake(
                "That maximises the mean probability of the true class, without the logarithm; the temperature "
                "minimises the negative log-likelihood, the mean of -log p.",
                _temperature_for(lambda z, y: y, lambda p, y: -np.mean(p[np.arange(y.size), y])),
            ),
            Mistake(
                "That minimises the Brier score; the temperature minimises the negative log-likelihood.",
                _temperature_for(lambda z, y: y, lambda p, y: np.mean(np.sum((p - np.eye(p.shape[1])[y]) ** 2, axis=1))),
            ),
            Mistake(
                "That scores the model against its own predicted classes, not the labels: every case is then "
                "right, and the likelihood keeps rising as T falls to the lower bound.",
                _temperature_for(lambda z, y: z.argmax(axis=1), _nll),
            ),
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
0.03), and run the check.
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
        atol=0.03,
        hints=(
            "Find the orange line in the left panel and the point above a confidence of about 0.65 on the horizontal axis.",
            "Read that point's height on the vertical axis, the accuracy in the bin.",
        ),
        mistakes=(
            Mistake(
                "That is the confidence, the point's horizontal position; the question asks for its height, the accuracy.",
                lambda expected: 0.65,
            ),
            Mistake(
                "That is the top of the axis, a guess that the networks are always right there. Read the "
                "point's height: it sits visibly below 1.",
                lambda expected: 1.0,
            ),
        ),
    ),
]
