"""The whole path with real flair training on real data: TREC-6 and WNUT-17 slices, GloVe and MiniLM."""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import statistics
import time
from pathlib import Path

import pytest
from flair.trainers.plugins import TrainerPlugin
from hyperopt import hp

from flair_hpo import (
    BestConfiguration,
    EvaluationMetric,
    JournalMismatchError,
    OptimizationValue,
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
from flair_hpo.storage import JOURNAL_NAME, Journal, State
from flair_hpo.training.runner import TrialRunner

pytestmark = pytest.mark.training

STRATEGIES = {
    "grid": lambda: search_strategies.GridSearch(),
    "random": lambda: search_strategies.RandomSearch(seed=1),
    "evolutionary": lambda: search_strategies.EvolutionarySearch(population_size=2, elitism=1, seed=1),
    "tpe": lambda: search_strategies.TPESearch(n_startup_trials=2, seed=1),
}


def switching_space(glove, runs: int = 3) -> search_spaces.TextClassifierSearchSpace:
    """RNN or pooled document embeddings over GloVe, and two learning rates."""
    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameters.Budget.RUNS, runs)
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, options=[0.1, 0.2])
    space.add_word_embeddings(parameters.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[16, 32])
    space.add_word_embeddings(parameters.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.DocumentPoolEmbeddings.POOLING, options=["mean", "max"])
    return space


def read_table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.parametrize("name", STRATEGIES)
def test_orchestrator_api_with_every_strategy(name: str, trec, glove, tmp_path: Path) -> None:
    strategy = STRATEGIES[name]()
    space = switching_space(glove)
    strategy.make_configurations(space)
    result = Orchestrator(trec, tmp_path, space, strategy).optimize()

    assert [t.state for t in result.trials] == [State.COMPLETED] * 3
    assert result.best is not None and result.best.score == max(t.score for t in result.trials)
    assert result.best_parameters["learning_rate"] in (0.1, 0.2)
    kind = result.best_parameters["document_embeddings"]
    assert result.best_parameters[f"{kind}.embeddings"] == [glove]  # values, not indices
    for name_ in (
        "param_selection.txt",
        "trials.tsv",
        "best_parameters.json",
        "best-model.pt",
        "search.log",
        JOURNAL_NAME,
    ):
        assert (tmp_path / name_).is_file(), name_
    assert len(read_table(tmp_path / "trials.tsv")) == 3
    assert sorted(p.name for p in (tmp_path / "trials").iterdir()) == ["0000", "0001", "0002"]

    from flair.data import Sentence
    from flair.models import TextClassifier

    model = TextClassifier.load(tmp_path / "best-model.pt")
    sentence = Sentence("What is the capital of France ?")
    model.predict(sentence)
    assert sentence.get_label("question_class").value in model.label_dictionary.get_items()
    assert all(not s.embedding.numel() and not s[0].embedding.numel() for s in trec.get_all_sentences())


@pytest.mark.parametrize("name", STRATEGIES)
def test_classic_text_classifier_selector_with_every_strategy(name: str, trec, glove, tmp_path: Path) -> None:
    search_space = SearchSpace()
    search_space.add(Parameter.EMBEDDINGS, hp.choice, options=[[glove]])
    search_space.add(Parameter.HIDDEN_SIZE, hp.choice, options=[16, 32])
    search_space.add(Parameter.DROPOUT, hp.quniform, low=0.0, high=0.5, q=0.25)
    selector = TextClassifierParamSelector(
        trec, "question_class", False, tmp_path, max_epochs=1, search_strategy=STRATEGIES[name](),
        optimization_value=OptimizationValue.DEV_SCORE,
    )  # fmt: skip
    result = selector.optimize(search_space, max_evals=2)

    assert len(result.trials) == 2 and all(t.state is State.COMPLETED for t in result.trials)
    text = (tmp_path / "param_selection.txt").read_text()
    hidden_sizes = {t.parameters["DocumentRNNEmbeddings.hidden_size"] for t in result.trials}
    assert hidden_sizes <= {"16", "32"}  # values, never hp.choice indices 0 and 1
    for size in hidden_sizes:
        assert f"DocumentRNNEmbeddings.hidden_size: {size}\n" in text
    assert "dev micro-F1 (higher is better)" in text
    assert "test micro-F1 (information only, not used for selection)" in text
    best_block = text[text.index("best parameter combination: trial") :]
    assert (
        f"DocumentRNNEmbeddings.hidden_size: {result.best.parameters['DocumentRNNEmbeddings.hidden_size']}\n"
        in best_block
    )
    assert result.best_parameters["DocumentRNNEmbeddings.hidden_size"] in (16, 32)


