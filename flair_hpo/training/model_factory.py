"""Builds a flair model and the arguments of ``ModelTrainer.train`` from one configuration.

A configuration maps parameter keys (see :mod:`flair_hpo.parameters`) to values: ``hidden_size``
for the tagger, ``DocumentRNNEmbeddings.hidden_size`` for a document embedding, ``learning_rate``
for the trainer, and ``document_embeddings`` naming which document embedding a classifier uses.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import torch
from flair.data import Dictionary
from flair.embeddings import (
    DocumentPoolEmbeddings,
    DocumentRNNEmbeddings,
    StackedEmbeddings,
    TokenEmbeddings,
    TransformerDocumentEmbeddings,
    TransformerWordEmbeddings,
)
from flair.models import SequenceTagger, TextClassifier
from flair.nn import Model

from flair_hpo import parameters
from flair_hpo.embedding_specs import fresh_copy
from flair_hpo.errors import ConfigurationError
from flair_hpo.settings import StudySettings, Task

log = logging.getLogger("flair_hpo")

DOCUMENT_EMBEDDINGS_KEY = "document_embeddings"
_TRAIN_ARGUMENTS = {p.value for p in parameters.ModelTrainer} - {"optimizer", "momentum", "weight_decay"}
_OPTIMIZER_ARGUMENTS = ("momentum", "weight_decay")
_DOCUMENT_EMBEDDINGS = {
    "DocumentRNNEmbeddings": DocumentRNNEmbeddings,
    "DocumentPoolEmbeddings": DocumentPoolEmbeddings,
    "TransformerDocumentEmbeddings": TransformerDocumentEmbeddings,
}


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


def _arguments_of(config: dict[str, Any], target: str) -> dict[str, Any]:
    prefix = target + "."
    return {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}


def token_embeddings(value: Any) -> TokenEmbeddings:
    """One token embedding, or a stack of a list of them (copied when they train)."""
    embeddings = fresh_copy(list(value) if isinstance(value, (list, tuple)) else [value])
    return embeddings[0] if len(embeddings) == 1 else StackedEmbeddings(embeddings)


def build_sequence_tagger(config: dict[str, Any], settings: StudySettings, labels: Dictionary) -> SequenceTagger:
    if "embeddings" in config:
        embeddings = token_embeddings(config["embeddings"])
    else:
        embeddings = TransformerWordEmbeddings(**_arguments_of(config, "TransformerWordEmbeddings"))
    arguments = {
        p.value: config[p.value] for p in parameters.SequenceTagger if p.value in config and p.value != "embeddings"
    }
    return SequenceTagger(embeddings=embeddings, tag_dictionary=labels, tag_type=settings.label, **arguments)


def build_text_classifier(config: dict[str, Any], settings: StudySettings, labels: Dictionary) -> TextClassifier:
    target = config[DOCUMENT_EMBEDDINGS_KEY]
    arguments = _arguments_of(config, target)
    if "embeddings" in arguments:
        embeddings = arguments["embeddings"]
        arguments["embeddings"] = fresh_copy(
            list(embeddings) if isinstance(embeddings, (list, tuple)) else [embeddings]
        )
    document_embeddings = _DOCUMENT_EMBEDDINGS[target](**arguments)
    return TextClassifier(
        embeddings=document_embeddings,
        label_dictionary=labels,
        label_type=settings.label,
        multi_label=settings.multi_label,
    )


def build_model(config: dict[str, Any], settings: StudySettings, labels: Dictionary) -> Model:
    """A freshly initialised flair model for this configuration."""
    if settings.task is Task.SEQUENCE_TAGGING:
        return build_sequence_tagger(config, settings, labels)
    return build_text_classifier(config, settings, labels)


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
    arguments["main_evaluation_metric"] = settings.metric.flair_main_metric
    arguments["embeddings_storage_mode"] = settings.embeddings_storage_mode
    return arguments
