"""Checks of the training-recipe parameters, before any training: recipe and schedule names, warmup fractions
in [0, 1), a fine-tuning recipe with something to fine-tune, and a warning for SGD-sized learning rates there."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Optional

from flair_hpo.errors import ConfigurationError
from flair_hpo.registry import Registry
from flair_hpo.space import Categorical, Distribution, Normal
from flair_hpo.tasks.parameters import HyperParameter, ModelTrainer
from flair_hpo.training.recipes import DEFAULT_RECIPE, FINE_TUNING_RECIPE, RECIPES, SCHEDULES

if TYPE_CHECKING:
    from flair_hpo.tasks.search_space import TaskSearchSpace

_NAMED_CHOICES: dict[HyperParameter, Registry[Any]] = {ModelTrainer.RECIPE: RECIPES, ModelTrainer.SCHEDULER: SCHEDULES}
SGD_SIZED_LEARNING_RATE = 0.01  # above this, a learning rate is SGD's (flair's train), not AdamW fine-tuning's


def _values_and_bounds(value: Any) -> tuple[list[Any], Optional[tuple[float, float]]]:
    """The values a fixed value or a distribution can take: a list of options, or a range's bounds."""
    if isinstance(value, Categorical):
        return list(value.options), None
    if isinstance(value, Normal):
        return [], None  # unbounded: neither values nor bounds to check
    if isinstance(value, Distribution):
        return [], (float(value.low), float(value.high))  # type: ignore[attr-defined]  # Float and Int have bounds
    return [value], None


def check_value(parameter: HyperParameter, value: Any) -> None:
    """Refuse a recipe or schedule that does not exist and a warmup fraction outside [0, 1); ``value`` is a
    fixed value or the distribution the parameter is searched over."""
    values, bounds = _values_and_bounds(value)
    if parameter in _NAMED_CHOICES:
        registry = _NAMED_CHOICES[parameter]
        if bounds is not None or (isinstance(value, Distribution) and not isinstance(value, Categorical)):
            raise ConfigurationError(f"{parameter.key} is chosen from options={registry.names()}, not a range.")
        for option in values:
            if option not in registry:
                raise ConfigurationError(f"{parameter.key} must be one of {registry.names()}, but got {option!r}.")
    if parameter is ModelTrainer.WARMUP_FRACTION:
        if isinstance(value, Normal):
            raise ConfigurationError(
                f"warmup_fraction is the share of training steps spent warming up, from 0 up to (not including) 1, "
                f"but {value.describe()} can give any number: give options or a range within [0, 1)."
            )
        for option in [*values, *(bounds or ())]:
            if not isinstance(option, (int, float)) or isinstance(option, bool) or not 0 <= option < 1:
                raise ConfigurationError(
                    f"warmup_fraction is the share of training steps spent warming up, from 0 up to (not "
                    f"including) 1, but got {option!r}."
                )


def _possible(
    space: TaskSearchSpace, parameter: HyperParameter, default: Any
) -> tuple[list[Any], Optional[tuple[float, float]]]:
    """What ``parameter`` can be in this space: its values, or the bounds of its range."""
    if parameter not in space.parameters_used:
        return [default], None
    return _values_and_bounds(space.value_of(parameter))


def _fine_tunes(embeddings: Any) -> bool:
    """Whether pretrained embeddings (or one inside a stack) are fine-tuned when the model trains."""
    if isinstance(embeddings, (list, tuple)):
        return any(_fine_tunes(item) for item in embeddings)
    inner = getattr(embeddings, "embeddings", None)
    return getattr(embeddings, "fine_tune", False) is True or (isinstance(inner, list) and _fine_tunes(inner))


def can_fine_tune(space: TaskSearchSpace) -> bool:
    """Whether some configuration of the space fine-tunes pretrained embeddings: a transformer with
    ``fine_tune`` True (flair's default), or word embeddings made with ``fine_tune=True``."""
    for model, fine_tune in space.task.transformer_fine_tune.items():
        if model in space.parameters_used:
            values, bounds = _possible(space, fine_tune, True)
            if bounds is not None or True in values:
                return True
    for parameter in space.task.word_embedding_parameters & space.parameters_used:
        values, bounds = _possible(space, parameter, None)
        if bounds is not None or any(_fine_tunes(option) for option in values):
            return True
    return False


def check_fine_tuning(space: TaskSearchSpace) -> None:
    """A fine-tuning recipe needs something to fine-tune; an SGD-sized learning rate with it is likely a mistake."""
    recipes, _ = _possible(space, ModelTrainer.RECIPE, DEFAULT_RECIPE)
    if FINE_TUNING_RECIPE not in recipes:
        return
    if not can_fine_tune(space):
        raise ConfigurationError(
            "the fine_tune recipe fine-tunes pretrained embeddings, but no configuration of this search space has "
            "any: every transformer is frozen (fine_tune False) and no word embeddings were made with "
            "fine_tune=True. Fine-tune a transformer (its FINE_TUNE parameter True) or use the 'train' recipe."
        )
    learning_rates = learning_rate_bounds(space)
    highest = learning_rates[1] if learning_rates is not None else 0.0
    if highest > SGD_SIZED_LEARNING_RATE:
        warnings.warn(
            f"a learning rate of {highest:g} with the fine_tune recipe (AdamW) is far above what fine-tuning uses "
            f"({RECIPES.get(FINE_TUNING_RECIPE).typical_learning_rate}); it will likely destroy the pretrained "
            "weights. Did you mean a value for the 'train' recipe?",
            UserWarning,
            stacklevel=3,
        )


def learning_rate_bounds(space: TaskSearchSpace) -> Optional[tuple[float, float]]:
    """The lowest and highest learning rate the space gives; None where it searches none, or draws it from a
    normal distribution (unbounded)."""
    if ModelTrainer.LEARNING_RATE not in space.parameters_used:
        return None
    values, bounds = _values_and_bounds(space.value_of(ModelTrainer.LEARNING_RATE))
    numbers = [float(value) for value in [*values, *(bounds or ())]]
    return (min(numbers), max(numbers)) if numbers else None
