"""The interface every search strategy implements: ``ask`` for a point, ``tell`` its objective.

Strategies always *maximise* the objective the orchestrator computes (a dev score, or a negated dev
loss). A failed trial is told as ``None``. Every random choice comes from one generator seeded with
``seed``, so a strategy replayed with the same answers proposes the same points again: this is how a
search resumes exactly where it stopped.

A point is proposed once, with one exception: a point whose trial an early-stopping rule stopped may be
proposed again, ``retries_after_early_stop`` times at most (once by default; grid, random and TPE search never),
because a stop after an epoch or two is a noisy verdict (another seed's learning curve may pass the same rung).
A finite space still ends.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

import numpy as np

from flair_hpo.errors import ConfigurationError
from flair_hpo.registry import Registry
from flair_hpo.space import Point, PointId, Space

if TYPE_CHECKING:
    from flair_hpo.tasks.search_space import TaskSearchSpace

UNSEEN_ATTEMPTS = 100


@dataclass(frozen=True)
class Suggestion:
    """A point to evaluate, numbered in the order it was asked for."""

    trial_id: int
    point: Point


class SearchStrategy(ABC):
    """Base of all strategies. Call :meth:`make_configurations` with a space before asking."""

    retries_after_early_stop: ClassVar[int] = 1

    def __init__(self, seed: Optional[int] = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ConfigurationError(f"seed must be a non-negative integer or None, but got {seed!r}.")
        self.seed_given = seed is not None
        self.seed: int = seed if seed is not None else secrets.randbelow(2**31)
        self._space: Optional[Space] = None

    @property
    def name(self) -> str:
        return type(self).__name__

    def settings(self) -> dict[str, Any]:
        """The strategy's own arguments (its seed aside): a resumed search must be given the same."""
        return {}

    @property
    def space(self) -> Space:
        if self._space is None:
            raise RuntimeError(f"{self.name}.make_configurations(search_space) must be called before asking.")
        return self._space

    def make_configurations(self, search_space: Union[Space, TaskSearchSpace]) -> None:
        """Bind the strategy to a space and start from its seed (forgets everything asked before)."""
        self._space = search_space if isinstance(search_space, Space) else search_space.to_space()
        self.reseed(self.seed)

    def reseed(self, seed: int) -> None:
        """Start over with another seed (used when a resumed search adopts its journal's seed)."""
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._next_id = 0
        self._seen: set[PointId] = set()
        self._early_stops: Counter[PointId] = Counter()
        self._pending: dict[int, Point] = {}
        self._on_bind(self.space)

    def _on_bind(self, space: Space) -> None:
        """Prepare strategy state for a freshly bound space."""

    def ask(self) -> Optional[Suggestion]:
        """The next point to evaluate, or None when the strategy has nothing left to propose."""
        point = self._propose()
        if point is None:
            return None
        point = self.space.normalize(point)
        self._seen.add(Space.point_id(point))
        suggestion = Suggestion(self._next_id, point)
        self._pending[suggestion.trial_id] = point
        self._next_id += 1
        return suggestion

    def tell(self, trial_id: int, objective: Optional[float], stopped_early: bool = False) -> None:
        """Report the objective (higher is better) of an asked trial; None when it failed. ``stopped_early``:
        an early-stopping rule stopped it, so its point may be proposed again (see the module's note)."""
        point = self._pending.pop(trial_id, None)
        if point is None:
            raise ValueError(f"trial {trial_id} was not asked for, or was already told.")
        self._observe(trial_id, point, objective)
        if stopped_early:
            point_id = Space.point_id(point)
            self._early_stops[point_id] += 1
            if self._early_stops[point_id] <= self.retries_after_early_stop:
                self._seen.discard(point_id)

    def early_stops(self, point: Point) -> int:
        """How many trials of ``point`` were told as stopped early: the tries before a retry of it."""
        return self._early_stops[Space.point_id(point)]

    @abstractmethod
    def _propose(self) -> Optional[Point]:
        """A new point, or None when exhausted."""

    def _observe(self, trial_id: int, point: Point, objective: Optional[float]) -> None:
        """Learn from a finished trial (nothing to learn for uninformed strategies)."""

    @property
    def generations_completed(self) -> int:
        """Generations fully evaluated; only generational strategies count them."""
        return 0

    @property
    def counts_generations(self) -> bool:
        return False

    def _sample_unseen(self) -> Optional[Point]:
        """A random point not asked before, or None when none was found."""
        for _ in range(UNSEEN_ATTEMPTS):
            point = self.space.sample(self.rng)
            if Space.point_id(point) not in self._seen:
                return point
        return None

    def _is_exhausted(self) -> bool:
        size = self.space.grid_size()
        return size is not None and len(self._seen) >= size


STRATEGIES: Registry[type[SearchStrategy]] = Registry("strategy")  # by the names autotune and the CLI take
