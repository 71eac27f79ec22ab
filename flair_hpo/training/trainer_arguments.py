"""The call of flair's trainer for one configuration: which recipe (``train`` or ``fine_tune``), its keyword
arguments (the optimizer's own included) and a schedule other than the recipe's own.

A configuration maps parameter keys to values: ``learning_rate`` for the trainer, ``hidden_size`` for a
tagger, ``DocumentRNNEmbeddings.hidden_size`` for a document embedding (see :mod:`flair_hpo.tasks`).
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from flair_hpo.errors import ConfigurationError
from flair_hpo.tasks.parameters import ModelTrainer
from flair_hpo.training.recipes import RECIPES, SCHEDULES, recipe_of, schedule_of

if TYPE_CHECKING:
    from flair.trainers import ModelTrainer as FlairModelTrainer

    from flair_hpo.search.settings import StudySettings

log = logging.getLogger("flair_hpo")

_OPTIMIZER_ARGUMENTS = ("momentum", "weight_decay")
_SCHEDULE_ARGUMENTS = {name for schedule in SCHEDULES for name in schedule.arguments}
_CHOICES = {"optimizer", "recipe", "scheduler"}
_TRAIN_ARGUMENTS = {p.value for p in ModelTrainer} - _CHOICES - set(_OPTIMIZER_ARGUMENTS) - _SCHEDULE_ARGUMENTS


UNTRAINABLE_OPTIMIZERS = {"Optimizer", "LBFGS", "SparseAdam"}  # the base class; a closure; sparse gradients only


def resolve_optimizer(value: Any) -> type[torch.optim.Optimizer]:
    """An optimizer class from a class or its name in ``torch.optim`` (``"SGD"``, ``"AdamW"``, ...); not one
    that flair's trainer cannot step (LBFGS needs a closure, SparseAdam sparse gradients)."""
    if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
        candidate: Any = value
    else:
        candidate = getattr(torch.optim, value, None) if isinstance(value, str) else None
    trainable = isinstance(candidate, type) and issubclass(candidate, torch.optim.Optimizer)
    if trainable and candidate.__name__ not in UNTRAINABLE_OPTIMIZERS:
        return candidate
    valid = sorted(
        n
        for n, c in vars(torch.optim).items()
        if isinstance(c, type) and issubclass(c, torch.optim.Optimizer) and n not in UNTRAINABLE_OPTIMIZERS
    )
    raise ConfigurationError(f"optimizer must be a torch.optim class or one of {valid}, but got {value!r}.")


def _not_used(name: str, value: Any, why: str) -> None:
    log.info("%s=%s is not used: %s", name, value, why)


@dataclass
class TrainingCall:
    """``ModelTrainer.<recipe>(folder, **arguments)`` with ``plugins`` added to the caller's."""

    recipe: str
    schedule: str
    arguments: dict[str, Any]
    plugins: list[Any] = field(default_factory=list)

    def run(self, trainer: FlairModelTrainer, folder: Path, plugins: list[Any], **options: Any) -> dict:
        """Train with this call; ``options`` are further keyword arguments of the recipe."""
        from flair_hpo.training.plugins import RecipeLog

        method = getattr(trainer, self.recipe)
        every_plugin = [*plugins, *self.plugins, RecipeLog(self.recipe, self.schedule)]
        return method(folder, plugins=every_plugin, **self.arguments, **options)


def training_call(config: dict[str, Any], settings: StudySettings, folder: Path) -> TrainingCall:
    """How flair's trainer trains this configuration: its recipe, optimizer and schedule; parameters the
    chosen optimizer or schedule does not take are logged and left out."""
    recipe_name, schedule_name = recipe_of(config), schedule_of(config)
    recipe, schedule = RECIPES.get(recipe_name), SCHEDULES.get(schedule_name)
    arguments: dict[str, Any] = {key: config[key] for key in _TRAIN_ARGUMENTS if key in config}
    optimizer = resolve_optimizer(config.get("optimizer", recipe.optimizer))
    accepted = inspect.signature(optimizer.__init__).parameters
    for name in _OPTIMIZER_ARGUMENTS:
        if name in config:
            if name in accepted:
                arguments[name] = config[name]
            else:
                _not_used(name, config[name], f"{optimizer.__name__} does not take it")
    for name in _SCHEDULE_ARGUMENTS & config.keys():
        if name not in schedule.arguments:
            _not_used(name, config[name], f"the {schedule_name} schedule does not read it")
    plugins: list[Any] = []
    if schedule_name == recipe.schedule:  # flair attaches the recipe's own schedule
        arguments.update({name: config[name] for name in schedule.arguments if name in config})
    else:
        arguments["attach_default_scheduler"] = False
        plugin = schedule.plugin(config, folder)
        plugins = [plugin] if plugin is not None else []
    arguments["optimizer"] = optimizer
    arguments["max_epochs"] = settings.max_epochs
    arguments["main_evaluation_metric"] = settings.objective.metric.flair_main_metric
    arguments["embeddings_storage_mode"] = settings.embeddings_storage_mode
    return TrainingCall(recipe_name, schedule_name, arguments, plugins)
