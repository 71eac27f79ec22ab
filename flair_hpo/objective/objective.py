"""What a search optimises: a dev metric or the dev loss, its direction, a run's values, and its label.

The only place that knows a loss is minimised: strategies and early-stopping rules get the *maximised*
value from :meth:`Objective.maximised`; outputs name it with :attr:`Objective.label`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional, TypeVar, Union

from flair_hpo.errors import ConfigurationError
from flair_hpo.objective.metric_strings import CustomMetric
from flair_hpo.objective.metrics import EvaluationMetric, OptimizationValue

Metric = Union[EvaluationMetric, CustomMetric]
LAST_EPOCHS_SCORED = 3
T = TypeVar("T")


@dataclass(frozen=True)
class Objective:
    """The dev ``metric`` (maximised), or the dev loss (minimised) when ``value`` is ``DEV_LOSS``."""

    metric: Metric = EvaluationMetric.MICRO_F1_SCORE
    value: OptimizationValue = OptimizationValue.DEV_SCORE

    def __post_init__(self) -> None:
        if not isinstance(self.metric, (EvaluationMetric, CustomMetric)):
            raise ConfigurationError(
                f"the evaluation metric must be one of {[m.name for m in EvaluationMetric]} or a metric string such "
                f"as 'macro-f1', but got {self.metric!r}."
            )
        if not isinstance(self.value, OptimizationValue):
            raise ConfigurationError(
                f"the optimization value must be one of {[v.name for v in OptimizationValue]}, but got {self.value!r}."
            )

    @property
    def minimises(self) -> bool:
        return self.value is OptimizationValue.DEV_LOSS

    @property
    def direction(self) -> str:
        return "minimize" if self.minimises else "maximize"

    @property
    def label(self) -> str:
        """How the selection score is named in every output, with its direction."""
        if self.minimises:
            return "dev loss (lower is better)"
        return f"dev {self.metric.value} (higher is better)"

    @property
    def values_name(self) -> str:
        """What a run's per-epoch values are, in words."""
        return "dev losses" if self.minimises else f"dev {self.metric.value} scores"

    def run_values(self, dev_scores: Sequence[float], dev_losses: Sequence[float]) -> list[float]:
        """The per-epoch values this objective reads from a run's dev scores and losses."""
        return list(dev_losses if self.minimises else dev_scores)

    def run_score(self, dev_scores: Sequence[float], dev_losses: Sequence[float]) -> Optional[float]:
        """A run's score: the mean of its last three values (fewer if fewer epochs ran)."""
        values = self.run_values(dev_scores, dev_losses)
        return statistics.fmean(values[-LAST_EPOCHS_SCORED:]) if values else None

    def maximised(self, score: float) -> float:
        """The number strategies and early-stopping rules maximise: the score itself, or the negated loss."""
        return -score if self.minimises else score

    def best(self, items: Iterable[T], score: Callable[[T], Optional[float]]) -> Optional[T]:
        """The item with the best score (the first of equals); None when none has a score."""
        scored = [
            (self.maximised(value), -index, item)
            for index, item in enumerate(items)
            if (value := score(item)) is not None
        ]
        return max(scored, key=lambda entry: (entry[0], entry[1]))[2] if scored else None

    # -- as a journal records it ------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        metric: Any = self.metric.name if isinstance(self.metric, EvaluationMetric) else asdict(self.metric)
        return {"metric": metric, "optimization_value": self.value.name}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Objective:
        metric = document["metric"]
        return cls(
            EvaluationMetric[metric] if isinstance(metric, str) else CustomMetric(**metric),
            OptimizationValue[document["optimization_value"]],
        )
