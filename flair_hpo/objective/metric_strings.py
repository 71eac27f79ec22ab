"""Metric strings as fastText's autotune takes them: ``f1``, ``f1:LABEL``, ``precisionAtRecall:30[:LABEL]``, ...

Built-in metrics are read from flair's own evaluation. Label-specific and curve metrics are computed by a
:class:`CustomMetric` on the dev data after every epoch.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Optional, Protocol, Union

import numpy as np

from flair_hpo.errors import ConfigurationError
from flair_hpo.objective.metrics import EvaluationMetric

PREDICTION_LABEL = "flair_hpo_predicted"
FASTTEXT_PREFIX = "__label__"


class Predicting(Protocol):
    """What a metric string needs to know of the task it scores (a ``flair_hpo.tasks.ModelTask``)."""

    @property
    def name(self) -> str: ...

    @property
    def gives_probabilities(self) -> bool: ...


_BUILT_IN = {
    "f1": EvaluationMetric.MICRO_F1_SCORE,
    "micro-f1": EvaluationMetric.MICRO_F1_SCORE,
    "macro-f1": EvaluationMetric.MACRO_F1_SCORE,
    "accuracy": EvaluationMetric.MICRO_ACCURACY,
    "macro-accuracy": EvaluationMetric.MACRO_ACCURACY,
}
VALID = "f1 (micro, default), macro-f1, accuracy, macro-accuracy, f1:LABEL, precisionAtRecall:X[:LABEL], recallAtPrecision:X[:LABEL]"


@dataclass(frozen=True)
class CustomMetric:
    """A dev metric flair does not report: ``kind`` is f1, precisionAtRecall or recallAtPrecision."""

    kind: str
    label: Optional[str] = None
    threshold: Optional[float] = None  # a fraction, from the percentage given
    top_k: Optional[int] = None  # f1 of each sentence's top K labels (fastText's -autotune-predictions)

    @property
    def value(self) -> str:
        parts = [self.kind] + ([f"{100 * self.threshold:g}"] if self.threshold is not None else [])
        name = ":".join(parts + ([self.label] if self.label else []))
        return name + (f"@top{self.top_k}" if self.top_k is not None else "")

    test_label = value
    flair_main_metric = ("micro avg", "f1-score")  # drives flair's annealing; the selection score is this metric

    @property
    def needs_probabilities(self) -> bool:
        return self.kind != "f1" or self.top_k is not None

    def score(self, model: Any, sentences: list[Any], label_type: str, storage_mode: str = "none") -> float:
        """The metric of ``model`` on ``sentences``."""
        if not self.needs_probabilities:  # one label's F1, as flair's evaluation reports it per class
            result = model.evaluate(sentences, gold_label_type=label_type, embedding_storage_mode=storage_mode)
            return float(result.classification_report.get(self.label, {}).get("f1-score", 0.0))
        labels = model.label_dictionary.get_items()
        probabilities = self._probabilities(model, sentences, labels, storage_mode)
        gold = np.array(
            [
                [s.has_label(label_type) and label in {g.value for g in s.get_labels(label_type)} for label in labels]
                for s in sentences
            ]
        )
        columns = [labels.index(self.label)] if self.label else list(range(len(labels)))
        if self.kind == "f1":
            top = np.argsort(-probabilities, axis=1)[:, : self.top_k]
            predicted = np.zeros_like(gold)
            np.put_along_axis(predicted, top, True, axis=1)
            true_positives = (predicted & gold)[:, columns].sum()
            precision = true_positives / max(predicted[:, columns].sum(), 1)
            recall = true_positives / max(gold[:, columns].sum(), 1)
            return float(2 * precision * recall / (precision + recall)) if precision + recall else 0.0
        from sklearn.metrics import precision_recall_curve

        precision, recall, _ = precision_recall_curve(gold[:, columns].ravel(), probabilities[:, columns].ravel())
        if self.kind == "precisionAtRecall":
            return float(precision[recall >= self.threshold].max())
        reachable = recall[precision >= self.threshold]
        return float(reachable.max()) if reachable.size else 0.0

    @staticmethod
    def _probabilities(model: Any, sentences: list[Any], labels: list[str], storage_mode: str) -> np.ndarray:
        model.predict(
            sentences,
            label_name=PREDICTION_LABEL,
            return_probabilities_for_all_classes=True,
            embedding_storage_mode=storage_mode,
        )
        table = np.zeros((len(sentences), len(labels)))
        position = {label: i for i, label in enumerate(labels)}
        for row, sentence in enumerate(sentences):
            for label in sentence.get_labels(PREDICTION_LABEL):
                if label.value in position:
                    table[row, position[label.value]] = label.score
            sentence.remove_labels(PREDICTION_LABEL)
        return table


Metric = Union[EvaluationMetric, CustomMetric]


def parse_metric(text: str, task: Predicting, predictions: Optional[int] = None) -> Metric:
    """The metric a string names; a malformed string is an error naming what would be valid.
    ``predictions``: score f1 on each sentence's top K labels, as fastText does (None: flair's decisions)."""
    if predictions is not None and (not isinstance(predictions, int) or predictions < 1):
        raise ConfigurationError(f"--predictions must be a positive whole number, but got {predictions!r}.")
    lowered = text.strip().lower()
    if lowered in _BUILT_IN and predictions is None:
        return _BUILT_IN[lowered]
    if lowered in _BUILT_IN and lowered not in ("f1", "micro-f1"):
        raise ConfigurationError(
            f"--predictions applies to f1, f1:LABEL, precisionAtRecall and recallAtPrecision, not to {text!r}."
        )
    if lowered in ("f1", "micro-f1"):
        return _checked(CustomMetric("f1", top_k=predictions), task)  # predictions is set here
    match = re.fullmatch(r"f1:(.+)", text.strip())
    if match:
        return _checked(CustomMetric("f1", label=_label(match.group(1)), top_k=predictions), task)
    match = re.fullmatch(r"(precisionAtRecall|recallAtPrecision):([0-9]+(?:\.[0-9]+)?)(?::(.+))?", text.strip())
    if match:
        percent = float(match.group(2))
        if not 0 < percent <= 100:
            raise ConfigurationError(f"the percentage in {text!r} must lie in (0, 100], but got {percent:g}.")
        return _checked(
            CustomMetric(match.group(1), label=_label(match.group(3)), threshold=percent / 100, top_k=predictions), task
        )
    raise ConfigurationError(f"{text!r} is not a metric; valid: {VALID}.")


def _label(text: Optional[str]) -> Optional[str]:
    """A label as flair reads it: fastText's ``__label__`` prefix, which flair strips from the corpus, goes."""
    return text.removeprefix(FASTTEXT_PREFIX) if text is not None else None


