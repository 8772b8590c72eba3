"""lossbook.plotting: the shared plots draw what they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lossbook import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_loss_curve_draws_the_curve_and_the_path():
    ax = plotting.loss_curve(lambda w: (w - 1) ** 2, (-2, 3), path=[-2, 0, 1], label="path", num=50)
    curve, path = ax.get_lines()
    np.testing.assert_allclose(curve.get_xdata(), np.linspace(-2, 3, 50))
    np.testing.assert_allclose(curve.get_ydata(), (np.linspace(-2, 3, 50) - 1) ** 2)
    np.testing.assert_allclose(path.get_ydata(), [9, 1, 0])
    assert path.get_label() == "path"


def test_loss_curve_uses_the_given_axes():
    fig, ax = plt.subplots()
    assert plotting.loss_curve(abs, (-1, 1), ax=ax) is ax


def test_loss_contours_marks_start_and_end_of_each_path():
    path = np.array([[1.0, 1.0], [0.5, 0.5], [0.0, 0.0]])
    ax = plotting.loss_contours(lambda w: float(w @ w), (-2, 2), (-2, 2), paths=[path], labels=["a"], num=11)
    line, start, end = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), path[:, 0])
    assert (start.get_xdata()[0], end.get_xdata()[0]) == (1.0, 0.0)


def test_bad_ranges_and_paths_are_rejected():
    with pytest.raises(ValueError, match="`xlim` must be \\(low, high\\) with low < high"):
        plotting.loss_curve(abs, (1, -1))
    with pytest.raises(ValueError, match="expected \\(steps, 2\\)"):
        plotting.loss_contours(lambda w: 0.0, (0, 1), (0, 1), paths=[np.zeros((3, 3))], num=3)
    with pytest.raises(ValueError, match="got 2 labels for 1 paths"):
        plotting.loss_contours(lambda w: 0.0, (0, 1), (0, 1), paths=[np.zeros((3, 2))], labels=["a", "b"], num=3)
