"""Immutable value objects describing where one hyperparameter is sampled from.

Strategies work on *encoded* values: an option index for :class:`Categorical`, the number itself
for the numeric distributions. :meth:`Distribution.decode` turns an encoded value into the value
the model is built with.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from flair_hpo.errors import ConfigurationError

MAX_GRID_VALUES = 100_000


def describe_value(value: Any) -> str:
    """A short, stable, human-readable description of an option (classes by name, lists item by item)."""
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe_value(item) for item in value) + "]"
    if isinstance(value, (bool, int, str)) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    from flair_hpo.training.embedding_specs import describe_embeddings  # local: keeps torch out of this module's import

    return describe_embeddings(value)


def _refuse_repeated_options(options: Sequence[Any]) -> None:
    """Refuse a number, string or flag listed twice (``[16, 32, 32.0]``): it would be trained twice and drawn twice
    as often. Embeddings and other objects are told apart by identity when trained."""
    seen: dict[tuple[bool, Any], Any] = {}
    for option in options:
        if option is None or isinstance(option, (bool, numbers.Real, str)):
            key = (isinstance(option, bool), option)  # True is not 1; 32 is 32.0
            if key in seen:
                raise ConfigurationError(
                    f"options must differ, but {option!r} repeats {seen[key]!r} in {list(options)!r}: give each once."
                )
            seen[key] = option


class Distribution(ABC):
    """Where one hyperparameter's values come from."""

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Any:
        """Draw one encoded value."""

    @abstractmethod
    def decode(self, encoded: Any) -> Any:
        """The value the model is built with."""

    @abstractmethod
    def contains(self, encoded: Any) -> bool:
        """Whether an encoded value lies inside this distribution."""

    @abstractmethod
    def describe(self) -> str:
        """A short description, e.g. ``uniform(0, 0.5)``."""

    def grid_values(self) -> Optional[list[Any]]:
        """All encoded values of a finite distribution in a fixed order; None when infinite."""
        return None

    def normalize(self, encoded: Any) -> Any:
        """The encoded value as a plain Python number (JSON-safe, comparable)."""
        return float(encoded)


@dataclass(frozen=True)
class Categorical(Distribution):
    """One of a list of options; encoded as the option's index."""

    options: tuple[Any, ...]

    def __init__(self, options: Sequence[Any]) -> None:
        if not isinstance(options, (list, tuple)):
            raise ConfigurationError(
                f"options must be a list, but got {type(options).__name__} ({options!r}). "
                "Write options=[value] for a single value."
            )
        if len(options) == 0:
            raise ConfigurationError("options must hold at least one value, but got an empty list.")
        _refuse_repeated_options(options)
        object.__setattr__(self, "options", tuple(options))

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(len(self.options)))

    def decode(self, encoded: Any) -> Any:
        return self.options[int(encoded)]

    def contains(self, encoded: Any) -> bool:
        return float(encoded).is_integer() and 0 <= int(encoded) < len(self.options)

    def describe(self) -> str:
        return "choice(" + ", ".join(describe_value(option) for option in self.options) + ")"

    def grid_values(self) -> list[int]:
        return list(range(len(self.options)))

    def normalize(self, encoded: Any) -> int:
        return int(encoded)


def _check_finite(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigurationError(f"`{name}` must be a finite number, but got {name}={value!r}.")


def _check_bounds(low: float, high: float) -> None:
    _check_finite("low", low)
    _check_finite("high", high)
    if low > high:
        raise ConfigurationError(f"`low <= high` must hold, but got (low={low}, high={high}).")


def _check_step(step: Optional[float]) -> None:
    if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float)) or not step > 0):
        raise ConfigurationError(f"`step` must be a positive number, but got step={step!r}.")


def _step_multipliers(low: float, high: float, step: float) -> tuple[int, int]:
    """The first and the last k with ``k * step`` in ``[low, high]``; a step with no multiple there is refused."""
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    if first > last:
        raise ConfigurationError(
            f"no multiple of step={step:g} lies in [low={low:g}, high={high:g}]: give a step that fits the range."
        )
    return first, last


def step_bounds(low: float, high: float, step: float) -> tuple[float, float]:
    """The lowest and the highest multiple of ``step`` in ``[low, high]``."""
    first, last = _step_multipliers(low, high, step)
    return float(round(first * step, 12)), float(round(last * step, 12))


def _grid_on_step(low: float, high: float, step: float) -> Optional[list[float]]:
    """Every multiple of ``step`` in ``[low, high]``; None when there are more than ``MAX_GRID_VALUES``."""
    first, last = _step_multipliers(low, high, step)
    if last - first + 1 > MAX_GRID_VALUES:
        return None
    return [float(round(k * step, 12)) for k in range(first, last + 1)]


def _on_step(value: float, step: float, low: float, high: float) -> float:
    """``value`` rounded to the nearest multiple of ``step`` that lies in ``[low, high]``."""
    first, last = _step_multipliers(low, high, step)
    return float(round(min(max(round(value / step), first), last) * step, 12))


