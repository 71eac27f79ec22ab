"""The classic selectors translate only the space they are given, however often ``optimize`` is called."""

from __future__ import annotations

import pytest
from hyperopt import hp

from flair_hpo.frontends import param_selection
from flair_hpo.param_selection import Parameter, SearchSpace, SequenceTaggerParamSelector, TextClassifierParamSelector
from flair_hpo.testing.fake_executor import toy_corpus


class RecordingOrchestrator:
    """Stands in for the orchestrator: records the space each search would run."""

    spaces: list[dict[str, str]] = []

    def __init__(self, corpus, base_path, search_space, strategy, **kwargs) -> None:
        self.spaces.append(search_space.to_space().describe())

    def optimize(self) -> None:
        return None


def test_a_second_optimize_with_another_space_searches_only_that_space(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(param_selection, "Orchestrator", RecordingOrchestrator)
    RecordingOrchestrator.spaces = []
    first, second = SearchSpace(), SearchSpace()
    first.add(Parameter.HIDDEN_SIZE, hp.choice, options=[32, 64])
    first.add(Parameter.EMBEDDINGS, hp.choice, options=["glove"])
    second.add(Parameter.DROPOUT, hp.uniform, low=0.0, high=0.5)
    second.add(Parameter.EMBEDDINGS, hp.choice, options=["glove"])
    selector = SequenceTaggerParamSelector(toy_corpus(), "class", tmp_path, max_epochs=1)
    selector.optimize(first, max_evals=2)
    selector.optimize(second, max_evals=2)
    assert set(RecordingOrchestrator.spaces[0]) == {"embeddings", "hidden_size"}
    assert set(RecordingOrchestrator.spaces[1]) == {"embeddings", "dropout"}


def test_the_classifier_selector_keeps_its_fine_tune_setting_per_search(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(param_selection, "Orchestrator", RecordingOrchestrator)
    RecordingOrchestrator.spaces = []
    transformer, rnn = SearchSpace(), SearchSpace()
    transformer.add(Parameter.TRANSFORMER_MODEL, hp.choice, options=["a-model"])
    rnn.add(Parameter.EMBEDDINGS, hp.choice, options=["glove"])
    selector = TextClassifierParamSelector(toy_corpus(), "class", False, tmp_path, fine_tune=False, max_epochs=1)
    selector.optimize(transformer, max_evals=1)
    selector.optimize(rnn, max_evals=1)
    assert RecordingOrchestrator.spaces[0]["TransformerDocumentEmbeddings.fine_tune"] == "fixed False"
    assert set(RecordingOrchestrator.spaces[1]) == {"DocumentRNNEmbeddings.embeddings", "document_embeddings"}


@pytest.mark.parametrize(
    ("fine_tune", "given", "recipe"),
    [
        (True, [], "fixed fine_tune"),
        (False, [], None),
        (True, [(Parameter.RECIPE, ["train"])], "choice(train)"),
        (True, [(Parameter.LEARNING_RATE, [2e-5, 5e-5])], "fixed fine_tune"),
        (True, [(Parameter.LEARNING_RATE, [0.05, 0.1, 0.15, 0.2])], None),  # flair's tutorial: SGD, as flair trained
    ],
)
def test_the_classic_selectors_fine_tune_means_the_fine_tuning_recipe(
    monkeypatch, tmp_path, fine_tune, given, recipe
) -> None:
    monkeypatch.setattr(param_selection, "Orchestrator", RecordingOrchestrator)
    RecordingOrchestrator.spaces = []
    space = SearchSpace()
    space.add(Parameter.TRANSFORMER_MODEL, hp.choice, options=["a-model"])
    for parameter, options in given:
        space.add(parameter, hp.choice, options=options)
    selector = TextClassifierParamSelector(toy_corpus(), "class", False, tmp_path, fine_tune=fine_tune, max_epochs=1)
    selector.optimize(space, max_evals=1)
    assert RecordingOrchestrator.spaces[0].get("recipe") == recipe
    assert RecordingOrchestrator.spaces[0]["TransformerDocumentEmbeddings.fine_tune"] == f"fixed {fine_tune}"


def test_the_selectors_take_flairs_arguments_in_flairs_order(tmp_path) -> None:
    """Positional arguments mean what they mean in flair: a fifth one of the classifier selector is max_epochs."""
    from flair_hpo.param_selection import EvaluationMetric, OptimizationValue

    tagger = SequenceTaggerParamSelector(
        toy_corpus(), "class", tmp_path, 5, EvaluationMetric.MACRO_F1_SCORE, 2, OptimizationValue.DEV_SCORE
    )
    assert (tagger.max_epochs, tagger.evaluation_metric, tagger.training_runs, tagger.optimization_value) == (
        5, EvaluationMetric.MACRO_F1_SCORE, 2, OptimizationValue.DEV_SCORE,
    )  # fmt: skip
    classifier = TextClassifierParamSelector(
        toy_corpus(),
        "class",
        False,
        tmp_path,
        5,
        False,
        EvaluationMetric.MACRO_F1_SCORE,
        2,
        OptimizationValue.DEV_SCORE,
    )
    assert (classifier.max_epochs, classifier.fine_tune, classifier.training_runs) == (5, False, 2)
    assert classifier.optimization_value is OptimizationValue.DEV_SCORE
    with pytest.raises(TypeError):  # flair-hpo's own arguments are given by name
        TextClassifierParamSelector(toy_corpus(), "class", False, tmp_path, 5, False, "micro-f1", 1, "dev_score", None)
