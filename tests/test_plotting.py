"""lossbook.plotting: the shared plots draw what they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lossbook import plotting


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


# ---------------------------------------------------------------------------
# Training runs and decision boundaries
# ---------------------------------------------------------------------------

from lossbook.training import History  # noqa: E402


def _history(epochs=4):
    e = np.arange(1, epochs + 1)
    return History(e, {"loss": 1 / e, "accuracy": 1 - 0.5 / e}, {"loss": 1.2 / e, "accuracy": 1 - 0.6 / e})


def test_learning_curves_draw_train_and_test_for_loss_and_metric():
    history = _history()
    loss_ax, metric_ax = plotting.learning_curves(history, title="Both halves improve")
    for ax, key in ((loss_ax, "loss"), (metric_ax, "accuracy")):
        train, test = ax.get_lines()
        np.testing.assert_allclose(train.get_ydata(), history.train[key])
        np.testing.assert_allclose(test.get_ydata(), history.test[key])
        np.testing.assert_allclose(train.get_xdata(), history.epochs)
        assert ax.get_xlabel() == "epoch"
    assert (loss_ax.get_ylabel(), metric_ax.get_ylabel()) == ("loss", "accuracy (fraction correct)")
    assert loss_ax.figure._suptitle.get_text() == "Both halves improve"


def test_learning_curves_without_a_metric_draw_one_panel_on_given_axes():
    e = np.arange(1, 3)
    history = History(e, {"loss": [1.0, 0.5]}, {"loss": [1.1, 0.7]})
    fig, ax = plt.subplots()
    (drawn,) = plotting.learning_curves(history, axes=[ax])
    assert drawn is ax and len(ax.get_lines()) == 2


def test_learning_curves_reject_unknown_metrics_and_wrong_axes():
    with pytest.raises(ValueError, match=r"`metric` 'mse' is not in the history; it holds \['accuracy', 'loss'\]"):
        plotting.learning_curves(_history(), metric="mse")
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"`axes` must hold 2 Axes, one for each of \['loss', 'accuracy'\]; got 1"):
        plotting.learning_curves(_history(), axes=[ax])
    with pytest.raises(ValueError, match="`history` must be a lossbook.training.History"):
        plotting.learning_curves({"loss": [1.0]})


def test_compare_curves_draws_one_line_per_run():
    runs = {"a": _history(3), "b": _history(5)}
    ax = plotting.compare_curves(runs, metric="accuracy", half="train")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_allclose(lines[1].get_ydata(), runs["b"].train["accuracy"])
    assert ax.get_ylabel() == "accuracy (fraction correct), training half"
    with pytest.raises(ValueError, match="history 'a' has no 'mse'"):
        plotting.compare_curves(runs, metric="mse")
    with pytest.raises(ValueError, match="`half` must be 'train' or 'test'"):
        plotting.compare_curves(runs, half="val")
    with pytest.raises(ValueError, match="`histories` is empty"):
        plotting.compare_curves({})


def _region_bounds(ax):
    """x-range of the filled region of each class, in class order."""
    regions = [c for c in ax.collections if hasattr(c, "levels")]
    return [(c.get_paths()[0].vertices[:, 0].min(), c.get_paths()[0].vertices[:, 0].max()) for c in regions]


@pytest.fixture(scope="module")
def keras():
    import lossbook

    lossbook.setup(seed=0, keras=True)
    import keras

    return keras


def _first_input_model(activation, outputs=1):
    """A model whose output depends on x1 only: relu(x1) and relu(-x1) feed the head."""
    from lossbook import models

    model = models.mlp(2, hidden=2, outputs=outputs, activation=activation)
    head = np.array([[1.0], [-1.0]]) if outputs == 1 else np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    bias = np.zeros(outputs) if outputs == 1 else np.array([0.0, 0.0, 0.5])
    model.set_weights([np.array([[1.0, -1.0], [0.0, 0.0]]), np.zeros(2), head, bias])
    return model


POINTS = np.array([[-2.0, -1.0], [-0.2, 1.0], [0.3, 0.5], [2.0, 1.0]])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_decision_boundary_of_a_single_unit_sits_at_its_threshold(keras, activation):
    # sigmoid(x1) > 0.5 and tanh(x1) > 0 both mean x1 > 0.
    labels = [0, 0, 1, 1] if activation == "sigmoid" else [-1, -1, 1, 1]
    ax = plotting.decision_boundary(_first_input_model(activation), POINTS, labels, resolution=101)
    (neg_lo, neg_hi), (pos_lo, pos_hi) = _region_bounds(ax)
    step = np.ptp(POINTS[:, 0]) * 1.2 / 100
    assert neg_hi == pytest.approx(0.0, abs=step) and pos_lo == pytest.approx(0.0, abs=step)
    names = [c.get_label() for c in ax.collections if not hasattr(c, "levels")]
    assert names == (["class 0", "class 1"] if activation == "sigmoid" else ["y = -1", "y = +1"])


def test_decision_boundary_of_softmax_takes_the_largest_output(keras):
    # Logits (relu(x1), relu(-x1), 0.5): class 0 right of 0.5, class 1 left of -0.5, class 2 between.
    ax = plotting.decision_boundary(_first_input_model("softmax", 3), POINTS, np.eye(3)[[1, 2, 2, 0]], resolution=201)
    (c0_lo, _), (_, c1_hi), (c2_lo, c2_hi) = _region_bounds(ax)
    assert c0_lo == pytest.approx(0.5, abs=0.05) and c1_hi == pytest.approx(-0.5, abs=0.05)
    assert (c2_lo, c2_hi) == (pytest.approx(-0.5, abs=0.05), pytest.approx(0.5, abs=0.05))


def test_decision_boundary_draws_every_point_once():
    ax = plotting.decision_boundary(lambda g: g[:, 1] - 0.5, POINTS, [0, 1, 1, 1], threshold=0.0, resolution=10)
    scatters = [c for c in ax.collections if not hasattr(c, "levels")]
    np.testing.assert_allclose(np.concatenate([s.get_offsets() for s in scatters]), POINTS[[0, 1, 2, 3]])


def test_decision_boundary_rejects_bad_input():
    f = lambda g: g[:, 0]  # noqa: E731
    with pytest.raises(ValueError, match="a function with one output needs `threshold`"):
        plotting.decision_boundary(f, POINTS, [0, 1, 1, 0], resolution=5)
    with pytest.raises(ValueError, match=r"`x` must have shape \(n, 2\)"):
        plotting.decision_boundary(f, np.zeros((4, 3)), [0, 1, 1, 0], threshold=0.0)
    with pytest.raises(ValueError, match="`y` has 3 labels for 4 points"):
        plotting.decision_boundary(f, POINTS, [0, 1, 1], threshold=0.0)
    with pytest.raises(ValueError, match="`resolution` must be an integer >= 2"):
        plotting.decision_boundary(f, POINTS, [0, 1, 1, 0], threshold=0.0, resolution=1)
    with pytest.raises(ValueError, match=r"^`y` must hold integer class indices 0\.\.K-1; got y\[1\] = 0\.5\. .*model's output"):
        plotting.decision_boundary(f, POINTS, [0, 0.5, 1, 0], threshold=0.0)
    with pytest.raises(ValueError, match=r"^`y` must hold integer class indices 0\.\.K-1; got y\[0\] = -1\."):
        plotting.decision_boundary(f, POINTS, [-1, 0, 1, 0], threshold=0.0)
    with pytest.raises(ValueError, match=r"^`y` rows must each sum to 1 .*got row 0 summing to 2"):
        plotting.decision_boundary(f, POINTS, [[1, 1], [0, 1], [1, 0], [0, 1]], threshold=0.0)
    with pytest.raises(ValueError, match="^`y` must hold real numbers"):
        plotting.decision_boundary(f, POINTS, ["a", "b", "a", "b"], threshold=0.0)
    with pytest.raises(ValueError, match="^`y` must be finite"):
        plotting.decision_boundary(f, POINTS, [0, 1, np.nan, 0], threshold=0.0)


def test_reliability_diagram_draws_the_diagonal_and_sklearns_curve_per_model():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(0)
    p = rng.uniform(size=400)
    y = rng.binomial(1, p)
    models = {"calibrated": p, "overconfident": np.clip(2 * p - 0.5, 0, 1)}
    ax = plotting.reliability_diagram(y, models, n_bins=5)
    diagonal, *curves = ax.get_lines()
    np.testing.assert_allclose(diagonal.get_xydata(), [[0, 0], [1, 1]])
    assert [c.get_label() for c in curves] == list(models)
    for curve, probs in zip(curves, models.values()):
        observed, predicted = calibration_curve(y, probs, n_bins=5)
        np.testing.assert_allclose(curve.get_xdata(), predicted)
        np.testing.assert_allclose(curve.get_ydata(), observed)
    # A calibrated model lies near the diagonal; the overconfident one does not.
    assert np.max(np.abs(curves[0].get_ydata() - curves[0].get_xdata())) < 0.1
    assert np.max(np.abs(curves[1].get_ydata() - curves[1].get_xdata())) > 0.15


def test_reliability_diagram_takes_one_array_and_the_given_axes():
    fig, ax = plt.subplots()
    assert plotting.reliability_diagram([0, 1, 1, 0], np.array([0.2, 0.7, 0.9, 0.4]), ax=ax, n_bins=2) is ax
    assert [line.get_label() for line in ax.get_lines()] == ["perfectly calibrated", "model"]


def test_reliability_diagram_rejects_bad_input():
    with pytest.raises(ValueError, match=r"have shape \(3,\) but `y_true` has shape \(4,\)"):
        plotting.reliability_diagram([0, 1, 1, 0], {"m": [0.2, 0.7, 0.9]})
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]; got min=-2.*Did you pass logits"):
        plotting.reliability_diagram([0, 1, 1, 0], {"m": [-2.0, 0.7, 0.9, 0.1]})
    with pytest.raises(ValueError, match="labels 0 and 1.*soft labels"):
        plotting.reliability_diagram([0, 0.5, 1, 0], [0.2, 0.7, 0.9, 0.1])
    with pytest.raises(ValueError, match="`n_bins` must be an integer >= 2"):
        plotting.reliability_diagram([0, 1], [0.2, 0.7], n_bins=1)


def test_rate_curve_draws_validation_and_test_on_a_log_axis():
    ax = plotting.rate_curve([0.001, 0.01, 0.1], [0.8, 0.85, np.nan], [0.79, 0.84, np.nan], label="BCE", selected=0.01)
    assert ax.get_xscale() == "log" and len(ax.lines) == 3
    assert ax.lines[2].get_xdata()[0] == 0.01
    with pytest.raises(ValueError, match="1-D arrays of the same length"):
        plotting.rate_curve([0.1, 0.2], [0.1], [0.1, 0.2], label="x")


def test_paired_intervals_draw_one_row_per_claim():
    from lossbook import stats

    rng = np.random.default_rng(0)
    verdicts = stats.judge(
        [
            ("A > B", "better", 0.01 + 0.002 * rng.standard_normal(20), 0.005),
            ("C = D", "equal", 0.001 * rng.standard_normal(20), 0.005),
        ]
    )
    ax = plotting.paired_intervals(verdicts)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A > B", "C = D"]
