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
    "autotune": "flair_hpo.autotuning",
    "AutotuneResult": "flair_hpo.autotuning",
    "BestConfiguration": "flair_hpo.best_configuration",
    "ConfigurationError": "flair_hpo.errors",
    "EmbeddingCache": "flair_hpo.training.embedding_cache",
    "EvaluationMetric": "flair_hpo.metrics",
    "Hyperband": "flair_hpo.early_stopping",
    "InProcessExecutor": "flair_hpo.executors",
    "MedianStopping": "flair_hpo.early_stopping",
    "RayExecutor": "flair_hpo.executors",
    "SearchInProgressError": "flair_hpo.errors",
    "SuccessiveHalving": "flair_hpo.early_stopping",
    "JournalMismatchError": "flair_hpo.errors",
    "OptimizationValue": "flair_hpo.metrics",
    "Orchestrator": "flair_hpo.orchestrator",
    "Parameter": "flair_hpo.param_selection",
    "SearchCallback": "flair_hpo.callbacks",
    "SearchResult": "flair_hpo.results",
    "SearchSpace": "flair_hpo.param_selection",
    "SequenceTaggerParamSelector": "flair_hpo.param_selection",
    "TextClassifierParamSelector": "flair_hpo.param_selection",
    "TrialRecord": "flair_hpo.results",
}
_MODULES = {
    "analysis",
    "early_stopping",
    "executors",
    "orchestrator",
    "param_selection",
    "parameters",
    "search_spaces",
    "search_strategies",
    "trainers",
}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"flair_hpo.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'flair_hpo' has no attribute {name!r}")
