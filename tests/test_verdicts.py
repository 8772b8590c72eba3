"""The confirmatory design of chapter 11b: a rate chosen on every dataset, and the figures read from it."""

import numpy as np
import pytest

import lossbook
from lossbook import nested


@pytest.fixture(scope="module")
def small():
    """MSE at two rates on three new datasets: 6 networks of 100 epochs."""
    lossbook.setup(seed=0, keras=True)
    return nested.fit("mean_squared_error", [5000, 5001, 5002], [0.001, 0.1])


def test_nested_selection_picks_a_rate_per_dataset_from_its_own_validation_rows(small):
    assert small.validation.shape == small.test.shape == (2, 3)
    assert small.chosen.shape == (3,)
    assert np.array_equal(small.chosen, np.argmin(small.validation, axis=0))
    assert np.array_equal(small.selected(), small.test[small.chosen, np.arange(3)])
    # 100 epochs at 0.001 leave MSE far from the fit that 0.1 reaches, on every dataset
    assert np.all(small.selected_rate == 0.1)
    # each dataset was its own draw: the validation figures differ between datasets
    assert np.unique(small.validation[1]).size == 3


def test_validation_figures_are_those_of_networks_scored_after_every_epoch(small):
    """nested.fit scores the validation rows once, at the end; the figures are those of a run scored every epoch."""
    from lossbook import data, registry, replicas

    datasets = [5000, 5001, 5002]
    held = [data.validation(data.resampled("regression", s), fraction=0.2, seed=0) for s in datasets]
    runs = replicas.fit(
        "mean_squared_error",
        held * 2,
        replicas=6,
        seeds=datasets * 2,
        learning_rate=np.repeat([0.001, 0.1], 3),
        progress=False,
        dtype="float64",
        **registry.EXPERIMENTS["regression"].settings,
    )
    assert np.all(np.isfinite(runs.test["mse"]))
    np.testing.assert_array_equal(small.validation, runs.test["mse"][:, -1].reshape(2, 3))
    np.testing.assert_array_equal(small.validation_loss, runs.test["loss"][:, -1].reshape(2, 3))


def test_the_choice_follows_each_datasets_own_figures_not_the_average():
    accuracy = np.array([[0.90, 0.70, 0.80], [0.80, 0.85, 0.80], [0.70, 0.80, 0.80]])
    loss = np.array([[0.3, 0.6, 0.5], [0.4, 0.4, 0.4], [0.5, 0.5, 0.3]])
    chosen = nested.choose(accuracy, np.ones((3, 3), bool), loss, lower_is_better=False)
    assert chosen.tolist() == [0, 1, 2]  # the third dataset's three-way tie goes to the lowest loss
    assert nested.choose(accuracy, np.ones((3, 3), bool), lower_is_better=False).tolist() == [0, 1, 0]
    finite = np.ones((3, 3), bool)
    finite[0, 0] = False  # a rate that diverged on a dataset is not eligible there
    assert nested.choose(accuracy, finite, loss, lower_is_better=False).tolist() == [1, 1, 2]
    errors = np.array([[1.0, 0.1], [0.5, 0.2]])
    assert nested.choose(errors, np.ones((2, 2), bool), lower_is_better=True).tolist() == [1, 0]


def test_choosing_without_an_eligible_rate_or_with_mismatched_shapes_is_a_clear_error():
    with pytest.raises(ValueError, match="every rate diverged"):
        nested.choose(np.ones((2, 2)), np.array([[True, False], [True, False]]), lower_is_better=True)
    with pytest.raises(ValueError, match="share one shape"):
        nested.choose(np.ones((2, 2)), np.ones((2, 3), bool), lower_is_better=True)


def test_bad_arguments_of_fit_name_the_problem():
    with pytest.raises(ValueError, match="registry.LOSSES"):
        nested.fit("mse", [1], [0.01])
    with pytest.raises(ValueError, match="`schedule` must be one of"):
        nested.fit("mean_squared_error", [1], [0.01], schedule="cosine")
    with pytest.raises(ValueError, match="`rates` must be positive"):
        nested.fit("mean_squared_error", [1], [0.0, 0.01])
    with pytest.raises(ValueError, match="one network seed per dataset"):
        nested.fit("mean_squared_error", [1, 2], [0.01], seeds=[1])


def test_the_step_schedule_trains_each_stage_at_a_tenth_of_the_rate_before():
    lossbook.setup(seed=0, keras=True)
    constant = nested.fit("mean_squared_error", [5000], [0.1])
    step = nested.fit("mean_squared_error", [5000], [0.1], schedule="step")
    assert step.validation.shape == (1, 1) and np.all(step.finite)
    assert step.validation[0, 0] != constant.validation[0, 0]
    assert [stage for stage in nested._step_stages(100)] == [(50, 1.0), (25, 0.1), (25, 0.01)]


def test_crossed_components_recover_known_variances_and_are_not_floored():
    rng = np.random.default_rng(1)
    d = 2.0 * rng.standard_normal((300, 1)) + 1.0 * rng.standard_normal((1, 300)) + 0.5 * rng.standard_normal((300, 300))
    found = nested.crossed_components(d)
    assert found["data"] == pytest.approx(4.0, rel=0.25)
    assert found["seed"] == pytest.approx(1.0, rel=0.25)
    assert found["residual"] == pytest.approx(0.25, rel=0.05)
    noise = rng.standard_normal((5, 5))  # no dataset or seed effect: estimates scatter around 0, some below
    samples = [nested.crossed_components(rng.standard_normal((5, 5)))["data"] for _ in range(200)]
    assert min(samples) < 0
    draws = nested.pigeonhole(noise, draws=50)
    assert set(draws) == {"data", "seed", "residual"} and draws["data"].shape == (50,)


def test_beats_counts_ties_as_half_and_gives_an_interval_around_the_estimate():
    estimate, low, high = nested.beats(np.array([0.01, 0.02, 0.0, -0.01] * 5))
    assert estimate == pytest.approx(0.625)
    assert low < estimate < high
    assert nested.beats(np.ones(5)) == (1.0, 1.0, 1.0)


def test_seed_budget_at_the_holm_level_needs_more_seeds():
    assert nested.seeds_needed(0.015, 0.005) == 73
    assert nested.seeds_needed(0.015, 0.005, alpha=0.05 / 9) > 73
    with pytest.raises(ValueError, match="`d` must be a positive number"):
        nested.seeds_needed(0.015, 0.0)


@pytest.mark.parametrize("s_d, d, alpha", [(0.015, 0.005, 0.05), (0.02, 0.0015, 0.05 / 9), (0.02, 0.0004, 0.05)])
def test_seed_budget_is_the_first_count_of_all_200000_that_reaches_the_power(s_d, d, alpha):
    """The search in blocks gives the count found among every count at once, below 256 and beyond 4096 alike."""
    from scipy import stats

    n = np.arange(2, 200_001)
    power = stats.nct.sf(stats.t.ppf(1 - alpha / 2, n - 1), n - 1, d * np.sqrt(n) / s_d)
    assert nested.seeds_needed(s_d, d, alpha=alpha) == n[np.argmax(power >= 0.8)]
    assert power[nested.seeds_needed(s_d, d, alpha=alpha) - 3] < 0.8  # the count before falls short


def test_a_seed_budget_out_of_reach_is_an_error_not_two_pairs():
    with pytest.raises(ValueError, match="more than 200,000 pairs would be needed for d = 1e-06"):
        nested.seeds_needed(1.0, 1e-6)