@dataclass(frozen=True)
class Float(Distribution):
    """A real number in ``[low, high]``, uniform or log-uniform, optionally rounded to the nearest multiple of
    ``step`` that lies in the range."""

    low: float
    high: float
    log: bool = False
    step: Optional[float] = None

    def __post_init__(self) -> None:
        _check_bounds(self.low, self.high)
        _check_step(self.step)
        if self.log and self.low <= 0:
            raise ConfigurationError(f"a log-scale range needs `low > 0`, but got (low={self.low}, high={self.high}).")
        if self.step is not None:
            _step_multipliers(self.low, self.high, self.step)

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return self.normalize(value)

    def decode(self, encoded: Any) -> float:
        return float(encoded)

    def contains(self, encoded: Any) -> bool:
        value = float(encoded)
        if self.step is not None:
            return math.isclose(value, self.normalize(value), rel_tol=1e-9, abs_tol=1e-12)
        return self.low <= value <= self.high

    def describe(self) -> str:
        kind = ("q" if self.step else "") + ("loguniform" if self.log else "uniform")
        step = f", step={self.step:g}" if self.step else ""
        return f"{kind}({self.low:g}, {self.high:g}{step})"

    def grid_values(self) -> Optional[list[float]]:
        if self.step is None:
            return None
        return _grid_on_step(self.low, self.high, self.step)

    def normalize(self, encoded: Any) -> float:
        if self.step is None:
            return float(encoded)
        return _on_step(float(encoded), self.step, self.low, self.high)


@dataclass(frozen=True)
class Int(Distribution):
    """An integer in ``[low, high]`` (both included), optionally log-uniform, and optionally a multiple of
    ``step`` (a whole number)."""

    low: int
    high: int
    log: bool = False
    step: Optional[int] = None

    def __post_init__(self) -> None:
        _check_bounds(self.low, self.high)
        _check_step(self.step)
        for name, bound in (("low", self.low), ("high", self.high), ("step", self.step or 1)):
            if not float(bound).is_integer():
                raise ConfigurationError(f"`{name}` of an integer range must be a whole number, but got {bound!r}.")
        if self.log and self.low <= 0:
            raise ConfigurationError(f"a log-scale range needs `low > 0`, but got (low={self.low}, high={self.high}).")
        _step_multipliers(self.low, self.high, self.step or 1)

    def sample(self, rng: np.random.Generator) -> int:
        step = self.step or 1
        first, last = _step_multipliers(self.low, self.high, step)
        if self.log:  # each value on the grid takes the log-width of the interval it is the nearest to
            return self.normalize(math.exp(rng.uniform(math.log((first - 0.5) * step), math.log((last + 0.5) * step))))
        return int(rng.integers(first, last + 1)) * step

    def decode(self, encoded: Any) -> int:
        return int(encoded)

    def contains(self, encoded: Any) -> bool:
        return (
            float(encoded).is_integer()
            and self.low <= int(encoded) <= self.high
            and int(encoded) % (self.step or 1) == 0
        )

    def describe(self) -> str:
        step = f", step={self.step}" if self.step else ""
        return f"{'log' if self.log else ''}int({self.low}, {self.high}{step})"

    def grid_values(self) -> Optional[list[int]]:
        grid = _grid_on_step(self.low, self.high, self.step or 1)
        return [int(value) for value in grid] if grid is not None else None

    def normalize(self, encoded: Any) -> int:
        return int(_on_step(float(encoded), self.step or 1, self.low, self.high))


@dataclass(frozen=True)
class Normal(Distribution):
    """A normally distributed real number (``exp`` of one when ``log``), optionally rounded to ``step``."""

    mu: float
    sigma: float
    log: bool = False
    step: Optional[float] = None

    def __post_init__(self) -> None:
        _check_finite("mu", self.mu)
        if isinstance(self.sigma, bool) or not isinstance(self.sigma, (int, float)) or not self.sigma > 0:
            raise ConfigurationError(f"`sigma` must be a positive number, but got sigma={self.sigma!r}.")
        _check_step(self.step)

    def sample(self, rng: np.random.Generator) -> float:
        value = rng.normal(self.mu, self.sigma)
        value = math.exp(value) if self.log else value
        if self.step is not None:
            value = round(value / self.step) * self.step
        return float(value)

    def decode(self, encoded: Any) -> float:
        return float(encoded)

    def contains(self, encoded: Any) -> bool:
        value = float(encoded)
        return math.isfinite(value) and (value > 0 or not self.log or (self.step is not None and value == 0))

    def describe(self) -> str:
        kind = ("q" if self.step else "") + ("lognormal" if self.log else "normal")
        step = f", step={self.step:g}" if self.step else ""
        return f"{kind}({self.mu:g}, {self.sigma:g}{step})"
