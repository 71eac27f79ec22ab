"""Strategies with several trials pending at once: distinct work, no repeated TPE proposals, no waiting."""

from __future__ import annotations

from flair_hpo.space import Categorical, Float, Space
from flair_hpo.strategies import EvolutionarySearch, GridSearch, RandomSearch, TPESearch

FINITE = Space({"a": Categorical([1, 2, 3]), "b": Categorical(["x", "y"]), "c": Categorical([0.1, 0.2])})
CONTINUOUS = Space({"x": Float(-5.0, 5.0), "y": Float(-5.0, 5.0)})


def _score(point: dict) -> float:
    return -((point["x"] - 1.0) ** 2) - (point["y"] + 2.0) ** 2


def test_grid_and_random_hand_out_distinct_work_while_trials_are_pending() -> None:
    for strategy in (GridSearch(seed=0), GridSearch(shuffle=True, seed=0), RandomSearch(seed=0)):
        strategy.make_configurations(FINITE)
        pending = [strategy.ask() for _ in range(12)]
        assert len({Space.point_id(s.point) for s in pending}) == 12
        assert strategy.ask() is None  # every point handed out once
        for suggestion in pending:
            strategy.tell(suggestion.trial_id, 0.0)


def test_tpe_does_not_propose_the_same_region_to_pending_trials() -> None:
    strategy = TPESearch(n_startup_trials=5, seed=3)
    strategy.make_configurations(CONTINUOUS)
    for _ in range(15):
        suggestion = strategy.ask()
        strategy.tell(suggestion.trial_id, _score(CONTINUOUS.decode(suggestion.point)))
    pending = [strategy.ask() for _ in range(4)]
    points = [CONTINUOUS.decode(s.point) for s in pending]
    assert len({(p["x"], p["y"]) for p in points}) == 4
    for suggestion, point in zip(pending, points):
        strategy.tell(suggestion.trial_id, _score(point))
    assert strategy.ask() is not None


def test_tpe_counts_pending_trials_among_the_bad_results() -> None:
    def second_proposal(pending_visible: bool) -> tuple[float, ...]:
        strategy = TPESearch(n_startup_trials=5, seed=11)
        strategy.make_configurations(CONTINUOUS)
        for _ in range(12):
            suggestion = strategy.ask()
            strategy.tell(suggestion.trial_id, _score(CONTINUOUS.decode(suggestion.point)))
        running = strategy.ask()
        if not pending_visible:
            strategy._trials._dynamic_trials.remove(strategy._documents[running.trial_id])
            strategy._trials.refresh()
        return tuple(CONTINUOUS.decode(strategy.ask().point).values())

    assert second_proposal(pending_visible=True) != second_proposal(pending_visible=False)


def test_evolution_breeds_from_finished_trials_instead_of_waiting_for_the_slowest() -> None:
    strategy = EvolutionarySearch(population_size=4, elitism=1, seed=5)
    strategy.make_configurations(FINITE)
    generation = [strategy.ask() for _ in range(4)]
    for suggestion in generation[:3]:  # the fourth member is still training
        strategy.tell(suggestion.trial_id, float(FINITE.decode(suggestion.point)["a"]))
    child = strategy.ask()
    assert child is not None
    assert Space.point_id(child.point) not in {Space.point_id(s.point) for s in generation}
    assert strategy.generations_completed == 0


def test_a_generation_ends_when_its_own_members_are_told_though_trials_are_always_in_flight() -> None:
    """Two trials always running (a parallel search): children bred while a generation waits for its last member
    do not keep it open, so a GENERATIONS budget ends the search."""
    strategy = EvolutionarySearch(population_size=4, elitism=2, seed=0)
    strategy.make_configurations(CONTINUOUS)
    running = [strategy.ask(), strategy.ask()]
    told = 0
    while strategy.generations_completed < 3 and told < 40:
        oldest = running.pop(0)  # each trial is told while the one asked after it still runs
        strategy.tell(oldest.trial_id, _score(CONTINUOUS.decode(oldest.point)))
        told += 1
        running.append(strategy.ask())
    assert strategy.generations_completed == 3
    assert told == 4 + 2 * (1 + 2)  # the first generation, then each: 1 child bred while waiting, 2 members
