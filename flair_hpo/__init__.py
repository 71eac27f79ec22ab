"""flair-hpo: hyperparameter search for flair sequence taggers and text classifiers."""

from flair_hpo import parameters, search_spaces, search_strategies
from flair_hpo.best_configuration import BestConfiguration
from flair_hpo.errors import ConfigurationError, JournalMismatchError
from flair_hpo.metrics import EvaluationMetric, OptimizationValue
from flair_hpo.orchestrator import Orchestrator
from flair_hpo.param_selection import Parameter, SearchSpace, SequenceTaggerParamSelector, TextClassifierParamSelector
from flair_hpo.results import SearchResult, TrialRecord

__version__ = "0.1.0"

__all__ = [
    "BestConfiguration",
    "ConfigurationError",
    "EvaluationMetric",
    "JournalMismatchError",
    "OptimizationValue",
    "Orchestrator",
    "Parameter",
    "SearchResult",
    "SearchSpace",
    "SequenceTaggerParamSelector",
    "TextClassifierParamSelector",
    "TrialRecord",
    "parameters",
    "search_spaces",
    "search_strategies",
]
