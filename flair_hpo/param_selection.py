"""The classic parameter-selection API under its flair import path; it lives in :mod:`flair_hpo.frontends`."""

from flair_hpo.frontends.param_selection import (
    EvaluationMetric,
    OptimizationValue,
    Parameter,
    SearchSpace,
    SequenceTaggerParamSelector,
    TextClassifierParamSelector,
)

__all__ = [
    "EvaluationMetric",
    "OptimizationValue",
    "Parameter",
    "SearchSpace",
    "SequenceTaggerParamSelector",
    "TextClassifierParamSelector",
]
