"""Exercises of chapter 16, distillation."""

import numpy as np
from scipy import special

from lossbook.exercises.model import Case, Exercise, Mistake

_DEMO_LOGITS = np.array([6.0, 2.0, 0.5, -1.0])  # the chapter's teacher logits of the soft-target figure


def _probability(logits, index):
    return float(special.softmax(np.asarray(logits, dtype=float))[index])


def _gradient_as(scale, *, temperature_in_softmax=True):
    """A mistaken soft gradient: scale(T) * (q_T - p_T) averaged over the rows, the probabilities softened or not."""

    def answer(expected, teacher, student, temperature):
        t = temperature if temperature_in_softmax else 1.0
        p = special.softmax(teacher / t, axis=1)
        q = special.softmax(student / t, axis=1)
        g = scale(temperature) * (q - p)
        return g / len(student)

    return answer


def _logits(seed, n, k, spread):
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0, spread, (n, k)), 2), np.round(rng.normal(0, spread, (n, k)), 2)


_FOUR_BY_THREE = _logits(16, 4, 3, 2.0)
_TWO_BY_FIVE = _logits(17, 2, 5, 3.0)
_ONE_ROW = (np.array([[3.0, 1.0, 0.0]]), np.array([[1.0, 0.5, 0.0]]))
_SIX_BY_TWO = _logits(18, 6, 2, 1.5)

