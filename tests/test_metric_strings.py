"""fastText-style metric strings, and the metrics flair does not report, on closed-form predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve

from flair_hpo.errors import ConfigurationError
from flair_hpo.objective import EvaluationMetric
from flair_hpo.objective.metric_strings import PREDICTION_LABEL, CustomMetric, check_metric_labels, parse_metric
from flair_hpo.tasks import SEQUENCE_TAGGING, TEXT_CLASSIFICATION, ModelTask

LABELS = ["a", "b", "c"]


class Label:
    def __init__(self, value: str, score: float = 1.0) -> None:
        self.value, self.score = value, score


class FakeSentence:
    def __init__(self, gold: list[str]) -> None:
        self.labels = {"class": [Label(g) for g in gold]}

    def has_label(self, name: str) -> bool:
        return bool(self.labels.get(name))

    def get_labels(self, name: str) -> list[Label]:
        return self.labels.get(name, [])

    def remove_labels(self, name: str) -> None:
        self.labels.pop(name, None)


class FakeClassifier:
    """Predicts fixed probabilities for all classes, as flair's TextClassifier.predict would."""

    def __init__(self, probabilities: np.ndarray) -> None:
        self.probabilities = probabilities
        self.label_dictionary = type("Dictionary", (), {"get_items": staticmethod(lambda: list(LABELS))})()

    def predict(self, sentences, label_name, return_probabilities_for_all_classes, embedding_storage_mode) -> None:
        assert return_probabilities_for_all_classes
        for sentence, row in zip(sentences, self.probabilities):
            sentence.labels[label_name] = [Label(label, p) for label, p in zip(LABELS, row)]


RNG = np.random.default_rng(0)
GOLD = [["a"], ["b"], ["a", "c"], ["c"], ["b"], ["a"], ["c", "b"], ["a"]] * 5
PROBABILITIES = RNG.random((len(GOLD), 3))
GOLD_MATRIX = np.array([[label in gold for label in LABELS] for gold in GOLD])


def score(metric: CustomMetric) -> float:
    sentences = [FakeSentence(gold) for gold in GOLD]
    value = metric.score(FakeClassifier(PROBABILITIES), sentences, "class")
    assert all(not s.has_label(PREDICTION_LABEL) for s in sentences)  # predictions are removed again
    return value


def test_precision_at_recall_matches_the_precision_recall_curve() -> None:
    precision, recall, _ = precision_recall_curve(GOLD_MATRIX[:, 1], PROBABILITIES[:, 1])
    assert score(CustomMetric("precisionAtRecall", label="b", threshold=0.5)) == pytest.approx(
        precision[recall >= 0.5].max()
    )
    everything = precision_recall_curve(GOLD_MATRIX.ravel(), PROBABILITIES.ravel())
    assert score(CustomMetric("precisionAtRecall", threshold=0.3)) == pytest.approx(
        everything[0][everything[1] >= 0.3].max()
    )


def test_recall_at_precision_matches_the_precision_recall_curve() -> None:
    precision, recall, _ = precision_recall_curve(GOLD_MATRIX[:, 0], PROBABILITIES[:, 0])
    expected = recall[precision >= 0.6].max()
    assert score(CustomMetric("recallAtPrecision", label="a", threshold=0.6)) == pytest.approx(expected)


def test_top_k_f1_counts_the_k_most_probable_labels() -> None:
    top2 = np.argsort(-PROBABILITIES, axis=1)[:, :2]
    predicted = np.zeros_like(GOLD_MATRIX)
    np.put_along_axis(predicted, top2, True, axis=1)
    tp = (predicted & GOLD_MATRIX).sum()
    precision, recall = tp / predicted.sum(), tp / GOLD_MATRIX.sum()
    assert score(CustomMetric("f1", top_k=2)) == pytest.approx(2 * precision * recall / (precision + recall))
    tp_c = (predicted & GOLD_MATRIX)[:, 2].sum()
    p_c, r_c = tp_c / predicted[:, 2].sum(), tp_c / GOLD_MATRIX[:, 2].sum()
    assert score(CustomMetric("f1", label="c", top_k=2)) == pytest.approx(2 * p_c * r_c / (p_c + r_c))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f1", EvaluationMetric.MICRO_F1_SCORE),
        ("macro-f1", EvaluationMetric.MACRO_F1_SCORE),
        ("accuracy", EvaluationMetric.MICRO_ACCURACY),
        ("f1:__label__baking", CustomMetric("f1", label="baking")),  # fastText's syntax; flair strips the prefix
        ("precisionAtRecall:30:__label__baking", CustomMetric("precisionAtRecall", label="baking", threshold=0.3)),
        ("precisionAtRecall:30", CustomMetric("precisionAtRecall", threshold=0.3)),
        ("recallAtPrecision:45.5:HUM", CustomMetric("recallAtPrecision", label="HUM", threshold=0.455)),
    ],
)
def test_metric_strings_parse(text: str, expected) -> None:
    assert parse_metric(text, TEXT_CLASSIFICATION) == expected


def test_predictions_make_a_top_k_metric() -> None:
    assert parse_metric("f1", TEXT_CLASSIFICATION, predictions=3) == CustomMetric("f1", top_k=3)
    assert parse_metric("f1", TEXT_CLASSIFICATION, predictions=3).value == "f1@top3"


@pytest.mark.parametrize(
    ("text", "task", "message"),
    [
        ("f2", TEXT_CLASSIFICATION, r"'f2' is not a metric; valid: f1 \(micro, default\)"),
        ("precisionAtRecall:abc", TEXT_CLASSIFICATION, "is not a metric"),
        ("precisionAtRecall:150", TEXT_CLASSIFICATION, r"must lie in \(0, 100\], but got 150"),
        (
            "precisionAtRecall:30",
            SEQUENCE_TAGGING,
            "needs label probabilities, which a sequence_tagging model does not give",
        ),
    ],
)
def test_malformed_metric_strings_are_named(text: str, task: ModelTask, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_metric(text, task)


def test_unknown_labels_are_named_with_suggestions() -> None:
    with pytest.raises(
        ConfigurationError, match=r"label 'HUMM', which the corpus does not have \(did you mean 'HUM'\?\)"
    ):
        check_metric_labels(CustomMetric("f1", label="HUMM"), ["HUM", "LOC"])
    with pytest.raises(ConfigurationError, match="--predictions must be a positive whole number, but got 0"):
        parse_metric("f1", TEXT_CLASSIFICATION, predictions=0)


def test_the_corpus_summary_names_the_metric_the_search_selects_by() -> None:
    from flair_hpo.objective.metric_strings import describe_metric

    assert describe_metric(parse_metric("accuracy", TEXT_CLASSIFICATION), False) == "accuracy"  # not micro-F1
    assert describe_metric(parse_metric("macro-f1", TEXT_CLASSIFICATION), False) == "macro-F1"
