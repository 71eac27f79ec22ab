"""Everything about a search that is not a hyperparameter: task, labels, objective, budgets, epochs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Optional, Union

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.objective import EvaluationMetric, Metric, Objective, OptimizationValue

if TYPE_CHECKING:
    from flair_hpo.tasks.base import ModelTask

EMBEDDINGS_STORAGE_MODES = ("none", "cpu", "gpu")


class Budget(Enum):
    """How long a search may go on. Several budgets can be combined; the first one used up ends the search."""

    TIME_IN_H = "time_in_h"
    TIME_IN_MIN = "time_in_min"
    TIME_IN_S = "time_in_s"
    RUNS = "runs"
    GENERATIONS = "generations"
    EPOCHS = "epochs"  # training epochs over all runs of all trials, as trained (early-stopped trials count less)


_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(value: Union[float, int, str, timedelta]) -> float:
    """Seconds from a number of seconds, a ``timedelta``, or text such as ``"90s"``, ``"30m"``, ``"2h"``."""
    if isinstance(value, timedelta):
        seconds: object = value.total_seconds()
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*", value.lower())
        if match is None:
            raise ConfigurationError(f"a duration must look like '90s', '30m' or '2h', but got {value!r}.")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
        if seconds <= 0:
            raise ConfigurationError(f"the time budget must be a positive duration, but got {value!r}.")
    else:
        seconds = value
    check_positive("the time budget", seconds)
    return float(seconds)  # type: ignore[arg-type]


@dataclass
class Budgets:
    """Limits of one search; None means unlimited. Time counts per ``optimize()`` call; trials, generations and
    epochs count over the whole search. Epochs are the ones actually trained, checked before each trial."""

    seconds: Optional[float] = None
    trials: Optional[int] = None
    generations: Optional[int] = None
    epochs: Optional[int] = None

    def __post_init__(self) -> None:
        if self.seconds is not None:
            check_positive("the time budget", self.seconds)
        if self.trials is not None:
            self.trials = check_positive("the budget of runs (trials)", self.trials, integer=True)
        if self.generations is not None:
            self.generations = check_positive("the budget of generations", self.generations, integer=True)
        if self.epochs is not None:
            self.epochs = check_positive("the budget of epochs", self.epochs, integer=True)

    def is_unlimited(self) -> bool:
        return all(value is None for value in (self.seconds, self.trials, self.generations, self.epochs))


@dataclass
class StudySettings:
    """The steering parameters of a search."""

    task: ModelTask
    label_type: Optional[str] = None
    multi_label: bool = False
    metric: Metric = EvaluationMetric.MICRO_F1_SCORE
    optimization_value: OptimizationValue = OptimizationValue.DEV_SCORE
    max_epochs: int = 50
    training_runs: int = 1
    budgets: Budgets = field(default_factory=Budgets)
    embeddings_storage_mode: str = "none"
    max_model_bytes: Optional[int] = None

    def __post_init__(self) -> None:
        self.max_epochs = check_positive("max_epochs", self.max_epochs, integer=True)
        if self.max_model_bytes is not None:
            self.max_model_bytes = check_positive("the model size limit", self.max_model_bytes, integer=True)
        self.training_runs = check_positive("training_runs", self.training_runs, integer=True)
        Objective(self.metric, self.optimization_value)  # raises on a bad metric or optimization value
        if self.embeddings_storage_mode not in EMBEDDINGS_STORAGE_MODES:
            raise ConfigurationError(
                f"embeddings_storage_mode must be one of {EMBEDDINGS_STORAGE_MODES}, but got {self.embeddings_storage_mode!r}."
            )

    @property
    def label(self) -> str:
        """The label type, once it has been resolved against the corpus."""
        if self.label_type is None:
            raise ConfigurationError(
                "the label type is not known yet: give it, or let the search read it from the corpus."
            )
        return self.label_type

    @property
    def objective(self) -> Objective:
        return Objective(self.metric, self.optimization_value)

    @property
    def objective_label(self) -> str:
        return self.objective.label
