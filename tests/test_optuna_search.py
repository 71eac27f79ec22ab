"""OptunaSearch: what it adds to the strategy contract (tests/test_strategy_contract.py runs that for it)."""

from __future__ import annotations

import sys

import pytest

pytest.register_assert_rewrite("flair_hpo.testing.strategy_contract")  # before the import: readable failures

from flair_hpo.errors import ConfigurationError  # noqa: E402
from flair_hpo.space import Categorical, Float, Int, Normal, Space  # noqa: E402
from flair_hpo.strategies import OptunaSearch, TPESearch  # noqa: E402
from flair_hpo.testing.strategy_contract import continuous_space, quadratic, run  # noqa: E402

optuna = pytest.importorskip("optuna")


def test_normal_distributions_are_refused_with_what_to_use_instead() -> None:
    space = Space({"lr": Float(0.01, 0.1), "dropout": Normal(0.2, 0.05)})
    with pytest.raises(ConfigurationError, match=r"\['dropout'\] are normal distributions; give them a range"):
        OptunaSearch(seed=0).make_configurations(space)


def test_without_optuna_the_error_gives_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'flair-hpo\[optuna\]'"):
        OptunaSearch(seed=0).make_configurations(continuous_space())


def test_cma_es_samples_and_without_its_module_is_refused_when_bound_not_after_a_trial(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    points = run(OptunaSearch(sampler="cmaes", seed=0), continuous_space(), quadratic, 12)
    assert len(points) == 12  # its sampler imports cmaes at the second ask
    monkeypatch.setitem(sys.modules, "cmaes", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"cmaes is needed for this feature: pip install 'flair-hpo\[optuna\]'"):
        OptunaSearch(sampler="cmaes", seed=0).make_configurations(continuous_space())


def test_the_named_sampler_and_its_options_reach_optuna() -> None:
    strategy = OptunaSearch(sampler="qmc", seed=3, qmc_type="halton", scramble=True)
    strategy.make_configurations(continuous_space())
    sampler = strategy._study.sampler
    assert isinstance(sampler, optuna.samplers.QMCSampler) and sampler._qmc_type == "halton"
    default = OptunaSearch(seed=3)
    default.make_configurations(continuous_space())
    assert isinstance(default._study.sampler, optuna.samplers.TPESampler) and default._study.sampler._multivariate


@pytest.mark.parametrize(
    ("distribution", "grid"),
    [
        (Float(0.0, 1.0, step=0.25), {0.0, 0.25, 0.5, 0.75, 1.0}),
        (Float(0.05, 0.25, step=0.1), {0.1, 0.2}),
        (Float(0.001, 0.01, log=True, step=0.003), {0.003, 0.006, 0.009}),
        (Int(32, 128, step=32), {32, 64, 96, 128}),
        (Int(8, 64, log=True, step=8), {8, 16, 24, 32, 40, 48, 56, 64}),
    ],
)
def test_a_stepped_range_is_searched_on_its_grid_until_the_grid_is_exhausted(distribution, grid) -> None:
    space = Space({"x": distribution})
    strategy = OptunaSearch(seed=0)
    points = run(strategy, space, lambda s, p: -abs(p["x"] - 0.3), 20)
    assert sorted(p["x"] for p in points) == pytest.approx(sorted(grid))  # each grid value once, then exhausted
    if not distribution.log:  # Optuna samples the grid itself (log ranges it cannot step are rounded after)
        assert all(distribution.contains(trial.params["x"]) for trial in strategy._study.trials)


def test_repeated_proposals_are_answered_from_the_first_and_never_evaluated_twice() -> None:
    space = Space({"a": Categorical([0, 1, 2]), "b": Categorical([0, 1])})  # 6 points, so the sampler repeats itself
    strategy = OptunaSearch(seed=0, n_startup_trials=2)
    points = run(strategy, space, lambda s, p: float(p["a"] + p["b"]), 10)
    assert len(points) == 6 and len({space.point_id(p) for p in points}) == 6
    told = [t for t in strategy._study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert {(t.params["a"], t.params["b"], t.value) for t in told} == {
        (p["a"], p["b"], p["a"] + p["b"]) for p in points
    }


def test_multivariate_tpe_beats_hyperopts_on_a_correlated_objective() -> None:
    space = Space({"x": Float(-3.0, 3.0), "y": Float(-3.0, 3.0)})

    def valley(space: Space, point: dict) -> float:  # a narrow diagonal valley: x and y only count together
        return -((point["x"] - point["y"]) ** 2) * 10 - (point["x"] + point["y"] - 1) ** 2

    wins = 0
    for seed in range(10):
        joint = max(valley(space, p) for p in run(OptunaSearch(seed=seed), space, valley, 60))
        independent = max(valley(space, p) for p in run(TPESearch(seed=seed), space, valley, 60))
        wins += joint > independent
    assert wins >= 8