def _checked(metric: CustomMetric, task: Predicting) -> CustomMetric:
    if metric.needs_probabilities and not task.gives_probabilities:
        raise ConfigurationError(f"{metric.value} needs label probabilities, which a {task.name} model does not give.")
    return metric


def check_metric_labels(metric: Metric, labels: list[str]) -> None:
    """A label named in the metric must be one the corpus has."""
    if isinstance(metric, CustomMetric) and metric.label is not None and metric.label not in labels:
        close = [f"{c!r}" for c in difflib.get_close_matches(metric.label, labels, n=3)]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigurationError(
            f"the metric names label {metric.label!r}, which the corpus does not have{hint}; its labels: {sorted(labels)}."
        )


def check_predictions(predictions: Optional[int], labels: list[str], multi_label: bool) -> None:
    """Scoring the top K labels makes sense only on multi-label data (one label each is predicted anyway), and
    only for K below the number of labels: with K at least that, every label is predicted for every sentence
    and every model scores the same."""
    if predictions is not None and not multi_label:
        raise ConfigurationError(
            f"--predictions {predictions} scores the top {predictions} labels of multi-label data, but this corpus "
            "has one label per sentence, which flair predicts anyway: leave --predictions out."
        )
    if predictions is not None and predictions >= len(labels):
        raise ConfigurationError(
            f"--predictions {predictions} would predict every one of the corpus's {len(labels)} labels for every "
            f"sentence, so every model would score the same; choose K from 1 to {len(labels) - 1}."
        )


def describe_metric(metric: Metric, multi_label: bool) -> str:
    """The selection metric in words, saying how predictions are made on multi-label data."""
    if isinstance(metric, CustomMetric) and metric.kind == "f1" and metric.top_k is not None:
        return (
            f"{metric.value}: F1 of each sentence's top {metric.top_k} predicted labels "
            f"(as fastText's autotune with -autotune-predictions {metric.top_k})"
        )
    name = metric.value
    if multi_label and metric in (EvaluationMetric.MICRO_F1_SCORE, EvaluationMetric.MACRO_F1_SCORE):
        return (
            f"{name}: a label is predicted where flair's probability for it passes 0.5 "
            "(--predictions K scores each sentence's top K labels instead, as fastText does)"
        )
    return name
