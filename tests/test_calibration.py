"""lossbook.calibration: top-label confidence, bins, ECE and temperature scaling."""

import itertools

import numpy as np
import pytest
from scipy import special
from sklearn import metrics

from lossbook import calibration, plotting


def _rows(n, k, seed, scale=2.0):
    rng = np.random.default_rng(seed)
    z = scale * rng.normal(size=(n, k))
    return z, special.softmax(z, axis=1), rng.integers(0, k, n)


def _ece_by_loop(p, y, n_bins):
    """The definition written out case by case, independently of the module's binning."""
    confidence, predicted = p.max(axis=1), p.argmax(axis=1)
    total = 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        members = [i for i, c in enumerate(confidence) if low < c <= high or (b == 0 and c == 0)]
        if members:
            gap = np.mean([confidence[i] for i in members]) - np.mean([predicted[i] == y[i] for i in members])
            total += len(members) * abs(gap)
    return total / len(y)


@pytest.mark.parametrize("n_bins", [1, 2, 10, 15, 40])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ece_follows_its_definition(n_bins, seed):
    _, p, y = _rows(300, 5, seed)
    assert calibration.expected_calibration_error(p, y, n_bins=n_bins) == pytest.approx(_ece_by_loop(p, y, n_bins), abs=1e-12)


def test_bins_put_edges_in_the_bin_they_close():
    p = np.array([[0.5, 0.5], [1.0, 0.0], [0.75, 0.25], [0.7, 0.3]])
    bins = calibration.calibration_bins(p, [0, 0, 1, 0], n_bins=4)
    # 0.5 closes (0.25, 0.5]; 0.7 and 0.75 lie in (0.5, 0.75]; 1.0 closes (0.75, 1].
    assert bins.count.tolist() == [0, 1, 2, 1]
    np.testing.assert_allclose(bins.confidence[1:], [0.5, 0.725, 1.0])
    np.testing.assert_allclose(bins.accuracy[1:], [1.0, 0.5, 1.0])
    assert np.isnan(bins.confidence[0]) and np.isnan(bins.accuracy[0])
    np.testing.assert_allclose(bins.edges, [0, 0.25, 0.5, 0.75, 1])


def test_a_calibrated_model_has_a_small_ece_and_a_miscalibrated_one_does_not():
    rng = np.random.default_rng(3)
    _, p, _ = _rows(20000, 4, 3)
    honest = np.array([rng.choice(4, p=row) for row in p])  # labels drawn from the model's own probabilities
    assert calibration.expected_calibration_error(p, honest) < 0.02
    sharp = special.softmax(3 * np.log(p), axis=1)  # the same ranking, overconfident
    confidence, correct = calibration.top_label(sharp, honest)
    assert confidence.mean() - correct.mean() > 0.1
    assert calibration.expected_calibration_error(sharp, honest) > 0.1


def test_one_bin_is_the_gap_between_mean_confidence_and_accuracy():
    _, p, y = _rows(50, 3, 4)
    confidence, correct = calibration.top_label(p, y)
    assert calibration.expected_calibration_error(p, y, n_bins=1) == pytest.approx(abs(confidence.mean() - correct.mean()))


def test_top_label_reads_the_first_of_tied_classes():
    confidence, correct = calibration.top_label([[0.4, 0.4, 0.2]], [1])
    assert confidence.tolist() == [0.4] and correct.tolist() == [False]


def test_scaling_keeps_the_predicted_class_and_moves_the_confidence():
    z, p, _ = _rows(200, 6, 5)
    np.testing.assert_allclose(calibration.scale(z, 1.0), p, rtol=1e-12)
    for t in (0.3, 2.0, 50.0):
        q = calibration.scale(z, t)
        np.testing.assert_array_equal(q.argmax(axis=1), p.argmax(axis=1))
        np.testing.assert_allclose(q.sum(axis=1), 1.0)
    assert np.all(calibration.scale(z, 2.0).max(axis=1) < p.max(axis=1))  # a temperature above 1 flattens
    assert np.all(calibration.scale(z, 0.5).max(axis=1) > p.max(axis=1))
    np.testing.assert_allclose(calibration.scale(z, 1e6), 1 / 6, atol=1e-4)


@pytest.mark.parametrize("truth", [0.5, 1.0, 3.0])
def test_the_fitted_temperature_recovers_the_true_one(truth):
    rng = np.random.default_rng(int(10 * truth))
    z = 2.5 * rng.normal(size=(20000, 5))
    y = np.array([rng.choice(5, p=row) for row in calibration.scale(z, truth)])
    assert calibration.fit_temperature(z, y) == pytest.approx(truth, rel=0.05)


