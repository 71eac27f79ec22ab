"""What a trial is scored by: the dev metric (or dev loss), its name and its direction."""

from __future__ import annotations

from enum import Enum


class EvaluationMetric(Enum):
    """Dev metrics a search can select on. Each maps to a score flair records after every evaluation."""

    MICRO_F1_SCORE = "micro-F1"
    MACRO_F1_SCORE = "macro-F1"
    MICRO_ACCURACY = "accuracy"
    MACRO_ACCURACY = "macro-accuracy"

    @property
    def record_name(self) -> tuple[str, ...]:
        """The name under which flair's trainer records this metric (without the split prefix)."""
        return _RECORD_NAMES[self]

    @property
    def flair_main_metric(self) -> tuple[str, str]:
        """flair's ``main_evaluation_metric``: drives its learning-rate annealing and is its test score.
        Accuracy is not addressable there; micro-F1 stands in (equal to accuracy for single-label tasks)."""
        name = self.record_name
        return (name[0], name[1]) if len(name) == 2 else ("micro avg", "f1-score")

    @property
    def test_label(self) -> str:
        """The name of the test score flair reports for this metric."""
        return "micro-F1" if self is EvaluationMetric.MICRO_ACCURACY else self.value


_RECORD_NAMES = {
    EvaluationMetric.MICRO_F1_SCORE: ("micro avg", "f1-score"),
    EvaluationMetric.MACRO_F1_SCORE: ("macro avg", "f1-score"),
    EvaluationMetric.MICRO_ACCURACY: ("accuracy",),
    # balanced accuracy: the mean of the per-class recalls
    EvaluationMetric.MACRO_ACCURACY: ("macro avg", "recall"),
}


class OptimizationValue(Enum):
    """Whether configurations are ranked by their dev score (maximised) or their dev loss (minimised)."""

    DEV_SCORE = "dev_score"
    DEV_LOSS = "dev_loss"
