"""Everything about a search that is not a hyperparameter: task, labels, metric, budgets, epochs."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Any, Optional, Union

from flair_hpo.errors import ConfigurationError
from flair_hpo.metrics import EvaluationMetric, OptimizationValue, objective_label

EMBEDDINGS_STORAGE_MODES = ("none", "cpu", "gpu")


class Task(Enum):
    SEQUENCE_TAGGING = "sequence_tagging"
    TEXT_CLASSIFICATION = "text_classification"


TASK_NAMES = {"classification": Task.TEXT_CLASSIFICATION, "tagging": Task.SEQUENCE_TAGGING}


def parse_task(value: Union[str, Task, None]) -> Optional[Task]:
    """A task from its short name (``classification``, ``tagging``); None stays None (to be inferred)."""
    if value is None or isinstance(value, Task):
        return value
    if value not in TASK_NAMES:
        raise ConfigurationError(f"task must be one of {sorted(TASK_NAMES)}, but got {value!r}.")
    return TASK_NAMES[value]


def check_positive(name: str, value: Any, integer: bool = False) -> None:
    """Raise a ConfigurationError unless ``value`` is a positive (whole) number."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value <= 0 or (integer and not float(value).is_integer()):
        kind = "a positive whole number" if integer else "a positive number"
        raise ConfigurationError(f"{name} must be {kind}, but got {value!r}.")


_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(value: Union[float, int, str, timedelta]) -> float:
    """Seconds from a number of seconds, a ``timedelta``, or text such as ``"90s"``, ``"30m"``, ``"2h"``."""
    if isinstance(value, timedelta):
        seconds: object = value.total_seconds()
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*", value)
        if match is None:
            raise ConfigurationError(f"a duration must look like '90s', '30m' or '2h', but got {value!r}.")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
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
            check_positive("the budget of runs (trials)", self.trials, integer=True)
        if self.generations is not None:
            check_positive("the budget of generations", self.generations, integer=True)
        if self.epochs is not None:
            check_positive("the budget of epochs", self.epochs, integer=True)

    def is_unlimited(self) -> bool:
        return all(value is None for value in (self.seconds, self.trials, self.generations, self.epochs))


@dataclass
class StudySettings:
    """The steering parameters of a search."""

    task: Task
    label_type: Optional[str] = None
    multi_label: bool = False
    metric: Any = EvaluationMetric.MICRO_F1_SCORE  # an EvaluationMetric, or a metric_spec.CustomMetric
    optimization_value: OptimizationValue = OptimizationValue.DEV_SCORE
    max_epochs: int = 50
    training_runs: int = 1
    budgets: Budgets = field(default_factory=Budgets)
    embeddings_storage_mode: str = "none"
    max_model_bytes: Optional[int] = None

    def __post_init__(self) -> None:
        check_positive("max_epochs", self.max_epochs, integer=True)
        if self.max_model_bytes is not None:
            check_positive("the model size limit", self.max_model_bytes, integer=True)
        check_positive("training_runs", self.training_runs, integer=True)
        if not isinstance(self.metric, EvaluationMetric) and not callable(getattr(self.metric, "score", None)):
            raise ConfigurationError(
                f"the evaluation metric must be one of {[m.name for m in EvaluationMetric]}, but got {self.metric!r}."
            )
        if not isinstance(self.optimization_value, OptimizationValue):
            raise ConfigurationError(
                f"the optimization value must be one of {[v.name for v in OptimizationValue]}, but got {self.optimization_value!r}."
            )
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
    def objective_label(self) -> str:
        return objective_label(self.metric, self.optimization_value)
