"""The search space strategies see: named distributions, parameters that only apply to one option
of a switch (e.g. RNN settings only when the document embeddings are an RNN), and fixed values.

A *point* maps the key of every active parameter to its encoded value. Keys are visited in sorted
order everywhere, so the same seed always gives the same points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from typing import Any, Optional

import numpy as np

from flair_hpo.errors import ConfigurationError
from flair_hpo.space.distributions import Categorical, Distribution, describe_value

Point = dict[str, Any]
PointId = tuple[tuple[str, Any], ...]


class Space:
    """Distributions by key, optional conditions ``key -> (switch key, option index)`` and fixed values."""

    def __init__(
        self,
        distributions: Mapping[str, Distribution],
        conditions: Optional[Mapping[str, tuple[str, int]]] = None,
        fixed: Optional[Mapping[str, Any]] = None,
    ) -> None:
        if not distributions:
            raise ConfigurationError("the search space is empty: add at least one parameter to search over.")
        self.distributions = dict(sorted(distributions.items()))
        self.conditions = dict(conditions or {})
        self.fixed = dict(fixed or {})
        for key, (switch, option) in self.conditions.items():
            switch_distribution = self.distributions.get(switch)
            if (
                key not in self.distributions
                or not isinstance(switch_distribution, Categorical)
                or switch in self.conditions
            ):
                raise ConfigurationError(
                    f"the condition of {key!r} must name an unconditional choice, but names {switch!r}."
                )
            if not 0 <= option < len(switch_distribution.options):
                raise ConfigurationError(
                    f"the condition of {key!r} names option {option} of {switch!r}, which does not exist."
                )
        self.unconditional = [key for key in self.distributions if key not in self.conditions]
        self.switches = sorted({switch for switch, _ in self.conditions.values()})

    def __repr__(self) -> str:
        return f"Space({self.describe()})"

    @property
    def keys(self) -> list[str]:
        return list(self.distributions)

    def is_active(self, key: str, point: Mapping[str, Any]) -> bool:
        condition = self.conditions.get(key)
        return condition is None or int(point.get(condition[0], -1)) == condition[1]

    def active_keys(self, point: Mapping[str, Any]) -> list[str]:
        return [key for key in self.distributions if self.is_active(key, point)]

    def sample(self, rng: np.random.Generator) -> Point:
        point: Point = {key: self.distributions[key].sample(rng) for key in self.unconditional}
        for key in self.conditions:
            if self.is_active(key, point):
                point[key] = self.distributions[key].sample(rng)
        return self.normalize(point)

    def repair(self, point: Mapping[str, Any], rng: np.random.Generator) -> Point:
        """Drop parameters a point's switches made inactive and sample the ones they made active."""
        repaired = {key: point[key] for key in self.unconditional}
        for key in self.conditions:
            if self.is_active(key, repaired):
                repaired[key] = point[key] if key in point else self.distributions[key].sample(rng)
        return self.normalize(repaired)

    def normalize(self, point: Mapping[str, Any]) -> Point:
        """Plain Python numbers in sorted key order."""
        return {key: self.distributions[key].normalize(point[key]) for key in self.distributions if key in point}

    def contains(self, point: Mapping[str, Any]) -> bool:
        return set(point) == set(self.active_keys(point)) and all(
            self.distributions[key].contains(value) for key, value in point.items()
        )

    def decode(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """The values a model is built with: decoded active parameters plus the fixed values."""
        values = {key: self.distributions[key].decode(point[key]) for key in self.active_keys(point)}
        return {**self.fixed, **values}

    @staticmethod
    def point_id(point: Mapping[str, Any]) -> PointId:
        return tuple(sorted(point.items()))

    # -- the finite grid -------------------------------------------------------------------------

    def _sub_grids(self) -> Iterator[tuple[dict[str, int], list[str], list[list[Any]]]]:
        """One sub-grid per combination of switch options: (switch values, free keys, their values)."""
        switch_options = [self.distributions[s].grid_values() or [] for s in self.switches]
        for combination in itertools.product(*switch_options):
            switch_values = dict(zip(self.switches, combination))
            keys = [k for k in self.distributions if k not in switch_values and self.is_active(k, switch_values)]
            values = [self.distributions[k].grid_values() for k in keys]
            yield switch_values, keys, values  # type: ignore[misc]

    def grid_size(self) -> Optional[int]:
        """The number of distinct points, or None when a parameter is continuous."""
        total = 0
        for _, _, values in self._sub_grids():
            if any(v is None for v in values):
                return None
            total += math.prod(len(v) for v in values)
        return total

    def non_finite_keys(self) -> list[str]:
        return [key for key, distribution in self.distributions.items() if distribution.grid_values() is None]

    def grid_point(self, index: int) -> Point:
        """The ``index``-th point of the grid, computed without building the grid (last key varies fastest)."""
        remaining = index
        for switch_values, keys, values in self._sub_grids():
            size = math.prod(len(v) for v in values)
            if remaining < size:
                point: Point = dict(switch_values)
                for key, options in zip(reversed(keys), reversed(values)):
                    remaining, position = divmod(remaining, len(options))
                    point[key] = options[position]
                return self.normalize(point)
            remaining -= size
        raise IndexError(f"grid index {index} is out of range")

    # -- description -----------------------------------------------------------------------------

    def describe(self) -> dict[str, str]:
        """Every parameter as text, with its condition; the fingerprint a journal is checked against."""
        description = {}
        for key, distribution in self.distributions.items():
            text = distribution.describe()
            if key in self.conditions:
                switch, option = self.conditions[key]
                text += f" if {switch} == {describe_value(self.distributions[switch].decode(option))}"
            description[key] = text
        description.update({key: f"fixed {describe_value(value)}" for key, value in self.fixed.items()})
        return description

    def describe_point(self, point: Mapping[str, Any]) -> dict[str, str]:
        return {key: describe_value(value) for key, value in self.decode(point).items()}
