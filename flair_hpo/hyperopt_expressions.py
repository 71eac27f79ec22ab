"""Conversion of hyperopt parameter expressions (``hp.choice``, ``hp.uniform``, ...) into distributions.

This is the only place where the classic API's hyperopt functions are read; strategies never see them.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from hyperopt import hp

from flair_hpo.distributions import Categorical, Distribution, Float, Int, Normal
from flair_hpo.errors import ConfigurationError


def _randint(low: int = 0, high: int | None = None, upper: int | None = None) -> Int:
    if upper is not None:
        low, high = 0, upper
    if high is None:
        raise ConfigurationError("hp.randint needs `upper` (or `low` and `high`).")
    if high <= low:
        raise ConfigurationError(
            f"hp.randint draws from [low, high) and needs `low < high`, but got (low={low}, high={high})."
        )
    return Int(low, high - 1)


_CONVERTERS: dict[Callable[..., Any], Callable[..., Distribution]] = {
    hp.choice: lambda options: Categorical(options),
    hp.uniform: lambda low, high: Float(low, high),
    hp.quniform: lambda low, high, q: Float(low, high, step=q),
    hp.loguniform: lambda low, high: Float(_exp(low), _exp(high), log=True),
    hp.qloguniform: lambda low, high, q: Float(_exp(low), _exp(high), log=True, step=q),
    hp.uniformint: lambda low, high, q=1: Int(low, high) if q == 1 else Float(low, high, step=q),
    hp.randint: _randint,
    hp.normal: lambda mu, sigma: Normal(mu, sigma),
    hp.qnormal: lambda mu, sigma, q: Normal(mu, sigma, step=q),
    hp.lognormal: lambda mu, sigma: Normal(mu, sigma, log=True),
    hp.qlognormal: lambda mu, sigma, q: Normal(mu, sigma, log=True, step=q),
}

SUPPORTED = ", ".join(f"hp.{function.__name__.removeprefix('hp_')}" for function in _CONVERTERS)


def _exp(bound: Any) -> float:
    """hyperopt's log-uniform bounds are given in log space."""
    if isinstance(bound, bool) or not isinstance(bound, (int, float)):
        raise ConfigurationError(f"log-uniform bounds must be numbers (in log space), but got {bound!r}.")
    return math.exp(bound)


def from_hyperopt(function: Callable[..., Any], name: str, **kwargs: Any) -> Distribution:
    """The distribution that ``function(name, **kwargs)`` describes in hyperopt."""
    converter = _CONVERTERS.get(function)
    if converter is None:
        raise ConfigurationError(
            f"{getattr(function, '__name__', function)!r} for {name!r} is not a supported expression; use one of {SUPPORTED}."
        )
    try:
        return converter(**kwargs)
    except TypeError as error:
        raise ConfigurationError(f"bad arguments {kwargs!r} for {name!r} ({error}).") from None
