"""Random search; on a finite space it samples without replacement, so no point is evaluated twice."""

from __future__ import annotations

from typing import Optional

from flair_hpo.space import Point, Space
from flair_hpo.strategies.base import STRATEGIES, SearchStrategy

MAX_PERMUTED_GRID = 1_000_000


@STRATEGIES.register("random")
class RandomSearch(SearchStrategy):
    """Independent random points from the space's distributions."""

    def _on_bind(self, space: Space) -> None:
        size = space.grid_size()
        self._order = self.rng.permutation(size) if size is not None and size <= MAX_PERMUTED_GRID else None
        self._position = 0

    def _propose(self) -> Optional[Point]:
        if self._order is not None:
            if self._position >= len(self._order):
                return None
            self._position += 1
            return self.space.grid_point(int(self._order[self._position - 1]))
        return self._sample_unseen()
