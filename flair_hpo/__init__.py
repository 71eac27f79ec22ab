"""flair-hpo: hyperparameter search for flair sequence taggers and text classifiers.

Names are imported on first use, so that ``import flair_hpo`` (and the command line) start fast.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

__version__ = "0.1.0"

logging.getLogger("flair_hpo").setLevel(logging.INFO)  # handlers decide what is shown; the search log gets INFO

_EXPORTS = {
    "autotune": "flair_hpo.frontends.autotune",
    "AutotuneResult": "flair_hpo.frontends.autotune",
    "BestConfiguration": "flair_hpo.search.best_configuration",
    "Budget": "flair_hpo.search.settings",
    "ConfigurationError": "flair_hpo.errors",
    "EmbeddingCache": "flair_hpo.training.embedding_cache",
    "EvaluationMetric": "flair_hpo.objective",
    "Hyperband": "flair_hpo.early_stopping",
    "InProcessExecutor": "flair_hpo.executors",
    "LocalExecutor": "flair_hpo.executors",
    "JournalMismatchError": "flair_hpo.errors",
    "load_best_model": "flair_hpo.search.best_configuration",
    "MedianStopping": "flair_hpo.early_stopping",
    "ModelTask": "flair_hpo.tasks",
    "Objective": "flair_hpo.objective",
    "OptimizationValue": "flair_hpo.objective",
    "Orchestrator": "flair_hpo.search.orchestrator",
    "Parameter": "flair_hpo.frontends.param_selection",
    "RayExecutor": "flair_hpo.executors",
    "SearchCallback": "flair_hpo.search.callbacks",
    "SearchInProgressError": "flair_hpo.errors",
    "SearchResult": "flair_hpo.storage",
    "SearchSpace": "flair_hpo.frontends.param_selection",  # the classic API's; the orchestrator's is tasks.SearchSpace
    "SequenceTaggerParamSelector": "flair_hpo.frontends.param_selection",
    "SequenceTaggerSearchSpace": "flair_hpo.tasks",
    "SuccessiveHalving": "flair_hpo.early_stopping",
    "TextClassifierParamSelector": "flair_hpo.frontends.param_selection",
    "TextClassifierSearchSpace": "flair_hpo.tasks",
    "TrialRecord": "flair_hpo.storage",
    "register_task": "flair_hpo.tasks",
}
_MODULES = {
    "analysis",
    "early_stopping",
    "executors",
    "objective",
    "orchestrator",
    "param_selection",
    "parameters",
    "search",
    "search_spaces",
    "search_strategies",
    "space",
    "storage",
    "strategies",
    "tasks",
    "trainers",
}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"flair_hpo.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'flair_hpo' has no attribute {name!r}")
