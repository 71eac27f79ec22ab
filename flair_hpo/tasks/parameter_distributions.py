"""How a parameter's options, range or hyperopt expression become the distribution it is searched over, with
whole-number parameters and parameters that take named choices checked."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from flair_hpo.errors import ConfigurationError
from flair_hpo.space import Categorical, Distribution, Float, Int, Normal
from flair_hpo.space.distributions import step_bounds
from flair_hpo.space.hyperopt import from_hyperopt
from flair_hpo.tasks.parameters import HyperParameter

INTEGER_ARGUMENTS = {"hidden_size", "rnn_layers", "mini_batch_size", "patience", "reproject_words_dimension"}


def distribution_of(
    parameter: HyperParameter,
    function: Optional[Callable[..., Any]],
    options: Optional[list[Any]],
    low: Optional[float],
    high: Optional[float],
    log: bool,
    step: Optional[float],
    hyperopt_arguments: dict[str, Any],
) -> Distribution:
    """The distribution ``add_parameter`` was given: ``options``, a range ``low``..``high`` (``log``, ``step``), or a
    hyperopt ``function`` with its arguments; a range of a whole-number parameter gives whole numbers."""
    distribution: Distribution
    if not isinstance(log, bool):
        raise ConfigurationError(f"log for {parameter.key!r} must be True or False, but got {log!r}.")
    if function is None and options is not None and (low is not None or high is not None or step or log):
        raise ConfigurationError(
            f"{parameter.key!r} got both options={options!r} and a range (low={low}, high={high}, log={log}, "
            f"step={step}): give one."
        )
    if function is None and hyperopt_arguments:
        raise ConfigurationError(
            f"add_parameter({parameter.key}) got {sorted(hyperopt_arguments)}, which it does not take: give options=[...], "
            "or low, high (log, step), or a hyperopt function followed by its own arguments."
        )
    if function is not None:
        arguments = {"options": options, "low": low, "high": high, **hyperopt_arguments}
        distribution = _whole_numbers_for(
            parameter,
            from_hyperopt(function, parameter.key, **{k: v for k, v in arguments.items() if v is not None}),
        )
    elif options is not None:
        try:
            distribution = Categorical(options)
        except ConfigurationError as error:
            raise ConfigurationError(f"{parameter.key!r}: {error}") from None
    elif low is not None or high is not None:
        if low is None or high is None:
            raise ConfigurationError(
                f"a range for {parameter.key!r} needs both low and high, but got (low={low}, high={high})."
            )
        if parameter.value in INTEGER_ARGUMENTS:
            distribution = Int(low, high, log=log, step=step)  # type: ignore[arg-type]  # Int checks for whole numbers
        else:
            distribution = Float(low, high, log=log, step=step)
    else:
        raise ConfigurationError(f"give {parameter.key!r} options=[...] or a range low=..., high=...")
    return distribution


def checked_options(
    parameter: HyperParameter, distribution: Distribution, named_choices: Mapping[HyperParameter, Sequence[str]]
) -> Distribution:
    """Refuse a value flair does not take for a parameter with named choices (a range of them included);
    whole-number options of a whole-number parameter become ints, and other numbers are refused."""
    valid = named_choices.get(parameter)
    options = distribution.options if isinstance(distribution, Categorical) else None
    if valid is not None:
        for option in options if options is not None else [distribution.describe()]:
            if option not in valid:
                raise ConfigurationError(f"{parameter.key} must be one of {list(valid)}, but got {option!r}.")
    if options is None or parameter.value not in INTEGER_ARGUMENTS:
        return distribution
    return Categorical([_whole_number(parameter, option) for option in options])


def _whole_numbers_for(parameter: HyperParameter, distribution: Distribution) -> Distribution:
    """A hyperopt range of an integer parameter (hidden_size, mini_batch_size ...) as an integer range; refused
    where it gives other values than whole numbers."""
    if parameter.value not in INTEGER_ARGUMENTS or not isinstance(distribution, (Float, Normal)):
        return distribution
    step = distribution.step
    if isinstance(distribution, Float) and step is not None and float(step).is_integer():
        low, high = step_bounds(distribution.low, distribution.high, step)
        return Int(int(low), int(high), log=distribution.log, step=int(step))
    raise ConfigurationError(
        f"{parameter.key!r} takes whole numbers, but {distribution.describe()} is not a bounded range of whole numbers: use options=[...], "
        "low and high with a whole-number step, hp.quniform with a whole-number q, hp.uniformint or hp.randint."
    )


def _whole_number(parameter: HyperParameter, value: Any) -> int:
    """An option of a whole-number parameter as an int (2.0 and numpy's integers are taken)."""
    if (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and float(value).is_integer()
        and float(value) >= 0
    ):
        return int(float(value))
    raise ConfigurationError(f"{parameter.key!r} takes whole numbers, but got the option {value!r}.")
