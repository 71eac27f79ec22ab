"""What a search is scored by: dev metrics, fastText-style metric strings, and the objective with its direction."""

from flair_hpo.objective.metric_strings import CustomMetric, parse_metric
from flair_hpo.objective.metrics import EvaluationMetric, OptimizationValue
from flair_hpo.objective.objective import LAST_EPOCHS_SCORED, Metric, Objective

__all__ = [
    "LAST_EPOCHS_SCORED",
    "CustomMetric",
    "EvaluationMetric",
    "Metric",
    "Objective",
    "OptimizationValue",
    "parse_metric",
]
