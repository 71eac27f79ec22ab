"""One contract suite for every strategy, on cheap closed-form objectives."""

from __future__ import annotations

import math
from typing import Callable, Optional

import pytest

from flair_hpo.space import Categorical, Float, Int, Space
from flair_hpo.strategies import EvolutionarySearch, GridSearch, RandomSearch, SearchStrategy, TPESearch

STRATEGIES: dict[str, Callable[[int], SearchStrategy]] = {
    "grid": lambda seed: GridSearch(seed=seed),
    "random": lambda seed: RandomSearch(seed=seed),
    "evolutionary": lambda seed: EvolutionarySearch(population_size=6, seed=seed),
    "tpe": lambda seed: TPESearch(n_startup_trials=5, seed=seed),
}
CONTINUOUS = ["random", "evolutionary", "tpe"]


def finite_space() -> Space:
    """16 points: an RNN branch (3 hidden sizes x 2 layer counts) and a pooling branch (2 poolings), each with 2 learning rates."""
    return Space(
        {
            "embedding": Categorical(["rnn", "pool"]),
            "hidden": Categorical([32, 64, 128]),
            "layers": Int(1, 2),
            "pooling": Categorical(["mean", "max"]),
            "lr": Float(0.1, 0.2, step=0.1),
        },
        conditions={"hidden": ("embedding", 0), "layers": ("embedding", 0), "pooling": ("embedding", 1)},
    )


def continuous_space() -> Space:
    return Space(
        {"x": Float(-3.0, 3.0), "lr": Float(1e-4, 1.0, log=True), "k": Int(1, 8), "c": Categorical(["a", "b", "c"])}
    )


def quadratic(space: Space, point: dict) -> float:
    """Maximum 0 at x=1, lr=0.01, k=3, c='b'."""
    v = space.decode(point)
    return -((v["x"] - 1) ** 2) - (math.log10(v["lr"]) + 2) ** 2 - 0.1 * (v["k"] - 3) ** 2 - (v["c"] != "b")


def finite_objective(space: Space, point: dict) -> Optional[float]:
    v = space.decode(point)
    if v["embedding"] == "pool" and v["pooling"] == "max":
        return None  # a failing configuration
    return v["lr"] + (v.get("hidden", 0) / 1000) + v.get("layers", 0) / 100


def run(strategy: SearchStrategy, space: Space, objective, trials: int) -> list[dict]:
    strategy.make_configurations(space)
    points = []
    for _ in range(trials):
        suggestion = strategy.ask()
        if suggestion is None:
            break
        points.append(suggestion.point)
        strategy.tell(suggestion.trial_id, objective(space, suggestion.point))
    return points


@pytest.mark.parametrize("name", STRATEGIES)
def test_points_stay_inside_the_space(name: str) -> None:
    space = finite_space()
    for point in run(STRATEGIES[name](0), space, finite_objective, 12):
        assert space.contains(point), point
        assert set(point) == set(space.active_keys(point))


@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_points_stay_inside_the_space(name: str) -> None:
    space = continuous_space()
    points = run(STRATEGIES[name](0), space, quadratic, 30)
    assert len(points) == 30
    assert all(space.contains(point) for point in points)


@pytest.mark.parametrize("name", STRATEGIES)
def test_same_seed_gives_the_same_sequence(name: str) -> None:
    space = finite_space() if name == "grid" else continuous_space()
    objective = finite_objective if name == "grid" else quadratic
    first = run(STRATEGIES[name](7), space, objective, 25)
    second = run(STRATEGIES[name](7), space, objective, 25)
    assert first == second
    if name != "grid":
        assert run(STRATEGIES[name](8), space, objective, 25) != first


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_finite_space_is_exhausted_without_repeats(name: str) -> None:
    space = finite_space()
    assert space.grid_size() == 16
    points = run(STRATEGIES[name](3), space, finite_objective, 50)
    assert len(points) == 16
    assert len({space.point_id(p) for p in points}) == 16
    strategy = STRATEGIES[name](3)
    run(strategy, space, finite_objective, 50)
    assert strategy.ask() is None


@pytest.mark.parametrize("name", STRATEGIES)
def test_failed_trials_do_not_stop_the_search(name: str) -> None:
    space = finite_space()
    strategy = STRATEGIES[name](1)
    points = run(strategy, space, lambda s, p: None, 50)
    assert len(points) == 16


@pytest.mark.parametrize("name", STRATEGIES)
def test_replaying_the_answers_resumes_exactly(name: str) -> None:
    space = finite_space() if name == "grid" else continuous_space()
    objective = finite_objective if name == "grid" else quadratic
    uninterrupted = run(STRATEGIES[name](5), space, objective, 20)

    resumed = STRATEGIES[name](5)
    resumed.make_configurations(space)
    for expected in uninterrupted[:9]:  # what the journal holds
        suggestion = resumed.ask()
        assert suggestion.point == expected
        resumed.tell(suggestion.trial_id, objective(space, suggestion.point))
    rest = []
    for _ in range(11):
        suggestion = resumed.ask()
        if suggestion is None:
            break
        rest.append(suggestion.point)
        resumed.tell(suggestion.trial_id, objective(space, suggestion.point))
    assert uninterrupted[:9] + rest == uninterrupted


@pytest.mark.parametrize("name", STRATEGIES)
def test_telling_an_unknown_trial_is_an_error(name: str) -> None:
    strategy = STRATEGIES[name](0)
    strategy.make_configurations(finite_space())
    with pytest.raises(ValueError, match="trial 5 was not asked"):
        strategy.tell(5, 1.0)


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


@pytest.mark.parametrize("name", ["evolutionary", "tpe"])
def test_model_based_strategies_beat_random_search_on_a_smooth_objective(name: str) -> None:
    space = continuous_space()
    wins = 0
    for seed in range(5):
        informed = max(quadratic(space, p) for p in run(STRATEGIES[name](seed), space, quadratic, 60))
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
