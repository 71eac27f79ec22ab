"""The strategy contract (flair_hpo.testing.strategy_contract) for every registered strategy, and their own tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

pytest.register_assert_rewrite("flair_hpo.testing.strategy_contract")  # before the import: readable failures

from flair_hpo.space import Categorical, Space  # noqa: E402
from flair_hpo.strategies import STRATEGIES, EvolutionarySearch, GridSearch, RandomSearch  # noqa: E402
from flair_hpo.testing.strategy_contract import *  # noqa: E402, F403
from flair_hpo.testing.strategy_contract import (  # noqa: E402
    StrategyFactory,
    continuous_space,
    finite_objective,
    finite_space,
    quadratic,
    run,
)

ARGUMENTS: dict[str, dict[str, Any]] = {"evolutionary": {"population_size": 6}, "tpe": {"n_startup_trials": 5}}
NEEDS = {"optuna": "optuna"}  # strategies backed by an optional extra, and the module it brings


def factory(name: str) -> StrategyFactory:
    """The strategy registered as ``name``, seeded, with the arguments these tests give it."""
    return lambda seed: STRATEGIES.get(name)(seed=seed, **ARGUMENTS.get(name, {}))


@pytest.fixture(params=STRATEGIES.names())
def strategy_name(request: pytest.FixtureRequest) -> str:
    if request.param in NEEDS:
        pytest.importorskip(NEEDS[request.param])
    return request.param


@pytest.fixture
def strategy_factory(strategy_name: str) -> StrategyFactory:
    return factory(strategy_name)


@pytest.fixture
def supports_continuous(strategy_name: str) -> bool:
    return strategy_name != "grid"


def test_grid_order_is_the_sorted_product_with_the_last_key_fastest() -> None:
    space = Space({"b": Categorical([1, 2]), "a": Categorical(["x", "y", "z"])})
    points = run(GridSearch(), space, lambda s, p: 0.0, 10)
    assert [space.decode(p) for p in points] == [{"a": a, "b": b} for a in "xyz" for b in (1, 2)]


def test_grid_rejects_continuous_ranges() -> None:
    from flair_hpo.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"\['lr', 'x'\] are continuous"):
        GridSearch().make_configurations(continuous_space())


def test_shuffled_grid_covers_the_grid_in_a_seeded_order() -> None:
    space = finite_space()
    shuffled = run(GridSearch(shuffle=True, seed=2), space, finite_objective, 20)
    ordered = run(GridSearch(), space, finite_objective, 20)
    assert shuffled != ordered
    assert sorted(map(space.point_id, shuffled)) == sorted(map(space.point_id, ordered))


def test_random_search_draws_from_the_distributions_on_a_finite_space_and_never_repeats() -> None:
    """A stepped log range is drawn on its log scale, and each branch of a choice as often as the other
    however many configurations it holds; only once draws keep repeating is an unseen point picked."""
    from flair_hpo.space import Float

    stepped_log = Space({"lr": Float(1e-4, 1.0, log=True, step=1e-4)})  # 10,000 points, 99 of them below 0.01
    strategy = RandomSearch(seed=0)
    strategy.make_configurations(stepped_log)
    rates = [stepped_log.decode(strategy.ask().point)["lr"] for _ in range(40)]
    assert 12 <= sum(rate < 0.01 for rate in rates) <= 28  # log-uniform: half; uniform over the points: 1%
    branches = Space(
        {"kind": Categorical(["small", "large"]), "a": Categorical([1, 2]), "b": Categorical(list(range(98)))},
        conditions={"a": ("kind", 0), "b": ("kind", 1)},
    )  # 2 configurations in one branch, 98 in the other
    first_kinds = []
    for seed in range(40):
        strategy = RandomSearch(seed=seed)
        strategy.make_configurations(branches)
        first_kinds.append(branches.decode(strategy.ask().point)["kind"])
    assert 12 <= first_kinds.count("small") <= 28  # by the choice: half; by configurations: 2%
    strategy = RandomSearch(seed=0)
    strategy.make_configurations(branches)
    proposed = [Space.point_id(strategy.ask().point) for _ in range(100)]
    assert len(set(proposed)) == 100 and strategy.ask() is None


def test_evolutionary_search_counts_generations_and_keeps_elites() -> None:
    space = continuous_space()
    strategy = EvolutionarySearch(population_size=5, elitism=2, seed=0)
    points = run(strategy, space, quadratic, 5 + 3 * 3)  # a first generation of 5, then 3 children a generation
    assert strategy.generations_completed == 4
    assert len({space.point_id(p) for p in points}) == len(points)  # no duplicate evaluations
    population = [point for point, _ in strategy._generation]
    assert len(population) == 5
    best = max(points, key=lambda p: quadratic(space, p))
    assert best in population  # elitism: the best configuration so far is never lost

    first_generation = run(EvolutionarySearch(population_size=5, elitism=2, seed=0), space, quadratic, 5)
    strategy = EvolutionarySearch(population_size=5, elitism=2, seed=0)
    run(strategy, space, quadratic, 5)
    strategy.ask()  # breeds the second generation
    elites = sorted(first_generation, key=lambda p: quadratic(space, p), reverse=True)[:2]
    assert [point for point, _ in strategy._generation] == elites


@pytest.mark.parametrize("name", ["evolutionary", "tpe", "optuna"])
def test_model_based_strategies_beat_random_search_on_a_smooth_objective(name: str) -> None:
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    space = continuous_space()
    wins = 0
    for seed in range(5):
        informed = max(quadratic(space, p) for p in run(factory(name)(seed), space, quadratic, 60))
        uninformed = max(quadratic(space, p) for p in run(RandomSearch(seed=seed), space, quadratic, 60))
        wins += informed > uninformed
    assert wins >= 4


def test_invalid_strategy_arguments_are_named() -> None:
    from flair_hpo.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="elitism"):
        EvolutionarySearch(population_size=4, elitism=4)
    with pytest.raises(ConfigurationError, match="mutation_rate"):
        EvolutionarySearch(mutation_rate=1.5)
    with pytest.raises(ConfigurationError, match="seed"):
        RandomSearch(seed=-1)


def test_optuna_and_evolutionary_search_propose_a_point_stopped_early_once_more_and_the_others_never(
    strategy_name: str, strategy_factory: StrategyFactory
) -> None:
    space = finite_space()
    points = run(strategy_factory(2), space, finite_objective, 100, stopped_early=True)
    tries = 2 if strategy_name in ("optuna", "evolutionary") else 1
    assert sorted(Counter(space.point_id(p) for p in points).values()) == [tries] * 16
    assert len(run(strategy_factory(2), space, finite_objective, 100)) == 16  # trials that end are never repeated


def test_evolutionary_search_keeps_one_member_a_point_whose_retry_it_was_told() -> None:
    space = finite_space()
    strategy = EvolutionarySearch(population_size=4, elitism=2, seed=0)
    run(strategy, space, finite_objective, 40, stopped_early=True)  # every point stopped, then retried once
    population = [space.point_id(point) for point, _ in strategy._generation]
    assert population and len(population) == len(set(population))
