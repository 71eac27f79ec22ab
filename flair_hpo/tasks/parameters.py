"""Hyperparameters of the orchestrator API: one enum per flair class they belong to.

``ModelTrainer.LEARNING_RATE`` is an argument of flair's ``ModelTrainer.train`` and fits every task; each
task module declares the enums of its own model (``SequenceTagger``, ``DocumentRNNEmbeddings``, ...).
Every member's value is the flair argument name.
"""

from __future__ import annotations

from enum import Enum


class HyperParameter(Enum):
    """Base of the per-class enums: ``key`` names the parameter in configurations and outputs."""

    @property
    def target(self) -> str:
        """The flair class the parameter belongs to."""
        return type(self).__name__

    @property
    def key(self) -> str:
        return str(self.value)


class PrefixedParameter(HyperParameter):
    """Parameters of an embedding class: their keys carry the class name (``DocumentRNNEmbeddings.hidden_size``)."""

    @property
    def key(self) -> str:
        return f"{self.target}.{self.value}"


class ModelTrainer(HyperParameter):
    """Arguments of flair's ``ModelTrainer`` (and of the optimizer and schedule it builds). ``RECIPE`` picks the
    method: ``train`` (SGD, annealing on plateau) or ``fine_tune`` (AdamW, linear schedule with warmup);
    ``SCHEDULER`` replaces the recipe's schedule (``anneal_on_plateau``, ``linear`` or ``constant``)."""

    RECIPE = "recipe"
    SCHEDULER = "scheduler"
    WARMUP_FRACTION = "warmup_fraction"
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
