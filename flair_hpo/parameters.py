"""The orchestrator API's parameter enums under the import path of flair's tuning tutorial
(``import flair_hpo.parameters as parameter``); they live with their task in :mod:`flair_hpo.tasks`."""

from flair_hpo.objective import EvaluationMetric, OptimizationValue
from flair_hpo.search.settings import Budget
from flair_hpo.tasks.parameters import HyperParameter, ModelTrainer, PrefixedParameter
from flair_hpo.tasks.sequence_tagging import SequenceTagger, TransformerWordEmbeddings
from flair_hpo.tasks.text_classification import (
    DocumentPoolEmbeddings,
    DocumentRNNEmbeddings,
    TransformerDocumentEmbeddings,
)

__all__ = [
    "Budget",
    "DocumentPoolEmbeddings",
    "DocumentRNNEmbeddings",
    "EvaluationMetric",
    "HyperParameter",
    "ModelTrainer",
    "OptimizationValue",
    "PrefixedParameter",
    "SequenceTagger",
    "TransformerDocumentEmbeddings",
    "TransformerWordEmbeddings",
]
