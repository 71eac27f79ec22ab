"""The hyperparameters of the orchestrator API, one enum per flair class they belong to.

``parameters.ModelTrainer.LEARNING_RATE`` is an argument of flair's ``ModelTrainer.train``,
``parameters.DocumentRNNEmbeddings.HIDDEN_SIZE`` one of ``DocumentRNNEmbeddings``, and so on.
Every member's value is the flair argument name.
"""

from __future__ import annotations

from enum import Enum

from flair_hpo.metrics import EvaluationMetric, OptimizationValue
from flair_hpo.settings import Task

__all__ = [
    "Budget",
    "DocumentPoolEmbeddings",
    "DocumentRNNEmbeddings",
    "EvaluationMetric",
    "ModelTrainer",
    "OptimizationValue",
    "SequenceTagger",
    "TransformerDocumentEmbeddings",
    "TransformerWordEmbeddings",
    "HyperParameter",
    "EMBEDDING_TARGETS",
]


class HyperParameter(Enum):
    """Base of the per-class enums: ``key`` names the parameter in configurations and outputs."""

    @property
    def target(self) -> str:
        return type(self).__name__

    @property
    def key(self) -> str:
        if self.target in EMBEDDING_TARGETS:
            return f"{self.target}.{self.value}"
        return str(self.value)

    @property
    def tasks(self) -> frozenset[Task]:
        return _TASKS[self.target]


class ModelTrainer(HyperParameter):
    LEARNING_RATE = "learning_rate"
    MINI_BATCH_SIZE = "mini_batch_size"
    OPTIMIZER = "optimizer"
    MOMENTUM = "momentum"
    WEIGHT_DECAY = "weight_decay"
    ANNEAL_FACTOR = "anneal_factor"
    PATIENCE = "patience"
    MIN_LEARNING_RATE = "min_learning_rate"
    ANNEAL_WITH_RESTARTS = "anneal_with_restarts"
    MAX_GRAD_NORM = "max_grad_norm"
    DECODER_LEARNING_RATE = "decoder_learning_rate"


class SequenceTagger(HyperParameter):
    EMBEDDINGS = "embeddings"
    HIDDEN_SIZE = "hidden_size"
    USE_CRF = "use_crf"
    USE_RNN = "use_rnn"
    RNN_LAYERS = "rnn_layers"
    RNN_TYPE = "rnn_type"
    BIDIRECTIONAL = "bidirectional"
    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"
    REPROJECT_EMBEDDINGS = "reproject_embeddings"


class TransformerWordEmbeddings(HyperParameter):
    """Token embeddings of a sequence tagger built from a transformer (instead of ``SequenceTagger.EMBEDDINGS``)."""

    MODEL = "model"
    LAYERS = "layers"
    FINE_TUNE = "fine_tune"
    LAYER_MEAN = "layer_mean"
    SUBTOKEN_POOLING = "subtoken_pooling"


class DocumentRNNEmbeddings(HyperParameter):
    WORD_EMBEDDINGS = "embeddings"
    HIDDEN_SIZE = "hidden_size"
    RNN_LAYERS = "rnn_layers"
    RNN_TYPE = "rnn_type"
    BIDIRECTIONAL = "bidirectional"
    REPROJECT_WORDS = "reproject_words"
    REPROJECT_WORDS_DIMENSION = "reproject_words_dimension"
    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"


class DocumentPoolEmbeddings(HyperParameter):
    WORD_EMBEDDINGS = "embeddings"
    POOLING = "pooling"
    FINE_TUNE_MODE = "fine_tune_mode"


class TransformerDocumentEmbeddings(HyperParameter):
    MODEL = "model"
    LAYERS = "layers"
    FINE_TUNE = "fine_tune"
    LAYER_MEAN = "layer_mean"
    CLS_POOLING = "cls_pooling"


class Budget(Enum):
    """How long a search may go on. Several budgets can be combined; the first one used up ends the search."""

    TIME_IN_H = "time_in_h"
    TIME_IN_MIN = "time_in_min"
    TIME_IN_S = "time_in_s"
    RUNS = "runs"
    GENERATIONS = "generations"
    EPOCHS = "epochs"  # training epochs over all runs of all trials, as trained (early-stopped trials count less)


EMBEDDING_TARGETS = (
    "TransformerWordEmbeddings",
    "DocumentRNNEmbeddings",
    "DocumentPoolEmbeddings",
    "TransformerDocumentEmbeddings",
)

_TASKS: dict[str, frozenset[Task]] = {
    "ModelTrainer": frozenset(Task),
    "SequenceTagger": frozenset({Task.SEQUENCE_TAGGING}),
    "TransformerWordEmbeddings": frozenset({Task.SEQUENCE_TAGGING}),
    "DocumentRNNEmbeddings": frozenset({Task.TEXT_CLASSIFICATION}),
    "DocumentPoolEmbeddings": frozenset({Task.TEXT_CLASSIFICATION}),
    "TransformerDocumentEmbeddings": frozenset({Task.TEXT_CLASSIFICATION}),
}
