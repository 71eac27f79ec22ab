"""Seed-aware final selection on closed-form objectives: the best few configurations are trained again with
further seeds and the best is chosen by its mean, so that a lucky run does not win; the expected score's
interval; resume; bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import pytest
from scipy.stats import t as student

from flair_hpo import Orchestrator
from flair_hpo import parameters as p
from flair_hpo.analysis import build_report
from flair_hpo.errors import ConfigurationError
from flair_hpo.objective import Objective
from flair_hpo.search.callbacks import SearchCallback
from flair_hpo.search.final_selection import FinalSelection, score_interval
from flair_hpo.storage import RunRecord, State, TrialRecord
from flair_hpo.strategies import GridSearch
from flair_hpo.tasks import TextClassifierSearchSpace
from flair_hpo.testing.fake_executor import FakeExecutor, toy_corpus

SEED = 7
LUCKY = (0.2, 16)  # the configuration whose first run (seed SEED) is lucky


def quality(config: dict) -> float:
    """Best at learning rate 0.1 and batch size 16 (1.0); the lucky configuration is truly 0.98."""
    return (
        1.0
        - (config["learning_rate"] - 0.1) ** 2
        - 0.01 * (config["mini_batch_size"] != 16)
        - 0.01 * ((config["learning_rate"], config["mini_batch_size"]) == LUCKY)
    )


def lucky_first_run(config: dict, seed: int) -> float:
    return 0.03 if (config["learning_rate"], config["mini_batch_size"]) == LUCKY and seed == SEED else 0.0


def grid() -> TextClassifierSearchSpace:
    space = TextClassifierSearchSpace(label_type="class")
    space.add_max_epochs_per_training_run(3)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])  # never built here
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2])
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32])
    return space


def search(base_path: Path, executor: FakeExecutor, selection=None, callbacks=()):
    return Orchestrator(
        toy_corpus(),
        base_path,
        grid(),
        GridSearch(seed=SEED),
        executor=executor,
        final_selection=selection,
        callbacks=list(callbacks),
    ).optimize()


def config_of(trial: TrialRecord) -> tuple:
    return tuple(float(trial.parameters[key]) for key in ("learning_rate", "mini_batch_size"))


def test_without_it_the_lucky_run_wins(tmp_path) -> None:
    result = search(tmp_path, FakeExecutor(quality, seed_noise=lucky_first_run))
    assert config_of(result.best) == LUCKY and len(result.best.runs) == 1


def test_the_best_is_chosen_by_the_mean_of_further_seeds(tmp_path) -> None:
    executor = FakeExecutor(quality, seed_noise=lucky_first_run)
    result = search(tmp_path, executor, FinalSelection(candidates=3, runs=3))
    assert config_of(result.best) == (0.1, 16.0)
    assert result.best.score == pytest.approx(1.0) and len(result.best.runs) == 3
    by_config = {config_of(trial): trial for trial in result.trials}
    lucky = by_config[(0.2, 16.0)]
    assert [run.score for run in lucky.runs] == pytest.approx([1.01, 0.98, 0.98])  # its mean: 0.99
    # 9 trials, then the 3 best by one run (lucky 1.01, 1.0, 0.9975) trained twice more each; the lucky one's
    # mean fell to 0.99, which let in the next at 0.99 (0.1/8, first of the equals)
    first_round = [by_config[c].number for c in [(0.2, 16.0), (0.1, 16.0), (0.05, 16.0)]]
    assert executor.submitted[:9] == list(range(9)) and sorted(executor.submitted[9:12]) == sorted(first_round)
    assert executor.submitted[12:] == [by_config[(0.1, 8.0)].number]
    text = (tmp_path / "param_selection.txt").read_text()
    assert "95% interval" in text
    saved = json.loads((tmp_path / "best_parameters.json").read_text())
    low, high = saved["score_interval"]
    assert low < 1.0 < high
    assert f"95% interval {low:.4f} to {high:.4f}" in build_report(tmp_path).read_text()


def test_a_candidate_whose_mean_falls_lets_the_next_one_in(tmp_path) -> None:
    def unlucky_later(config: dict, seed: int) -> float:
        return -0.2 if (config["learning_rate"], config["mini_batch_size"]) == (0.1, 16) and seed != SEED else 0.0

    executor = FakeExecutor(quality, seed_noise=unlucky_later)
    result = search(tmp_path, executor, FinalSelection(candidates=2, runs=2))
    # the best by one run (0.1/16) falls to 0.9 after its second run: the third by one run is trained again too
    assert len(executor.submitted) == 9 + 3
    assert config_of(result.best) in {(0.2, 16.0), (0.05, 16.0)} and len(result.best.runs) == 2


def test_resume_does_not_train_the_candidates_again(tmp_path) -> None:
    search(tmp_path, FakeExecutor(quality, seed_noise=lucky_first_run), FinalSelection())
    again = FakeExecutor(quality, seed_noise=lucky_first_run)
    result = search(tmp_path, again, FinalSelection())
    assert again.submitted == [] and config_of(result.best) == (0.1, 16.0)


def test_further_runs_that_fail_leave_the_trial_as_it_was(tmp_path) -> None:
    def later_runs_fail(config: dict, seed: int):
        return None if seed != SEED else lucky_first_run(config, seed)

    class Rescored(SearchCallback):
        def __init__(self) -> None:
            self.trials: list[int] = []

        def on_trial_rescored(self, trial: TrialRecord, best: Optional[TrialRecord]) -> None:
            self.trials.append(trial.number)

    executor, rescored = FakeExecutor(quality, seed_noise=later_runs_fail), Rescored()
    result = search(tmp_path, executor, FinalSelection(candidates=2, runs=3), callbacks=[rescored])
    assert all(trial.state is State.COMPLETED and len(trial.runs) == 1 for trial in result.trials)
    assert rescored.trials == []  # no score changed: nothing to report as rescored
    assert len(executor.submitted) == 9 + 2  # each candidate tried once, not again and again
    assert config_of(result.best) == LUCKY


def test_the_interval_pools_the_spread_between_seeds() -> None:
    def trial(number: int, scores: list[float]) -> TrialRecord:
        record = TrialRecord(
            number, {}, {}, runs=[RunRecord(i, State.COMPLETED, score=s) for i, s in enumerate(scores)]
        )
        record.summarize()
        return record

    best, other, single = trial(0, [1.0, 2.0, 3.0]), trial(1, [2.0, 4.0]), trial(2, [5.0])
    low, high = score_interval(best, [best, other, single])
    pooled = math.sqrt((1.0 * 2 + 2.0 * 1) / 3)  # variances 1 (2 df) and 2 (1 df)
    half = student.ppf(0.975, 3) * pooled / math.sqrt(3)
    assert (low, high) == pytest.approx((2.0 - half, 2.0 + half))
    assert score_interval(single, [single]) is None  # no configuration ran twice: no spread to measure


def test_candidates_are_the_best_completed_trials_lacking_runs() -> None:
    def trial(number: int, score: float, runs: int = 1, state: State = State.COMPLETED) -> TrialRecord:
        record = TrialRecord(number, {}, {}, runs=[RunRecord(i, state, score=score) for i in range(runs)])
        record.summarize()
        return record

    trials = [trial(0, 0.5), trial(1, 0.9, runs=3), trial(2, 0.8), trial(3, 0.95, state=State.STOPPED_EARLY)]
    selection = FinalSelection(candidates=2, runs=3)
    assert [t.number for t in selection.next_candidates(trials, Objective())] == [2]
    assert selection.next_candidates(trials, Objective(), tried={2}) == []
    assert selection.next_candidates(trials, Objective(), tried={5, 6, 7, 8}) == []  # 2 x candidates tried


@pytest.mark.parametrize(
    "arguments, named",
    [({"candidates": 0}, "candidates"), ({"runs": 1}, "runs"), ({"budget_share": 1.0}, "budget_share")],
)
def test_bad_settings_are_named(arguments, named) -> None:
    with pytest.raises(ConfigurationError, match=named):
        FinalSelection(**arguments)


def test_best_model_holds_the_weights_of_the_best_after_selection_even_where_it_was_not_the_best_when_rescored(
    tmp_path,
) -> None:
    first, later = {0.05: 0.90, 0.1: 0.89, 0.2: 0.88}, {0.05: 0.80, 0.1: 0.85, 0.2: 0.84}  # means .85, .87, .86
    space = TextClassifierSearchSpace(label_type="class")
    space.add_max_epochs_per_training_run(3)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])  # never built here
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2])
    executor = FakeExecutor(
        lambda config: 0.0,
        cost=lambda config: config["learning_rate"],  # rescored in this order: 0.05, then 0.1 (0.2 leads), 0.2
        seed_noise=lambda config, seed: (first if seed == SEED else later)[config["learning_rate"]],
        writes_weights=True,
    )
    result = Orchestrator(
        toy_corpus(), tmp_path, space, GridSearch(seed=SEED), executor=executor, final_selection=FinalSelection(3, 2)
    ).optimize()
    assert result.best_parameters["learning_rate"] == 0.1 and result.best.score == pytest.approx(0.87)
    assert (tmp_path / "best-model.pt").read_text() == f"trial {result.best.number} run 0"  # its better run
    assert (
        sorted(path.parent.parent.name for path in tmp_path.glob("trials/*/run-*/final-model.pt"))
        == [f"{result.best.number:04d}"] * 2
    )  # the others' weights are dropped once the selection has ended


def test_a_best_trial_whose_weights_were_dropped_leaves_no_best_model_rather_than_another_trials(tmp_path) -> None:
    """lr 0.1 leads by a lucky first run and falls; lr 0.2, let in then, had its weights dropped as no first
    candidate, and its further run fails: it is the best, and no weights of it are left."""
    first = {0.05: 0.70, 0.1: 0.90, 0.2: 0.80}
    space = TextClassifierSearchSpace(label_type="class")
    space.add_max_epochs_per_training_run(3)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])  # never built here
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2])

    def noise(config: dict, seed: int):
        rate = config["learning_rate"]
        return first[rate] if seed == SEED else (0.50 if rate == 0.1 else None)

    executor = FakeExecutor(lambda config: 0.0, seed_noise=noise, writes_weights=True)
    result = Orchestrator(
        toy_corpus(), tmp_path, space, GridSearch(seed=SEED), executor=executor, final_selection=FinalSelection(1, 2)
    ).optimize()
    assert result.best_parameters["learning_rate"] == 0.2
    assert not (tmp_path / "best-model.pt").exists()


def test_the_trial_running_when_the_selections_share_begins_finishes_and_a_candidate_that_cannot_is_not_started(
    tmp_path, caplog
) -> None:
    """Trials of 0.9 s in a 3.6 s budget whose last fifth is the selection's: the third, started at about 2.2 s
    (the search's set-up takes some), ends at about 3.1 s; no candidate's further run of 0.9 s fits in what is
    left, so none is started to be stopped."""
    import logging

    from flair_hpo.search.settings import Budget

    caplog.set_level(logging.INFO, logger="flair_hpo")
    space = TextClassifierSearchSpace(label_type="class")
    space.add_max_epochs_per_training_run(3)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])  # never built here
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2])
    space.add_budget(Budget.TIME_IN_S, 3.6)
    executor = FakeExecutor(lambda config: config["learning_rate"], seconds_per_cost=0.9, cost=lambda config: 1.0)
    result = Orchestrator(
        toy_corpus(), tmp_path, space, GridSearch(seed=SEED), executor=executor, final_selection=FinalSelection(1, 2)
    ).optimize()
    assert [(t.state, len(t.runs)) for t in result.trials] == [(State.COMPLETED, 1)] * 3
    assert "trial 2: not trained again, its further runs would not end in the time left" in caplog.text
    assert executor.submitted == [0, 1, 2]


def test_candidates_fit_where_their_further_runs_at_their_mean_run_length_end_in_time_slot_by_slot() -> None:
    def candidate(number: int, seconds: float) -> TrialRecord:
        trial = TrialRecord(number, {}, {}, State.COMPLETED, score=0.5, runs=[RunRecord(0, State.COMPLETED, score=0.5)])
        trial.runs[0].duration = seconds
        return trial

    selection = FinalSelection(runs=3)  # two further runs each: 20 s for a run of 10 s
    first, second, unmeasured = candidate(0, 10.0), candidate(1, 10.0), candidate(2, 0.0)
    assert selection.that_fit([first, second], 20.0, slots=1) == [first]  # the second would end at 40 s
    assert selection.that_fit([first, second], 20.0, slots=2) == [first, second]
    assert selection.that_fit([first, second], 19.0, slots=2) == []
    assert selection.that_fit([first, second], None, slots=1) == [first, second]
    assert selection.that_fit([unmeasured], 1.0, slots=1) == [unmeasured]  # nothing measured: it is tried


def test_mlflow_gets_each_rescored_trials_mean_and_its_further_runs_curves(tmp_path: Path) -> None:
    """The final selection's new means replace the first runs' scores in MLflow (at the step of the number of
    runs), and a loss objective's curves are logged."""
    pytest.importorskip("mlflow")
    from flair_hpo.integrations.mlflow import MLflowCallback

    space = grid()
    space.add_optimization_value(p.OptimizationValue.DEV_LOSS)
    tracker = MLflowCallback(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = Orchestrator(
        toy_corpus(),
        tmp_path / "search",
        space,
        GridSearch(seed=SEED),
        executor=FakeExecutor(lambda config: 1.0 - quality(config), seed_noise=lucky_first_run),
        final_selection=FinalSelection(candidates=3, runs=3),
        callbacks=[tracker],
    ).optimize()
    runs = {run.info.run_name: run for run in tracker.client.search_runs([tracker.experiment_id])}
    rescored = [trial for trial in result.trials if len(trial.runs) == 3]
    assert len(runs) == 9 and len(rescored) == 3
    for trial in result.trials:
        run = runs[f"trial {trial.number}"]
        assert run.data.metrics["score"] == pytest.approx(trial.score)
        history = tracker.client.get_metric_history(run.info.run_id, "score")
        assert [metric.step for metric in history] == ([1, 3] if trial in rescored else [1])
        for run_record in trial.runs:
            curve = tracker.client.get_metric_history(run.info.run_id, f"dev_loss_run{run_record.run + 1}")
            assert [metric.value for metric in curve] == pytest.approx(run_record.dev_losses)


def test_mlflow_marks_a_trial_stopped_early_as_killed(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    from flair_hpo.early_stopping import MedianStopping
    from flair_hpo.integrations.mlflow import MLflowCallback

    tracker = MLflowCallback(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = Orchestrator(
        toy_corpus(),
        tmp_path / "search",
        grid(),
        GridSearch(seed=SEED),
        executor=FakeExecutor(lambda config: [quality(config) * share for share in (0.5, 0.8, 1.0)]),
        early_stopping=MedianStopping(),
        callbacks=[tracker],
    ).optimize()
    statuses = {run.info.run_name: run.info.status for run in tracker.client.search_runs([tracker.experiment_id])}
    stopped = [trial.number for trial in result.trials if trial.state is State.STOPPED_EARLY]
    assert stopped and all(statuses[f"trial {number}"] == "KILLED" for number in stopped)
    assert statuses[f"trial {result.best.number}"] == "FINISHED"
