"""flair's two training recipes, and the learning-rate schedules a configuration may give either of them.

``train`` is flair's ``ModelTrainer.train``: SGD, the learning rate annealed when the dev score stalls.
``fine_tune`` is flair's ``ModelTrainer.fine_tune``: AdamW, a linear schedule with warmup, no annealing.
A configuration picks one with ``ModelTrainer.RECIPE`` (``train`` when it does not say) and may replace the
recipe's schedule with ``ModelTrainer.SCHEDULER``. Importing this module does not import flair.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from flair_hpo.registry import Registry

DEFAULT_RECIPE = "train"
FINE_TUNING_RECIPE = "fine_tune"


def flair_default(method: str, argument: str) -> Any:
    """The default of one argument of flair's ``ModelTrainer.<method>``."""
    from flair.trainers import ModelTrainer

    return inspect.signature(getattr(ModelTrainer, method)).parameters[argument].default


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: the configuration keys it reads and the flair plugin that applies it."""

    description: str
    arguments: tuple[str, ...]
    plugin: Callable[[dict[str, Any], Path], Optional[Any]]


def _annealing(config: dict[str, Any], folder: Path) -> Any:
    from flair.trainers.plugins import AnnealingPlugin

    names = ("anneal_factor", "patience", "min_learning_rate", "initial_extra_patience", "anneal_with_restarts")
    return AnnealingPlugin(folder, **{name: config.get(name, flair_default("train", name)) for name in names})


def _linear(config: dict[str, Any], folder: Path) -> Any:
    from flair.trainers.plugins import LinearSchedulerPlugin

    return LinearSchedulerPlugin(config.get("warmup_fraction", flair_default("fine_tune", "warmup_fraction")))


SCHEDULES: Registry[Schedule] = Registry("scheduler")
SCHEDULES.add(
    "anneal_on_plateau",
    Schedule(
        "halve the learning rate when the dev score stalls (flair's train)",
        ("anneal_factor", "patience", "min_learning_rate", "anneal_with_restarts"),
        _annealing,
    ),
)
SCHEDULES.add(
    "linear",
    Schedule("linear warmup, then linear decay to 0 (flair's fine_tune)", ("warmup_fraction",), _linear),
)
SCHEDULES.add("constant", Schedule("the learning rate never changes", (), lambda config, folder: None))


@dataclass(frozen=True)
class Recipe:
    """One of flair's training methods: its optimizer and schedule unless a configuration says otherwise."""

    description: str
    optimizer: str
    schedule: str
    typical_learning_rate: str


RECIPES: Registry[Recipe] = Registry("recipe")
RECIPES.add(DEFAULT_RECIPE, Recipe("flair's ModelTrainer.train", "SGD", "anneal_on_plateau", "0.01 to 0.5"))
RECIPES.add(FINE_TUNING_RECIPE, Recipe("flair's ModelTrainer.fine_tune", "AdamW", "linear", "1e-5 to 1e-4"))


def recipe_of(config: dict[str, Any]) -> str:
    """The recipe a configuration trains with (checked against the registry)."""
    name = config.get("recipe", DEFAULT_RECIPE)
    RECIPES.get(name)
    return name


def schedule_of(config: dict[str, Any]) -> str:
    """The schedule a configuration trains with: its own ``scheduler`` or its recipe's."""
    name = config.get("scheduler", RECIPES.get(recipe_of(config)).schedule)
    SCHEDULES.get(name)
    return name
