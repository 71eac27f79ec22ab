"""Bad input gets a clear error naming the value, before any training starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hyperopt import hp

from flair_hpo import (
    ConfigurationError,
    Orchestrator,
    Parameter,
    SearchSpace,
    SequenceTaggerParamSelector,
    TextClassifierParamSelector,
    load_best_model,
    parameters,
    search_spaces,
    search_strategies,
)
from flair_hpo.strategies import EvolutionarySearch, TPESearch


def classifier_space(glove, **budget) -> search_spaces.TextClassifierSearchSpace:
    space = search_spaces.TextClassifierSearchSpace()
    space.add_word_embeddings(parameters.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, low=0.01, high=0.2)
    space.add_max_epochs_per_training_run(1)
    for name, value in budget.items():
        space.add_budget(parameters.Budget[name], value)
    return space


def assert_nothing_trained(base_path: Path) -> None:
    assert not (base_path / "trials").exists()


@pytest.mark.parametrize(
    ("budget", "value", "message"),
    [
        (parameters.Budget.RUNS, 0, r"RUNS budget must be a positive whole number, but got 0"),
        (parameters.Budget.TIME_IN_H, -1, r"TIME_IN_H budget must be a positive number, but got -1"),
        (parameters.Budget.GENERATIONS, 1.5, r"GENERATIONS budget must be a positive whole number, but got 1.5"),
    ],
)
def test_budgets_of_zero_or_less_are_refused(budget, value, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        search_spaces.TextClassifierSearchSpace().add_budget(budget, value)


def test_whole_numbers_given_as_floats_or_numpy_integers_are_kept_as_ints() -> None:
    import numpy as np

    from flair_hpo import LocalExecutor
    from flair_hpo.strategies import EvolutionarySearch

    space = search_spaces.TextClassifierSearchSpace()
    space.add_max_epochs_per_training_run(2.0)
    space.add_training_runs(np.int64(3))
    space.add_budget(parameters.Budget.RUNS, 10.0)
    whole = [
        space.max_epochs,
        space.training_runs,
        space.to_settings().budgets.trials,
        LocalExecutor(threads_per_trial=2.0).threads_per_trial,
        EvolutionarySearch(population_size=4.0).population_size,
    ]
    assert whole == [2, 3, 10, 2, 4] and all(type(value) is int for value in whole)


def test_parameters_that_do_not_fit_the_task_are_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"SequenceTagger.USE_CRF does not fit a text_classification search"):
        search_spaces.TextClassifierSearchSpace().add_parameter(parameters.SequenceTagger.USE_CRF, options=[True])
    with pytest.raises(ConfigurationError, match=r"DocumentRNNEmbeddings.HIDDEN_SIZE does not fit a sequence_tagging"):
        search_spaces.SequenceTaggerSearchSpace().add_parameter(
            parameters.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[8]
        )
    with pytest.raises(ConfigurationError, match=r"'learning_rate' is not a parameter"):
        search_spaces.TextClassifierSearchSpace().add_parameter("learning_rate", options=[0.1])


def test_options_must_be_a_list_and_ranges_complete() -> None:
    space = search_spaces.TextClassifierSearchSpace()
    with pytest.raises(ConfigurationError, match=r"options must be a list, but got int \(32\)"):
        space.add_parameter(parameters.DocumentRNNEmbeddings.HIDDEN_SIZE, options=32)
    with pytest.raises(ConfigurationError, match=r"needs both low and high, but got \(low=0.1, high=None\)"):
        space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, low=0.1)
    with pytest.raises(ConfigurationError, match=r"`low <= high` must hold, but got \(low=0.5, high=0.1\)"):
        space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, low=0.5, high=0.1)
    with pytest.raises(
        ConfigurationError, match=r"optimizer must be a torch.optim class or one of .*'Adam'.*but got 'Adamm'"
    ):
        space.add_parameter(parameters.ModelTrainer.OPTIMIZER, options=["SGD", "Adamm"])
    for untrainable in ("LBFGS", "SparseAdam"):  # flair's trainer steps without a closure, with dense gradients
        with pytest.raises(ConfigurationError, match=rf"one of \[.*'SGD'.*\], but got '{untrainable}'"):
            space.add_parameter(parameters.ModelTrainer.OPTIMIZER, options=["SGD", untrainable])


def test_spaces_that_cannot_build_a_model_are_refused() -> None:
    space = search_spaces.TextClassifierSearchSpace()
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, options=[0.1])
    with pytest.raises(ConfigurationError, match="a text classifier needs document embeddings"):
        space.to_space()
    space.add_parameter(parameters.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[8])
    with pytest.raises(
        ConfigurationError,
        match="DocumentRNNEmbeddings parameters were given without DocumentRNNEmbeddings.WORD_EMBEDDINGS",
    ):
        space.to_space()
    tagger = search_spaces.SequenceTaggerSearchSpace()
    tagger.add_parameter(parameters.SequenceTagger.HIDDEN_SIZE, options=[8])
    with pytest.raises(ConfigurationError, match="but got neither"):
        tagger.to_space()
    with pytest.raises(ConfigurationError, match="search space is empty"):
        search_spaces.TextClassifierSearchSpace().to_space()


def test_classic_space_errors() -> None:
    space = SearchSpace()
    with pytest.raises(ConfigurationError, match=r"`low <= high` must hold, but got \(low=0.5, high=0.0\)"):
        space.add(Parameter.DROPOUT, hp.uniform, low=0.5, high=0.0)
    with pytest.raises(ConfigurationError, match=r"options must be a list, but got int"):
        space.add(Parameter.HIDDEN_SIZE, hp.choice, options=64)
    with pytest.raises(ConfigurationError, match="is not a Parameter"):
        space.add("hidden_size", hp.choice, options=[64])


def test_classic_parameter_that_does_not_fit_the_selector(trec, tmp_path: Path) -> None:
    space = SearchSpace()
    space.add(Parameter.USE_CRF, hp.choice, options=[True, False])
    selector = TextClassifierParamSelector(trec, "question_class", False, tmp_path / "out", max_epochs=1)
    with pytest.raises(ConfigurationError, match="Parameter.USE_CRF does not fit TextClassifierParamSelector"):
        selector.optimize(space, max_evals=1)
    with pytest.raises(ConfigurationError, match="search space is empty"):
        selector.optimize(SearchSpace(), max_evals=1)
    with pytest.raises(ConfigurationError, match="max_evals must be a positive whole number, but got 0"):
        selector.optimize(space, max_evals=0)
    assert_nothing_trained(tmp_path / "out")


def test_missing_label_type_names_what_the_corpus_has(wnut, glove, tmp_path: Path) -> None:
    space = SearchSpace()
    space.add(Parameter.EMBEDDINGS, hp.choice, options=[glove])
    selector = SequenceTaggerParamSelector(wnut, "pos", tmp_path / "out", max_epochs=1)
    with pytest.raises(
        ConfigurationError, match=r"label type 'pos' is not in the corpus; its training sentences carry \{'ner': \d+\}"
    ):
        selector.optimize(space, max_evals=1)
    assert_nothing_trained(tmp_path / "out")


def test_unwritable_base_path(trec, glove, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    orchestrator = Orchestrator(
        trec, blocker / "results", classifier_space(glove, RUNS=1), search_strategies.RandomSearch(seed=0)
    )
    with pytest.raises(ConfigurationError, match=r"base_path '.*a-file/results' cannot be written"):
        orchestrator.optimize()


def test_generations_budget_needs_a_generational_strategy(trec, glove, tmp_path: Path) -> None:
    orchestrator = Orchestrator(
        trec, tmp_path, classifier_space(glove, GENERATIONS=2), search_strategies.TPESearch(seed=0)
    )
    with pytest.raises(ConfigurationError, match="GENERATIONS budget needs a generational strategy .*not TPESearch"):
        orchestrator.optimize()
    assert_nothing_trained(tmp_path)


def test_a_continuous_space_needs_a_budget(trec, glove, tmp_path: Path) -> None:
    orchestrator = Orchestrator(trec, tmp_path, classifier_space(glove), search_strategies.RandomSearch(seed=0))
    with pytest.raises(ConfigurationError, match="has no budget and a continuous space"):
        orchestrator.optimize()
    with pytest.raises(
        ConfigurationError, match="GridSearch needs options for every parameter, but \\['learning_rate'\\]"
    ):
        Orchestrator(trec, tmp_path, classifier_space(glove, RUNS=2), search_strategies.GridSearch()).optimize()
    assert_nothing_trained(tmp_path)


def test_durations(tmp_path: Path) -> None:
    from flair_hpo.search.settings import parse_duration

    assert parse_duration("90s") == 90 and parse_duration("30m") == 1800 and parse_duration("2h") == 7200
    assert parse_duration("2H") == 7200 and parse_duration("5 Min") == 300  # units in any case
    with pytest.raises(ConfigurationError, match=r"must be a positive duration, but got '-2m'"):
        parse_duration("-2m")  # not "must look like '90s'": the form is right, the sign is not
    with pytest.raises(ConfigurationError, match="must look like '90s', '30m' or '2h', but got 'soon'"):
        parse_duration("soon")
    with pytest.raises(ConfigurationError, match="time budget must be a positive number, but got 0"):
        TextClassifierParamSelector(None, "x", False, tmp_path, time_limit=0)


def test_asking_for_ray_without_it_says_what_to_install(monkeypatch) -> None:
    import sys

    from flair_hpo.executors import RayExecutor

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(ImportError, match=r"ray is needed for this feature: pip install 'flair-hpo\[ray\]'"):
        RayExecutor()


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("learning_rate", r"'learning_rate' is not a parameter of text_classification; did you mean ModelTrainer.LEARNING_RATE\?"),
        ("ModelTrainer.LEARNING_RAT", r"did you mean ModelTrainer.LEARNING_RATE"),
        ("SequenceTagger.USE_CRF", r"it is a parameter of sequence_tagging searches \(--task tagging\)"),
        ("Nothing.LIKE_IT", r"names are GROUP.NAME with GROUP one of ModelTrainer, DocumentRNNEmbeddings"),
    ],
)  # fmt: skip
def test_a_space_file_names_what_a_wrong_parameter_name_may_have_meant(name, hint, tmp_path) -> None:
    from flair_hpo.frontends.space_files import load_space_file
    from flair_hpo.tasks import TEXT_CLASSIFICATION

    path = tmp_path / "space.yaml"
    path.write_text(f"parameters:\n  {name}: [0.1, 0.2]\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=hint):
        load_space_file(path, TEXT_CLASSIFICATION)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: search_spaces.TextClassifierSearchSpace().add_parameter(parameters.ModelTrainer.LEARNING_RATE, lo=0.1, high=0.2), r"add_parameter\(learning_rate\) got \['lo'\], which it does not take"),
        (lambda: search_spaces.TextClassifierSearchSpace(multi_label="no"), r"multi_label must be True or False, but got 'no'"),
        (lambda: TPESearch(gamma=5), r"gamma is the share of trials TPE counts as good, strictly between 0 and 1, but got 5"),
        (lambda: EvolutionarySearch(population_size=1), r"elitism=2 with population_size=1: .*give a larger population_size or a smaller elitism"),
        (lambda: load_best_model("/nonexistent/search"), r"/nonexistent/search does not exist: give the base_path \(--output\) of a search"),
        (lambda: load_best_model(Path(__file__).parent), r"tests is not a search's folder \(it holds no journal.sqlite nor best_parameters.json\).*final-model.pt"),
    ],
)  # fmt: skip
def test_small_mistakes_are_named_where_they_are_made(make, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make()


def test_metric_strings_work_in_the_python_apis_and_a_label_they_name_must_be_the_corpus_s(
    trec, glove, tmp_path
) -> None:
    from flair_hpo.objective import EvaluationMetric

    selector = TextClassifierParamSelector(
        trec, "question_class", False, tmp_path / "classic", evaluation_metric="macro-f1"
    )
    assert selector._task_space().metric is EvaluationMetric.MACRO_F1_SCORE
    space = classifier_space(glove, RUNS=1)
    space.add_evaluation_metric("f1:NOPE")
    with pytest.raises(ConfigurationError, match=r"the metric names label 'NOPE', which the corpus does not have"):
        Orchestrator(trec, tmp_path / "orchestrator", space, search_strategies.RandomSearch(seed=0)).optimize()
    assert not (tmp_path / "orchestrator").exists()


def test_a_model_just_over_the_size_limit_is_told_in_bytes_not_in_rounded_equal_sizes() -> None:
    import torch

    from flair_hpo.training.model_size import ModelTooLarge, check_model_size, saved_size

    class Weights:
        def _get_state_dict(self) -> dict:
            return {"weight": torch.zeros(1000)}

    size = saved_size(Weights())  # type: ignore[arg-type]
    with pytest.raises(ModelTooLarge, match=rf"would take {size:,} bytes, more than the limit of {size - 1:,}$"):
        check_model_size(Weights(), size - 1)  # type: ignore[arg-type]
    with pytest.raises(ModelTooLarge, match=r"would take \d\.\dK, more than the limit of 1.0K$"):
        check_model_size(Weights(), 1000)  # type: ignore[arg-type]
    check_model_size(Weights(), size)  # type: ignore[arg-type]