def test_sequence_tagger_on_wnut_with_glove_scores_runs_by_their_last_three_dev_scores(
    wnut, glove, tmp_path: Path
) -> None:
    search_space = SearchSpace()
    search_space.add(Parameter.EMBEDDINGS, hp.choice, options=[glove])
    search_space.add(Parameter.HIDDEN_SIZE, hp.choice, options=[16, 32])
    search_space.add(Parameter.USE_CRF, hp.choice, options=[True, False])
    search_space.add(Parameter.DROPOUT, hp.uniform, low=0.0, high=0.3)
    search_space.add(Parameter.LEARNING_RATE, hp.choice, options=[0.1, 0.2])
    selector = SequenceTaggerParamSelector(
        wnut, "ner", tmp_path, training_runs=2, max_epochs=4, optimization_value=OptimizationValue.DEV_SCORE,
        search_strategy=search_strategies.RandomSearch(seed=4),
    )  # fmt: skip
    result = selector.optimize(search_space, max_evals=2)

    for trial in result.trials:
        assert trial.state is State.COMPLETED and len(trial.runs) == 2
        run_scores = []
        for run in trial.runs:
            assert len(run.dev_scores) == 4
            assert run.score == pytest.approx(statistics.fmean(run.dev_scores[-3:]))
            logged = read_table(tmp_path / "trials" / f"{trial.number:04d}" / f"run-{run.run + 1}" / "loss.tsv")
            assert [float(row["DEV_F1"]) for row in logged] == pytest.approx(run.dev_scores, abs=1e-4)
            run_scores.append(run.score)
        assert trial.score == pytest.approx(statistics.fmean(run_scores))
        assert trial.score_std == pytest.approx(statistics.stdev(run_scores))
        assert trial.parameters["embeddings"].startswith("WordEmbeddings(glove.6B.50d.top10k.txt")
    from flair.models import SequenceTagger

    assert isinstance(SequenceTagger.load(tmp_path / "best-model.pt"), SequenceTagger)


def test_text_classifier_on_frozen_minilm(trec, minilm: str, tmp_path: Path) -> None:
    search_space = SearchSpace()
    search_space.add(Parameter.TRANSFORMER_MODEL, hp.choice, options=[minilm])
    search_space.add(Parameter.LEARNING_RATE, hp.choice, options=[0.1, 0.5])
    search_space.add(Parameter.MINI_BATCH_SIZE, hp.choice, options=[16])
    selector = TextClassifierParamSelector(
        trec, "question_class", False, tmp_path, max_epochs=1, fine_tune=False, training_runs=1,
        search_strategy=search_strategies.GridSearch(),
    )  # fmt: skip
    result = selector.optimize(search_space, max_evals=2)
    assert [t.state for t in result.trials] == [State.COMPLETED, State.COMPLETED]
    assert result.best_parameters["TransformerDocumentEmbeddings.model"] == minilm
    assert result.best_parameters["TransformerDocumentEmbeddings.fine_tune"] is False
    assert "dev loss (lower is better)" in (tmp_path / "param_selection.txt").read_text()
    assert result.best.objective == -result.best.score == max(-t.score for t in result.trials)


def test_a_time_budget_stops_the_running_trial_whose_reached_weights_are_kept(trec, glove, tmp_path: Path) -> None:
    space = switching_space(glove, runs=100)
    space.add_budget(parameters.Budget.TIME_IN_S, 3)
    space.add_max_epochs_per_training_run(10_000)
    space.add_parameter(parameters.ModelTrainer.PATIENCE, options=[10_000])  # annealing never ends it early
    result = Orchestrator(trec, tmp_path, space, search_strategies.RandomSearch(seed=0)).optimize()
    [trial] = result.trials
    assert trial.state is State.STOPPED and 0 < trial.runs[0].epochs < 10_000
    assert result.best is trial and result.best.score is not None  # no trial completed: the best the budget allowed
    text = (tmp_path / "param_selection.txt").read_text()
    assert "stopped: the time budget ran out while it trained; selected only if no trial completed" in text
    assert f"no trial completed: this one was stopped by the time budget after {trial.epochs} epoch(s)" in text
    assert type(load_best_model(tmp_path)).__name__ == "TextClassifier"


