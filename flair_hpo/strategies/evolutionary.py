"""Generational evolutionary search: tournament selection, uniform crossover, per-gene mutation and
elitism. A point is evaluated once (once more if it was stopped early); elites carry their scores into the
next generation.

Asked for more points than a generation has while some are still running (a parallel search), it does
not wait for the slowest member: it breeds from the best ``population_size`` trials finished so far. A
generation ends when its own members are told; children bred while it waited join the next one's parents
when they finish."""

from __future__ import annotations

from typing import Any, Callable, Optional

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.space import Point, Space
from flair_hpo.strategies.base import STRATEGIES, UNSEEN_ATTEMPTS, SearchStrategy

Member = tuple[Point, float]
FAILED = float("-inf")


@STRATEGIES.register("evolutionary")
class EvolutionarySearch(SearchStrategy):
    """Evolves a population of ``population_size`` configurations, one generation after the other."""

    def __init__(
        self,
        population_size: int = 8,
        crossover_rate: float = 0.5,
        mutation_rate: float = 0.2,
        elitism: int = 2,
        tournament_size: int = 3,
        seed: Optional[int] = None,
    ) -> None:
        super().__init__(seed)
        population_size = check_positive("population_size", population_size, integer=True)
        tournament_size = check_positive("tournament_size", tournament_size, integer=True)
        for name, rate in (("crossover_rate", crossover_rate), ("mutation_rate", mutation_rate)):
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise ConfigurationError(f"{name} must lie in [0, 1], but got {rate!r}.")
        if isinstance(elitism, bool) or not isinstance(elitism, int) or not 0 <= elitism < population_size:
            raise ConfigurationError(
                f"elitism must be a whole number in [0, population_size), but got elitism={elitism!r} "
                f"with population_size={population_size}: elitism keeps that many of the best in each generation "
                "(2 by default), so give a larger population_size or a smaller elitism."
            )
        self.population_size = population_size
        self.crossover_rate = crossover_rate
        self.mutation_rate = mutation_rate
        self.elitism = elitism
        self.tournament_size = tournament_size

    def settings(self) -> dict[str, Any]:
        return {
            "population_size": self.population_size,
            "crossover_rate": self.crossover_rate,
            "mutation_rate": self.mutation_rate,
            "elitism": self.elitism,
            "tournament_size": self.tournament_size,
        }

    @property
    def counts_generations(self) -> bool:
        return True

    @property
    def generations_completed(self) -> int:
        return self._generations_completed

    def _on_bind(self, space: Space) -> None:
        self._generations_completed = 0
        self._generation: list[Member] = []  # evaluated members of the current generation
        self._queue: list[Point] = []  # members of the current generation not asked yet
        self._members: set[int] = set()  # trial ids of the current generation's members not told yet
        self._parents: list[Member] = []  # the finished generation the current one was bred from
        self._started = False

    def _propose(self) -> Optional[Point]:
        if not self._started:
            self._started = True
            self._queue = self._fill(self.population_size, self._sample_unseen)
        elif not self._queue and not self._members:
            self._start_next_generation()
        if self._queue:
            self._members.add(self._next_id)  # the id ask() gives the point proposed now
            return self._queue.pop(0)
        if self._pending:  # members still running: breed from the best finished so far instead of waiting
            return self._breed(self._best_known()) if self._generation else self._sample_unseen()
        return None

    def _best_known(self) -> list[Member]:
        known = {self.space.point_id(point): (point, score) for point, score in self._parents + self._generation}
        return sorted(known.values(), key=lambda member: member[1], reverse=True)[: self.population_size]

    def _observe(self, trial_id: int, point: Point, objective: Optional[float]) -> None:
        point_id = self.space.point_id(point)  # a point tried again after an early stop keeps its latest result
        self._generation = [member for member in self._generation if self.space.point_id(member[0]) != point_id]
        self._generation.append((point, FAILED if objective is None else objective))
        if trial_id in self._members:
            self._members.remove(trial_id)
            if not self._queue and not self._members:
                self._generations_completed += 1

    def _start_next_generation(self) -> None:
        parents = sorted(self._generation, key=lambda member: member[1], reverse=True)
        elites = parents[: self.elitism]
        self._generation = list(elites)
        self._parents = parents
        self._queue = self._fill(self.population_size - len(elites), lambda: self._breed(parents))

    def _fill(self, count: int, make: Callable[[], Optional[Point]]) -> list[Point]:
        members: list[Point] = []
        for _ in range(count):
            point = make()
            if point is None:
                break
            self._seen.add(self.space.point_id(point))
            members.append(point)
        return members

    def _breed(self, parents: list[Member]) -> Optional[Point]:
        """A child that was never evaluated, or a random unseen point when breeding keeps repeating."""
        for _ in range(UNSEEN_ATTEMPTS):
            child = self._mutate(self._crossover(self._tournament(parents), self._tournament(parents)))
            if self.space.point_id(child) not in self._seen:
                return child
        return self._sample_unseen()

    def _tournament(self, parents: list[Member]) -> Point:
        contestants = [parents[int(i)] for i in self.rng.integers(len(parents), size=self.tournament_size)]
        return max(contestants, key=lambda member: member[1])[0]

    def _crossover(self, first: Point, second: Point) -> Point:
        if self.rng.random() >= self.crossover_rate:
            return dict(first)
        child = {}
        for key in self.space.keys:
            genes = [parent[key] for parent in (first, second) if key in parent]
            if genes:
                child[key] = genes[int(self.rng.integers(len(genes)))]
        return self.space.repair(child, self.rng)

    def _mutate(self, point: Point) -> Point:
        mutated = dict(point)
        for key in self.space.unconditional:
            if self.rng.random() < self.mutation_rate:
                mutated[key] = self.space.distributions[key].sample(self.rng)
        mutated = self.space.repair(mutated, self.rng)
        for key in self.space.conditions:
            if key in mutated and self.rng.random() < self.mutation_rate:
                mutated[key] = self.space.distributions[key].sample(self.rng)
        return self.space.normalize(mutated)