EXERCISES = [
    Exercise(
        label="ex-16-soft-target",
        kind="by hand",
        function="second_class_at_t2",
        title="A soft target by hand",
        statement=r"""
A teacher gives one image the logits $t = (4, 2, 0)$ over three classes.
By hand (a calculator for $e^x$ is fine), work out the soft target of the
second class at temperature $T = 2$: the middle entry of
$\operatorname{softmax}(t / T)$. Return it from `second_class_at_t2()`, run
the check, and then the cell after it, which also prints the target at
$T = 1$.
""",
        explanation=r"""
Dividing by $T = 2$ gives $(2, 1, 0)$, and the middle class gets

$$
\frac{e^{1}}{e^{2} + e^{1} + e^{0}} = \frac{2.718}{7.389 + 2.718 + 1} \approx 0.245.
$$

At $T = 1$ it gets $e^2 / (e^4 + e^2 + 1) \approx 0.117$: the temperature
lifts what the teacher thinks of the classes it does not predict, the
information a hard label throws away.
""",
        solution='''\
def second_class_at_t2():
    """Middle entry of softmax((4, 2, 0) / 2)."""
    top, middle, bottom = np.exp(2.0), np.exp(1.0), np.exp(0.0)
    return middle / (top + middle + bottom)
''',
        demo=r"""
t_hand = np.array([[4.0, 2.0, 0.0]])
print(f"soft targets at T = 1: {np.array2string(distillation.soft_targets(t_hand, 1.0)[0], precision=3)}; "
      f"at T = 2: {np.array2string(distillation.soft_targets(t_hand, 2.0)[0], precision=3)}")
""",
        cases=(Case(),),
        atol=0.002,
        hints=(
            "Divide each logit by T first: (4, 2, 0) / 2 = (2, 1, 0). Then take the softmax.",
            "The middle entry is exp(1) / (exp(2) + exp(1) + exp(0)).",
        ),
        mistakes=(
            Mistake(
                "That is the soft target at T = 1, the plain softmax of (4, 2, 0); divide the logits by T = 2 first.",
                lambda expected: _probability([4.0, 2.0, 0.0], 1),
            ),
            Mistake(
                "That multiplies the logits by T; the temperature divides them.",
                lambda expected: _probability([8.0, 4.0, 0.0], 1),
            ),
            Mistake(
                "That is the first class's target; the question asks for the middle one.",
                lambda expected: _probability([2.0, 1.0, 0.0], 0),
            ),
            Mistake(
                "That divides the probability by T instead of the logits: softmax(t) / 2 is not a distribution.",
                lambda expected: _probability([4.0, 2.0, 0.0], 1) / 2,
            ),
        ),
    ),
    Exercise(
        label="ex-16-soft-gradient",
        kind="implement",
        function="soft_gradient",
        title="The gradient of the soft part",
        statement=r"""
Implement the gradient of the soft part of the distillation loss,
$T^2 \, \mathrm{KL}(p_T \,\|\, q_T)$ averaged over the rows, with respect to
the student's logits, as `soft_gradient(teacher_logits, student_logits, T)`.
Both logits are NumPy arrays of shape (n, K); $p_T$ and $q_T$ are the
softmaxes of the teacher's and the student's logits divided by $T$, row by
row. Return an array of shape (n, K). Run the check, and then the cell after
it, which compares your gradient with `distillation.distillation_loss_grad`
and with central differences of `distillation.distillation_loss`.
""",
        explanation=r"""
For one row, $\mathrm{KL}(p_T \,\|\, q_T) = \sum_k p_k \log p_k - \sum_k p_k
\log q_k$, and only the second sum depends on the student. The derivative
of $-\sum_k p_k \log \operatorname{softmax}(u)_k$ with respect to $u$ is
$\operatorname{softmax}(u) - p$, as for cross-entropy (chapter 9), and
$u = s / T$ adds a factor $1 / T$. With the $T^2$ in front, each row's
gradient is $T \, (q_T - p_T)$, and the mean over $n$ rows divides by $n$.
Forgetting the $T^2$ leaves $(q_T - p_T) / T$, a gradient $T^2$ times too
small; swapping $p$ and $q$ flips its sign, so that gradient descent would
move the student away from the teacher.
""",
        solution='''\
def soft_gradient(teacher_logits, student_logits, T):
    """Gradient of the mean of T^2 KL(softmax(t / T) || softmax(s / T)) over the rows, with respect to s."""
    from scipy import special

    p = special.softmax(teacher_logits / T, axis=1)
    q = special.softmax(student_logits / T, axis=1)
    return T * (q - p) / len(student_logits)
''',
        demo=r"""
t_ex, s_ex, T_ex = exercises.get("ex-16-soft-gradient").cases[0].args
ours = distillation.distillation_loss_grad(t_ex, s_ex, temperature=T_ex)
step, numeric = 1e-6, np.zeros_like(s_ex)
for i, k in np.ndindex(s_ex.shape):
    up, down = s_ex.copy(), s_ex.copy()
    up[i, k] += step
    down[i, k] -= step
    numeric[i, k] = (distillation.distillation_loss(t_ex, up, temperature=T_ex)
                     - distillation.distillation_loss(t_ex, down, temperature=T_ex)) / (2 * step)
print(f"largest gap between lossbook's gradient and central differences: {np.abs(ours - numeric).max():.1e}")
""",
        cases=(
            Case((*_FOUR_BY_THREE, 4.0), note="four rows of three classes at T = 4"),
            Case((*_TWO_BY_FIVE, 2.0), note="two rows of five classes at T = 2"),
            Case((*_ONE_ROW, 1.0), note="one row at T = 1, where the loss is the plain KL divergence"),
            Case((*_SIX_BY_TWO, 8.0), note="six rows of two classes at T = 8"),
            Case((*_FOUR_BY_THREE, 0.5), note="a temperature below 1, which sharpens"),
        ),
        hints=(
            "Soften both: p = softmax(teacher_logits / T, axis=1) and q = softmax(student_logits / T, axis=1).",
            "Each row's gradient is T * (q - p): the T^2 of the loss times the 1 / T of the inner division. "
            "Divide by the number of rows for the mean.",
        ),
        common=("sign", "sum"),
        mistakes=(
            Mistake(
                "The factor T^2 is missing: that is the gradient of KL(p_T || q_T) alone, (q - p) / T per row, "
                "T^2 times too small.",
                _gradient_as(lambda t: 1.0 / t),
            ),
            Mistake(
                "That multiplies by T^2; the inner division by T takes one factor back, leaving T.", _gradient_as(lambda t: t**2)
            ),
            Mistake(
                "The softmaxes need the temperature: soften both logits by dividing them by T first.",
                _gradient_as(lambda t: t, temperature_in_softmax=False),
            ),
        ),
    ),
    Exercise(
        label="ex-16-t-squared",
        kind="predict",
        function="shrink_factor",
        title="What the T squared makes up for",
        statement=r"""
Leave out the factor $T^2$: the soft part is then
$\mathrm{KL}(p_T \,\|\, q_T)$ alone. For logits that are small against $T$,
predict by what factor the size of its gradient with respect to the
student's logits shrinks when the temperature goes from $T = 2$ to $T = 8$.
Return the factor (a number larger than 1) from `shrink_factor()`, run the
check, and then the cell after it, which measures it on the chapter's 500
pairs of logits.
""",
        explanation=r"""
The gradient of $\mathrm{KL}(p_T \,\|\, q_T)$ is $(q_T - p_T) / T$. For
logits small against $T$, $\operatorname{softmax}(z / T) \approx (1 + z / T
- \bar z / T) / K$, so $q_T - p_T \approx (s - t - \overline{s - t}) / (K T)$
also shrinks like $1 / T$. Together the gradient falls like $1 / T^2$, and
going from $T = 2$ to $T = 8$ divides it by $(8 / 2)^2 = 16$. The factor
$T^2$ in the loss undoes exactly this, so that changing $T$ does not change
how strongly the soft part pulls against the hard labels.
""",
        solution='''\
def shrink_factor():
    """How many times smaller the gradient of KL(p_T || q_T) is at T = 8 than at T = 2."""
    return (8 / 2) ** 2
''',
        demo=r"""
size = {T: np.linalg.norm((calibration.scale(s_many, T) - calibration.scale(t_many, T)) / T, axis=1).mean() for T in (2, 8)}
print(f"mean size of the gradient of KL alone: T = 2 {size[2]:.4f}, T = 8 {size[8]:.4f}; ratio {size[2] / size[8]:.2f}")
""",
        cases=(Case(),),
        rtol=0.02,
        hints=(
            "The gradient of KL(p_T || q_T) with respect to s is (q_T - p_T) / T. How does q_T - p_T itself "
            "change with T when the logits are small against T?",
            "Both factors fall like 1 / T, so the gradient falls like 1 / T^2: compare (1 / 2)^2 with (1 / 8)^2.",
        ),
        mistakes=(
            Mistake(
                "That counts only the 1 / T of the inner division; the difference q_T - p_T also shrinks like 1 / T.",
                lambda expected: 4.0,
            ),
            Mistake("That counts a third power; the gradient falls like 1 / T^2.", lambda expected: 64.0),
            Mistake("Without the factor T^2 the gradient does change with T: it falls like 1 / T^2.", lambda expected: 1.0),
        ),
    ),
    Exercise(
        label="ex-16-read-soft",
        kind="read a plot",
        function="second_class_at_t4",
        title="Reading the soft targets",
        statement=r"""
In {numref}`fig-16-soft`, read the soft target of the teacher's second class
(the second bar of a group) at $T = 4$. Return it from
`second_class_at_t4()` (the check accepts readings within 0.02), and run the
check.
""",
        explanation=r"""
At $T = 4$ the second bar stands at about 0.2: the teacher gives its second
choice a fifth of the probability, against less than 0.02 at $T = 1$. The
student sees that the teacher finds these classes alike; a one-hot label
would say nothing about it. The next cell prints the exact value.
""",
        solution='''\
def second_class_at_t4():
    """The soft target of the teacher's second class at T = 4, read from the figure."""
    return 0.2
''',
        demo=r"""
print(f"soft target of the second class at T = 4: {distillation.soft_targets(t_demo, 4.0)[0, 1]:.3f}")
""",
        cases=(Case(),),
        atol=0.02,
        hints=(
            "Find the group of bars for T = 4 and its second bar.",
            "Read the bar's height on the vertical axis, the probability.",
        ),
        mistakes=(
            Mistake(
                "That is the first class's target at T = 4, the tallest bar; the question asks for the second.",
                lambda expected: _probability(_DEMO_LOGITS / 4, 0),
            ),
            Mistake(
                "That is the second class's target at T = 1, where it is hardly visible; read the group for T = 4.",
                lambda expected: _probability(_DEMO_LOGITS, 1),
            ),
            Mistake(
                "That is the second class's target at T = 8; read the group for T = 4.",
                lambda expected: _probability(_DEMO_LOGITS / 8, 1),
            ),
        ),
    ),
]