def test_failed_trials_are_recorded_and_the_search_goes_on(trec, glove, tmp_path: Path) -> None:
    space = search_spaces.TextClassifierSearchSpace()
    space.add_max_epochs_per_training_run(2)
    space.add_word_embeddings(parameters.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.DocumentRNNEmbeddings.RNN_LAYERS, options=[1, 0])
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, options=[0.1, float("nan")])
    result = Orchestrator(trec, tmp_path, space, search_strategies.GridSearch()).optimize()

    states = {
        (t.parameters["DocumentRNNEmbeddings.rnn_layers"], t.parameters["learning_rate"]): t for t in result.trials
    }
    assert states[("1", "0.1")].state is State.COMPLETED
    assert (
        states[("1", "nan")].state is State.FAILED
        and "NonFiniteLoss: train loss became nan" in states[("1", "nan")].error
    )
    for learning_rate in ("0.1", "nan"):
        assert states[("0", learning_rate)].state is State.FAILED
        assert "ValueError: num_layers must be greater than zero" in states[("0", learning_rate)].error
    failed = states[("0", "0.1")]
    error_file = tmp_path / "trials" / f"{failed.number:04d}" / "run-1" / "error.txt"
    assert "Traceback (most recent call last)" in error_file.read_text() and "num_layers" in error_file.read_text()
    journalled = Journal(tmp_path / JOURNAL_NAME, read_only=True).trial(failed.number)
    assert journalled.error.startswith("run 1: ValueError: num_layers") and "Traceback" in journalled.error
    assert failed.error_summary == "run 1: ValueError: num_layers must be greater than zero"
    assert result.best.number == states[("1", "0.1")].number
    assert [row["state"] for row in read_table(tmp_path / "trials.tsv")].count("failed") == 3


def test_many_trials_on_one_corpus_object_with_changing_embeddings(trec, glove, glove_50k, tmp_path: Path) -> None:
    """Plain flair crashes here on the second training (``shape '[32, 23, 100]' is invalid``)."""
    space = search_spaces.TextClassifierSearchSpace()
    space.add_max_epochs_per_training_run(1)
    space.add_word_embeddings(parameters.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[glove], [glove_50k, glove]])
    space.add_parameter(parameters.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[16, 32])
    result = Orchestrator(trec, tmp_path, space, search_strategies.GridSearch()).optimize()
    assert [t.state for t in result.trials] == [State.COMPLETED] * 4, [t.error for t in result.trials]


def tpe_space(glove, runs: int) -> search_spaces.TextClassifierSearchSpace:
    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameters.Budget.RUNS, runs)
    space.add_max_epochs_per_training_run(1)
    space.add_word_embeddings(parameters.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, low=0.01, high=1.0, log=True)
    space.add_parameter(parameters.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32])
    return space


class CtrlCAfterTheFirstEpoch(TrainerPlugin):
    @TrainerPlugin.hook
    def after_training_epoch(self, **kw) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # its KeyboardInterrupt is raised here, inside flair's training loop


def test_a_ctrl_c_that_flairs_trainer_caught_still_stops_the_search(trec, glove, tmp_path: Path, monkeypatch) -> None:
    original = TrialRunner.fit
    monkeypatch.setattr(
        TrialRunner, "fit", lambda self, model, config, folder, plugins=(), **options: original(
            self, model, config, folder, [*plugins, CtrlCAfterTheFirstEpoch()], **options
        ),
    )  # fmt: skip
    space = tpe_space(glove, 3)
    space.add_max_epochs_per_training_run(3)
    with pytest.raises(KeyboardInterrupt):
        Orchestrator(trec, tmp_path, space, search_strategies.TPESearch(n_startup_trials=2, seed=9)).optimize()
    log = (tmp_path / "trials" / "0000" / "run-1" / "training.log").read_text()
    assert "Exiting from training early" in log and "EPOCH 2" not in log  # flair caught it and returned
    journal = Journal(tmp_path / JOURNAL_NAME, read_only=True)
    assert [t.state for t in journal.trials()] == [State.RUNNING]  # not taken for a finished trial
    journal.close()