def test_the_temperature_minimises_the_validation_nll_and_scales_with_the_logits():
    z, _, y = _rows(500, 4, 6, scale=1.0)
    y = np.where(np.random.default_rng(6).random(500) < 0.7, z.argmax(axis=1), y)  # mostly right
    t = calibration.fit_temperature(z, y)

    def nll(temperature):
        return -np.mean(np.log(calibration.scale(z, temperature)[np.arange(y.size), y]))

    assert nll(t) <= min(nll(0.98 * t), nll(1.02 * t))
    assert calibration.fit_temperature(3 * z, y) == pytest.approx(3 * t, rel=1e-4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: calibration.top_label([[0.5, 0.6]], [0]), "sum to 1"),
        (lambda: calibration.top_label([[0.5, 0.5]], [2]), r"class indices 0\.\.1"),
        (lambda: calibration.top_label([[0.5, 0.5], [0.2, 0.8]], [0]), "one class per row; got 1 labels and 2 rows"),
        (lambda: calibration.top_label([0.2, 0.8], [1]), r"shape \(n, K\)"),
        (lambda: calibration.top_label([[np.nan, 1.0]], [1]), "must be finite"),
        (lambda: calibration.top_label([[1.5, -0.5]], [0]), r"\[0, 1\]"),
        (lambda: calibration.calibration_bins([[0.5, 0.5]], [0], n_bins=0), "n_bins"),
        (lambda: calibration.expected_calibration_error([[0.5, 0.5]], [0.5]), "integer class indices"),
        (lambda: calibration.scale([[1.0, 2.0]], 0.0), "temperature"),
        (lambda: calibration.scale([[1.0, np.inf]], 1.0), "must be finite"),
        (lambda: calibration.fit_temperature([[1.0, 2.0], [0.0, 1.0]], [1, 1], bounds=(2.0, 1.0)), "0 < low < high"),
        (lambda: calibration.fit_temperature([[1.0, 2.0]], [1, 0]), "one class per row"),
        (lambda: calibration.expected_ece_if_calibrated([[0.5, 0.6]]), "sum to 1"),
        (lambda: calibration.expected_ece_if_calibrated([[0.5, 0.5]], n_bins=0), "n_bins"),
        (lambda: calibration.brier_decomposition([[0.5, 0.5]], [3]), r"class indices 0\.\.1"),
        (lambda: calibration.brier_decomposition([[0.2, 0.8]], [1, 0]), "one class per row"),
    ],
)
def test_bad_input_gets_a_message_that_names_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_temperature_at_the_edge_of_the_search_is_refused():
    z = np.array([[5.0, 0.0], [0.0, 5.0], [4.0, 1.0]])
    with pytest.raises(ValueError, match="edge of `bounds`"):
        calibration.fit_temperature(z, [0, 1, 0])  # every case right: the likelihood keeps rising as T falls


def _expected_ece_by_enumeration(p, n_bins):
    """Every pattern of right and wrong predictions, weighted by its chance under calibration: exact, for few cases."""
    confidence = p.max(axis=1)
    total = 0.0
    for pattern in itertools.product([0, 1], repeat=len(confidence)):
        right = np.array(pattern)
        chance = np.prod(np.where(right == 1, confidence, 1 - confidence))
        total += chance * _ece_by_loop(p, np.where(right == 1, p.argmax(axis=1), (p.argmax(axis=1) + 1) % p.shape[1]), n_bins)
    return total


@pytest.mark.parametrize("n_bins", [1, 3, 15])
@pytest.mark.parametrize("seed", [0, 1])
def test_expected_ece_if_calibrated_equals_the_enumeration_of_all_outcomes(n_bins, seed):
    _, p, _ = _rows(9, 4, seed, scale=1.5)
    expected = _expected_ece_by_enumeration(p, n_bins)
    assert calibration.expected_ece_if_calibrated(p, n_bins=n_bins) == pytest.approx(expected, abs=1e-12)


def test_expected_ece_if_calibrated_matches_a_simulation_of_calibrated_labels():
    rng = np.random.default_rng(11)
    _, p, _ = _rows(400, 10, 11, scale=3.0)
    draws = []
    for _ in range(2000):  # labels drawn from the model's own probabilities: calibrated by construction
        u = rng.random((p.shape[0], 1))
        labels = np.minimum((u > np.cumsum(p, axis=1)).sum(axis=1), p.shape[1] - 1)
        draws.append(_ece_by_loop(p, labels, 15))
    standard_error = np.std(draws) / np.sqrt(len(draws))
    assert abs(calibration.expected_ece_if_calibrated(p) - np.mean(draws)) < 4 * standard_error


