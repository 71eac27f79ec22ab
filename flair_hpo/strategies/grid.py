"""Grid search: every combination of a finite space, in a fixed (or seeded shuffled) order, each once (a
configuration stopped early is not proposed again)."""

from __future__ import annotations

from typing import Any, Optional

from flair_hpo.errors import ConfigurationError
from flair_hpo.space import Point, Space
from flair_hpo.strategies.base import STRATEGIES, SearchStrategy

MAX_SHUFFLED_GRID = 10_000_000


@STRATEGIES.register("grid")
class GridSearch(SearchStrategy):
    """Evaluates the grid point by point; with ``shuffle`` in a random order drawn from the seed."""

    retries_after_early_stop = 0

    def __init__(self, shuffle: bool = False, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.shuffle = shuffle

    def settings(self) -> dict[str, Any]:
        return {"shuffle": self.shuffle}

    def _on_bind(self, space: Space) -> None:
        size = space.grid_size()
        if size is None:
            raise ConfigurationError(
                f"GridSearch needs options for every parameter, but {space.non_finite_keys()} are continuous ranges; "
                "give them as option lists (or a step), or use RandomSearch, EvolutionarySearch or TPESearch."
            )
        if self.shuffle and size > MAX_SHUFFLED_GRID:
            raise ConfigurationError(f"a grid of {size} points is too large to shuffle (at most {MAX_SHUFFLED_GRID}).")
        self.size = size
        self._order = self.rng.permutation(size) if self.shuffle else None
        self._position = 0

    def _propose(self) -> Optional[Point]:
        if self._position >= self.size:
            return None
        index = self._position if self._order is None else int(self._order[self._position])
        self._position += 1
        return self.space.grid_point(index)