def test_an_interrupted_search_resumes_exactly_where_it_stopped(trec, glove, tmp_path: Path, monkeypatch) -> None:
    uninterrupted = Orchestrator(
        trec, tmp_path / "a", tpe_space(glove, 5), search_strategies.TPESearch(n_startup_trials=2, seed=9)
    ).optimize()

    calls: list[int] = []
    original = TrialRunner.run

    def interrupt_third_trial(self, config, run, folder, seed, deadline=None, **options):
        calls.append(int(folder.parent.name))
        if int(folder.parent.name) == 2:
            raise KeyboardInterrupt
        return original(self, config, run, folder, seed, deadline, **options)

    monkeypatch.setattr(TrialRunner, "run", interrupt_third_trial)
    with pytest.raises(KeyboardInterrupt):
        Orchestrator(
            trec, tmp_path / "b", tpe_space(glove, 5), search_strategies.TPESearch(n_startup_trials=2, seed=9)
        ).optimize()
    journal = Journal(tmp_path / "b" / JOURNAL_NAME)
    assert [t.state for t in journal.trials()] == [State.COMPLETED, State.COMPLETED, State.RUNNING]
    journal.close()
    assert (tmp_path / "b" / "param_selection.txt").read_text().count("\ntrial ") == 2  # finished work is written out

    calls.clear()
    monkeypatch.setattr(
        TrialRunner, "run", lambda self, *a, **k: calls.append(int(a[2].parent.name)) or original(self, *a, **k)
    )
    resumed = Orchestrator(
        trec, tmp_path / "b", tpe_space(glove, 5), search_strategies.TPESearch(n_startup_trials=2, seed=9)
    ).optimize()
    assert calls == [2, 3, 4]  # finished trials are not rerun
    assert [t.point for t in resumed.trials] == [t.point for t in uninterrupted.trials]
    assert [t.score for t in resumed.trials] == pytest.approx([t.score for t in uninterrupted.trials])
    assert resumed.best.number == uninterrupted.best.number

    with pytest.raises(JournalMismatchError, match="whose space, strategy_settings differ.* n_startup_trials is 2"):
        Orchestrator(trec, tmp_path / "b", switching_space(glove), search_strategies.TPESearch(seed=9)).optimize()
    with pytest.raises(JournalMismatchError, match="seed 9, not 10"):
        Orchestrator(
            trec, tmp_path / "b", tpe_space(glove, 6), search_strategies.TPESearch(n_startup_trials=2, seed=10)
        ).optimize()


def test_best_parameters_json_rebuilds_and_retrains_the_model(trec, glove, tmp_path: Path) -> None:
    space = tpe_space(glove, 2)
    space.add_evaluation_metric(EvaluationMetric.MACRO_F1_SCORE)
    result = Orchestrator(trec, tmp_path / "search", space, search_strategies.RandomSearch(seed=2)).optimize()
    document = json.loads((tmp_path / "search" / "best_parameters.json").read_text())
    assert document["objective"] == "dev macro-F1 (higher is better)"
    assert document["parameters"]["mini_batch_size"] == result.best_parameters["mini_batch_size"]

    best = BestConfiguration.load(tmp_path / "search" / "best_parameters.json")
    assert best.parameters["learning_rate"] == pytest.approx(result.best_parameters["learning_rate"])
    assert best.parameters["DocumentPoolEmbeddings.embeddings"][0].embeddings == glove.embeddings
    model = best.train(trec, tmp_path / "retrained", max_epochs=1)
    assert type(model).__name__ == "TextClassifier" and (tmp_path / "retrained" / "final-model.pt").is_file()


def test_a_corpus_without_dev_data_gets_a_dev_split(trec, glove, tmp_path: Path, caplog) -> None:
    from flair.data import Corpus

    corpus = Corpus(train=trec.train, dev=None, test=trec.test, sample_missing_splits=False)
    train_size = len(corpus.train)
    with caplog.at_level(logging.WARNING, logger="flair_hpo"):
        result = Orchestrator(corpus, tmp_path, tpe_space(glove, 1), search_strategies.RandomSearch(seed=0)).optimize()
    assert len(corpus.dev) == round(train_size / 10) and len(corpus.train) == train_size - len(corpus.dev)
    assert "the corpus has no dev data" in caplog.text
    assert result.trials[0].state is State.COMPLETED


def test_accuracy_metric_optimizer_choice_and_a_generations_budget(trec, glove, tmp_path: Path) -> None:
    import torch

    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameters.Budget.GENERATIONS, 2)
    space.add_evaluation_metric(EvaluationMetric.MICRO_ACCURACY)
    space.add_max_epochs_per_training_run(2)
    space.add_word_embeddings(parameters.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.ModelTrainer.OPTIMIZER, options=[torch.optim.SGD, "Adam"])
    space.add_parameter(parameters.ModelTrainer.MOMENTUM, options=[0.0, 0.9])
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, low=0.001, high=0.1, log=True)
    strategy = search_strategies.EvolutionarySearch(population_size=3, elitism=1, seed=3)
    result = Orchestrator(trec, tmp_path, space, strategy).optimize()

    assert len(result.trials) == 3 + 2 and strategy.generations_completed == 2  # 3, then 2 children beside 1 elite
    assert {t.parameters["optimizer"] for t in result.trials} <= {"SGD", "Adam"}
    for trial in result.trials:
        logged = read_table(tmp_path / "trials" / f"{trial.number:04d}" / "run-1" / "loss.tsv")
        assert [float(row["DEV_ACCURACY"]) for row in logged] == pytest.approx(trial.runs[0].dev_scores, abs=1e-4)
    assert "dev accuracy (higher is better)" in (tmp_path / "param_selection.txt").read_text()
