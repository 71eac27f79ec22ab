"""hyperopt parameter expressions (``hp.choice``, ``hp.uniform``, ...) to distributions and back.

The only place where hyperopt expressions are read or written: the classic API's expressions become
distributions here, and the TPE strategy gets its hyperopt space from here.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable

from hyperopt import hp

from flair_hpo.errors import ConfigurationError
from flair_hpo.space.distributions import Categorical, Distribution, Float, Int, Normal, step_bounds
from flair_hpo.space.space import Space


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
    hp.uniformint: lambda low, high, q=1: Int(low, high, step=None if q == 1 else q),
    hp.randint: _randint,
    hp.normal: lambda mu, sigma: Normal(mu, sigma),
    hp.qnormal: lambda mu, sigma, q: Normal(mu, sigma, step=q),
    hp.lognormal: lambda mu, sigma: Normal(mu, sigma, log=True),
    hp.qlognormal: lambda mu, sigma, q: Normal(mu, sigma, log=True, step=q),
}


def _argument(argument: inspect.Parameter) -> str:
    return argument.name if argument.default is argument.empty else f"{argument.name}={argument.default!r}"


def _expression_name(function: Callable[..., Any]) -> str:
    return f"hp.{function.__name__.removeprefix('hp_')}"


SUPPORTED = ", ".join(_expression_name(function) for function in _CONVERTERS)


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
    except TypeError:
        raise ConfigurationError(
            f"bad arguments {kwargs!r} for {name!r}: {_expression_name(function)} takes "
            f"{', '.join(_argument(a) for a in inspect.signature(converter).parameters.values())}."
        ) from None
    except ConfigurationError as error:
        raise ConfigurationError(f"{name!r}: {error}") from None


def to_hyperopt(key: str, distribution: Distribution) -> Any:
    """The hyperopt expression sampling the same encoded values as ``distribution``."""
    if isinstance(distribution, Categorical):
        return hp.choice(key, list(range(len(distribution.options))))
    if isinstance(distribution, Int):
        if distribution.step is not None:
            return _stepped_integers(key, distribution.low, distribution.high, distribution.step, distribution.log)
        if distribution.log:
            return hp.qloguniform(key, math.log(distribution.low), math.log(distribution.high), 1)
        return hp.uniformint(key, distribution.low, distribution.high)
    if isinstance(distribution, Float):
        low, high = (
            (math.log(distribution.low), math.log(distribution.high))
            if distribution.log
            else (distribution.low, distribution.high)
        )
        if distribution.step is not None:  # hyperopt's rounding; the distribution's normalize keeps it in range
            return (hp.qloguniform if distribution.log else hp.quniform)(key, low, high, distribution.step)
        return (hp.loguniform if distribution.log else hp.uniform)(key, low, high)
    if isinstance(distribution, Normal):
        if distribution.step is not None:
            return (hp.qlognormal if distribution.log else hp.qnormal)(
                key, distribution.mu, distribution.sigma, distribution.step
            )
        return (hp.lognormal if distribution.log else hp.normal)(key, distribution.mu, distribution.sigma)
    raise TypeError(f"no hyperopt expression for {distribution!r}")


def _stepped_integers(key: str, low: int, high: int, step: int, log: bool) -> Any:
    """A hyperopt expression over the multiples of ``step`` in ``[low, high]`` weighted as :meth:`Int.sample`
    weights them: the range reaches half a step beyond the first and the last multiple."""
    first, last = step_bounds(low, high, step)
    below, above = first - step / 2, last + step / 2
    if log:
        return hp.qloguniform(key, math.log(below), math.log(above), step)
    return hp.quniform(key, below, above, step)


def hyperopt_space(space: Space) -> dict[str, Any]:
    """A hyperopt space with the same keys; a switch with conditional parameters becomes a nested choice."""
    expressions: dict[str, Any] = {}
    for key in space.unconditional:
        if key in space.switches:
            options = space.distributions[key].grid_values() or []
            branches = [
                {
                    k: to_hyperopt(k, space.distributions[k])
                    for k, (s, o) in space.conditions.items()
                    if s == key and o == option
                }
                for option in options
            ]
            expressions[key] = hp.choice(key, branches)
        else:
            expressions[key] = to_hyperopt(key, space.distributions[key])
    return expressions
