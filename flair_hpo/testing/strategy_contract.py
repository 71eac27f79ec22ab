"""The contract every search strategy keeps, as pytest tests on cheap closed-form objectives.

To run it against a strategy, import the tests into a test module and provide the fixtures::

    from flair_hpo.testing.strategy_contract import *  # noqa: F403

    @pytest.fixture
    def strategy_factory() -> StrategyFactory:
        return lambda seed: MySearch(seed=seed)

    @pytest.fixture
    def supports_continuous() -> bool:  # optional: True unless overridden
        return True

``strategy_factory`` builds a fresh strategy from a seed. A strategy that ``supports_continuous`` spaces is
checked on a continuous space too, and must then propose different sequences for different seeds; one
that does not (as grid search) must refuse a continuous space with a ``ConfigurationError``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable, Optional

import pytest

from flair_hpo.errors import ConfigurationError
from flair_hpo.space import Categorical, Float, Int, Space
from flair_hpo.strategies import SearchStrategy

__all__ = [
    "supports_continuous",
    "test_points_stay_inside_the_space",
    "test_continuous_points_stay_inside_the_space",
    "test_same_seed_gives_the_same_sequence",
    "test_a_finite_space_is_exhausted_without_repeats",
    "test_failed_trials_do_not_stop_the_search",
    "test_replaying_the_answers_resumes_exactly",
    "test_telling_an_unknown_trial_is_an_error",
    "test_a_finite_space_told_only_early_stops_still_ends",
]

StrategyFactory = Callable[[int], SearchStrategy]
Objective = Callable[[Space, dict[str, Any]], Optional[float]]


def finite_space() -> Space:
    """16 points: an RNN branch (3 hidden sizes x 2 layer counts) and a pooling branch (2 poolings), each with 2 learning rates."""
    return Space(
        {
            "embedding": Categorical(["rnn", "pool"]),
            "hidden": Int(20, 100, step=32),  # 32, 64 or 96: the multiples of the step inside the range
            "layers": Int(1, 2),
            "pooling": Categorical(["mean", "max"]),
            "lr": Float(0.05, 0.25, step=0.1),  # 0.1 or 0.2
        },
        conditions={"hidden": ("embedding", 0), "layers": ("embedding", 0), "pooling": ("embedding", 1)},
    )


def continuous_space() -> Space:
    """Two continuous ranges (one on a log scale), an integer and a categorical."""
    return Space(
        {"x": Float(-3.0, 3.0), "lr": Float(1e-4, 1.0, log=True), "k": Int(1, 8), "c": Categorical(["a", "b", "c"])}
    )


def quadratic(space: Space, point: dict[str, Any]) -> float:
    """Maximum 0 at x=1, lr=0.01, k=3, c='b'."""
    v = space.decode(point)
    return -((v["x"] - 1) ** 2) - (math.log10(v["lr"]) + 2) ** 2 - 0.1 * (v["k"] - 3) ** 2 - (v["c"] != "b")


def finite_objective(space: Space, point: dict[str, Any]) -> Optional[float]:
    """A score for every point of :func:`finite_space`; the pooling branch with max pooling fails (None)."""
    v = space.decode(point)
    if v["embedding"] == "pool" and v["pooling"] == "max":
        return None  # a failing configuration
    return v["lr"] + (v.get("hidden", 0) / 1000) + v.get("layers", 0) / 100


def run(
    strategy: SearchStrategy, space: Space, objective: Objective, trials: int, stopped_early: bool = False
) -> list[dict[str, Any]]:
    """Bind ``strategy`` to ``space`` and ask and tell up to ``trials`` times; the points asked, in order.
    With ``stopped_early``, every trial is told as one an early-stopping rule stopped."""
    strategy.make_configurations(space)
    points = []
    for _ in range(trials):
        suggestion = strategy.ask()
        if suggestion is None:
            break
        points.append(suggestion.point)
        strategy.tell(suggestion.trial_id, objective(space, suggestion.point), stopped_early)
    return points


def space_and_objective(supports_continuous: bool) -> tuple[Space, Objective]:
    """The richest space the strategy handles, with its objective."""
    return (continuous_space(), quadratic) if supports_continuous else (finite_space(), finite_objective)


@pytest.fixture
def supports_continuous() -> bool:
    """Whether the strategy handles continuous ranges; override it for one that does not."""
    return True


def test_points_stay_inside_the_space(strategy_factory: StrategyFactory) -> None:
    space = finite_space()
    for point in run(strategy_factory(0), space, finite_objective, 12):
        assert space.contains(point), point
        assert set(point) == set(space.active_keys(point))


def test_continuous_points_stay_inside_the_space(strategy_factory: StrategyFactory, supports_continuous: bool) -> None:
    space = continuous_space()
    if not supports_continuous:
        with pytest.raises(ConfigurationError):
            strategy_factory(0).make_configurations(space)
        return
    points = run(strategy_factory(0), space, quadratic, 30)
    assert len(points) == 30
    assert all(space.contains(point) for point in points)


def test_same_seed_gives_the_same_sequence(strategy_factory: StrategyFactory, supports_continuous: bool) -> None:
    space, objective = space_and_objective(supports_continuous)
    first = run(strategy_factory(7), space, objective, 25)
    second = run(strategy_factory(7), space, objective, 25)
    assert first == second
    if supports_continuous:
        assert run(strategy_factory(8), space, objective, 25) != first


def test_a_finite_space_is_exhausted_without_repeats(strategy_factory: StrategyFactory) -> None:
    space = finite_space()
    assert space.grid_size() == 16
    points = run(strategy_factory(3), space, finite_objective, 50)
    assert len(points) == 16
    assert len({space.point_id(p) for p in points}) == 16
    strategy = strategy_factory(3)
    run(strategy, space, finite_objective, 50)
    assert strategy.ask() is None


def test_failed_trials_do_not_stop_the_search(strategy_factory: StrategyFactory) -> None:
    space = finite_space()
    points = run(strategy_factory(1), space, lambda s, p: None, 50)
    assert len(points) == 16


def test_replaying_the_answers_resumes_exactly(strategy_factory: StrategyFactory, supports_continuous: bool) -> None:
    space, objective = space_and_objective(supports_continuous)
    uninterrupted = run(strategy_factory(5), space, objective, 20)

    resumed = strategy_factory(5)
    resumed.make_configurations(space)
    for expected in uninterrupted[:9]:  # what the journal holds
        suggestion = resumed.ask()
        assert suggestion is not None and suggestion.point == expected
        resumed.tell(suggestion.trial_id, objective(space, suggestion.point))
    rest = []
    for _ in range(11):
        suggestion = resumed.ask()
        if suggestion is None:
            break
        rest.append(suggestion.point)
        resumed.tell(suggestion.trial_id, objective(space, suggestion.point))
    assert uninterrupted[:9] + rest == uninterrupted


def test_telling_an_unknown_trial_is_an_error(strategy_factory: StrategyFactory) -> None:
    strategy = strategy_factory(0)
    strategy.make_configurations(finite_space())
    with pytest.raises(ValueError, match="trial 5 was not asked"):
        strategy.tell(5, 1.0)


def test_a_finite_space_told_only_early_stops_still_ends(strategy_factory: StrategyFactory) -> None:
    """A point stopped early may come back, ``retries_after_early_stop`` times at most: the search still ends."""
    space, strategy = finite_space(), strategy_factory(2)
    points = run(strategy, space, finite_objective, 100, stopped_early=True)
    proposals = Counter(space.point_id(p) for p in points)
    assert len(proposals) == 16
    assert max(proposals.values()) <= 1 + strategy.retries_after_early_stop