def test_the_reference_is_larger_for_middling_confidences_and_zero_for_certain_ones():
    assert calibration.expected_ece_if_calibrated(np.tile([[1.0, 0.0]], (50, 1))) == 0.0
    sure = np.tile([[0.99, 0.01]], (500, 1))
    unsure = np.tile([[0.6, 0.4]], (500, 1))
    assert calibration.expected_ece_if_calibrated(unsure) > 3 * calibration.expected_ece_if_calibrated(sure)
    # one bin of n cases at 0.5: E|Binomial(n, 1/2) - n/2| / n, in closed form for even n = 2m: C(2m, m) m / 2^(2m) / n
    n = 40
    closed = special.comb(n, n // 2, exact=True) * (n // 2) / 2**n / n
    assert calibration.expected_ece_if_calibrated(np.tile([[0.5, 0.5]], (n, 1)), n_bins=1) == pytest.approx(closed)


def _brier_by_loops(p, y, n_bins):
    """Reliability, resolution and uncertainty written out class by class and bin by bin, with Python loops."""
    n, classes = p.shape
    reliability = resolution = uncertainty = 0.0
    for k in range(classes):
        o = (y == k).astype(float)
        uncertainty += o.mean() * (1 - o.mean())
        for b in range(n_bins):
            low, high = b / n_bins, (b + 1) / n_bins
            members = [i for i in range(n) if low < p[i, k] <= high or (b == 0 and p[i, k] == 0)]
            if members:
                f_bar, o_bar = np.mean(p[members, k]), np.mean(o[members])
                reliability += len(members) / n * (f_bar - o_bar) ** 2
                resolution += len(members) / n * (o_bar - o.mean()) ** 2
    return reliability, resolution, uncertainty


@pytest.mark.parametrize("n_bins", [1, 5, 15])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_brier_decomposition_adds_up_and_follows_its_definition(n_bins, seed):
    _, p, y = _rows(300, 4, seed)
    d = calibration.brier_decomposition(p, y, n_bins=n_bins)
    # The multi-class score is the sum of the one-against-the-rest binary scores (scikit-learn's
    # binary brier_score_loss, which its oldest supported release already has).
    one_vs_rest = sum(metrics.brier_score_loss((y == k).astype(int), p[:, k]) for k in range(4))
    assert d.score == pytest.approx(one_vs_rest, abs=1e-12)
    assert d.score == pytest.approx(d.reliability - d.resolution + d.uncertainty + d.within_bin, abs=1e-12)
    np.testing.assert_allclose([d.reliability, d.resolution, d.uncertainty], _brier_by_loops(p, y, n_bins), atol=1e-12)


def test_forecasts_from_a_few_values_give_murphys_decomposition_exactly():
    # Each bin holds a single forecast value: the within-bin term vanishes and the classic grouping by value applies.
    rng = np.random.default_rng(8)
    values = np.array([0.1, 0.35, 0.6, 0.9])
    f = rng.choice(values, 2000)
    o = (rng.random(2000) < np.where(f > 0.5, f - 0.1, f + 0.05)).astype(int)  # a miscalibrated forecaster
    d = calibration.brier_decomposition(np.c_[1 - f, f], o, n_bins=10)
    assert d.within_bin == pytest.approx(0.0, abs=1e-12)
    reliability = sum(np.mean(f == v) * (v - o[f == v].mean()) ** 2 for v in values)
    resolution = sum(np.mean(f == v) * (o[f == v].mean() - o.mean()) ** 2 for v in values)
    # the two columns are mirror images: each class contributes the same
    assert d.reliability == pytest.approx(2 * reliability)
    assert d.resolution == pytest.approx(2 * resolution)
    assert d.uncertainty == pytest.approx(2 * o.mean() * (1 - o.mean()))


def test_a_calibrated_model_has_a_small_reliability_and_an_overconfident_one_does_not():
    rng = np.random.default_rng(9)
    _, p, _ = _rows(20000, 4, 9)
    honest = np.array([rng.choice(4, p=row) for row in p])
    sharp = special.softmax(3 * np.log(p), axis=1)
    calibrated, overconfident = (calibration.brier_decomposition(q, honest) for q in (p, sharp))
    assert calibrated.reliability < 0.002 < 0.05 < overconfident.reliability
    assert calibrated.uncertainty == overconfident.uncertainty


def test_the_diagram_draws_one_line_per_model_with_its_ece():
    _, p, y = _rows(400, 3, 7)
    ax = plotting.confidence_diagram(y, {"a": p, "b": special.softmax(2 * np.log(p), axis=1)}, n_bins=5)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0] == "perfectly calibrated"
    assert labels[1] == f"a (ECE {calibration.expected_calibration_error(p, y, n_bins=5):.3f})"
    bins = calibration.calibration_bins(p, y, n_bins=5)
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), bins.accuracy[bins.count > 0])
    with pytest.raises(ValueError, match="model 'bad'"):
        plotting.confidence_diagram(y, {"bad": p[:, :2]})
