"""The arguments of flair's ``ModelTrainer.train`` for one configuration, the optimizer's own included.

A configuration maps parameter keys to values: ``learning_rate`` for the trainer, ``hidden_size`` for a
tagger, ``DocumentRNNEmbeddings.hidden_size`` for a document embedding (see :mod:`flair_hpo.tasks`).
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any

import torch

from flair_hpo.errors import ConfigurationError
from flair_hpo.tasks.parameters import ModelTrainer

if TYPE_CHECKING:
    from flair_hpo.search.settings import StudySettings

log = logging.getLogger("flair_hpo")

_OPTIMIZER_ARGUMENTS = ("momentum", "weight_decay")
_TRAIN_ARGUMENTS = {p.value for p in ModelTrainer} - {"optimizer", *_OPTIMIZER_ARGUMENTS}


def resolve_optimizer(value: Any) -> type[torch.optim.Optimizer]:
    """An optimizer class from a class or its name in ``torch.optim`` (``"SGD"``, ``"AdamW"``, ...)."""
    if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
        return value
    candidate = getattr(torch.optim, value, None) if isinstance(value, str) else None
    if isinstance(candidate, type) and issubclass(candidate, torch.optim.Optimizer):
        return candidate
    valid = sorted(
        n
        for n, c in vars(torch.optim).items()
        if isinstance(c, type) and issubclass(c, torch.optim.Optimizer) and n != "Optimizer"
    )
    raise ConfigurationError(f"optimizer must be a torch.optim class or one of {valid}, but got {value!r}.")


def training_arguments(config: dict[str, Any], settings: StudySettings) -> dict[str, Any]:
    """Keyword arguments of ``ModelTrainer.train`` for this configuration (the optimizer's own included)."""
    arguments: dict[str, Any] = {key: config[key] for key in _TRAIN_ARGUMENTS if key in config}
    optimizer = resolve_optimizer(config.get("optimizer", torch.optim.SGD))
    accepted = inspect.signature(optimizer.__init__).parameters
    for name in _OPTIMIZER_ARGUMENTS:
        if name in config:
            if name in accepted:
                arguments[name] = config[name]
            else:
                log.info("%s does not take %s; %s=%s is not used", optimizer.__name__, name, name, config[name])
    arguments["optimizer"] = optimizer
    arguments["max_epochs"] = settings.max_epochs
    arguments["main_evaluation_metric"] = settings.objective.metric.flair_main_metric
    arguments["embeddings_storage_mode"] = settings.embeddings_storage_mode
    return arguments
