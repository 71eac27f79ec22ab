"""Random search: points drawn from the space's distributions, log scales and conditional branches as they are
drawn; on a finite space it never proposes a point twice, not even one stopped early (a retry is for strategies
whose model asks for the point again; here it would be a uniform draw among mostly poor configurations)."""

from __future__ import annotations

from typing import Optional

from flair_hpo.space import Point
from flair_hpo.strategies.base import STRATEGIES, SearchStrategy

MAX_ENUMERATED_GRID = 1_000_000


@STRATEGIES.register("random")
class RandomSearch(SearchStrategy):
    """Independent random points from the space's distributions. Where draws keep repeating points already
    proposed (a finite space nearly used up), an unseen point is chosen uniformly from those left."""

    retries_after_early_stop = 0

    def _propose(self) -> Optional[Point]:
        if self._is_exhausted():
            return None
        point = self._sample_unseen()
        size = self.space.grid_size()
        if point is not None or size is None or size > MAX_ENUMERATED_GRID:
            return point
        left = [index for index in range(size) if self.space.point_id(self.space.grid_point(index)) not in self._seen]
        return self.space.grid_point(int(self.rng.choice(left))) if left else None
