"""The orchestrator's loop with an executor that trains nothing: budgets, stopping reasons, selection, the
objective's direction, trials in parallel and exact resume, on closed-form objectives (seconds, no flair training)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from flair_hpo import Orchestrator
from flair_hpo import parameters as p
from flair_hpo.analysis import trials_dataframe
from flair_hpo.early_stopping import SuccessiveHalving
from flair_hpo.search.callbacks import SearchCallback
from flair_hpo.storage import JOURNAL_NAME, Journal, RunRecord, State
from flair_hpo.strategies import EvolutionarySearch, GridSearch, OptunaSearch, RandomSearch, TPESearch
from flair_hpo.tasks import TextClassifierSearchSpace
from flair_hpo.testing.fake_executor import FakeExecutor, toy_corpus

BATCH_COST = {8: 6.0, 16: 2.0, 32: 1.0}  # small batches train slowly


def quadratic(config: dict) -> float:
    """Best at learning_rate 0.1 and batch size 16."""
    return 1.0 - (config["learning_rate"] - 0.1) ** 2 - 0.01 * (config["mini_batch_size"] != 16)


def batch_cost(config: dict) -> float:
    return BATCH_COST[config["mini_batch_size"]]


def space(continuous: bool = True, **budgets: float) -> TextClassifierSearchSpace:
    search_space = TextClassifierSearchSpace(label_type="class")
    search_space.add_max_epochs_per_training_run(3)
    search_space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])  # never built here
    if continuous:
        search_space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=0.3)
    else:
        search_space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2])
    search_space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32])
    for name, value in budgets.items():
        search_space.add_budget(p.Budget[name], value)
    return search_space


def search(base_path: Path, search_space, strategy, executor: FakeExecutor, **kwargs):
    return Orchestrator(toy_corpus(), base_path, search_space, strategy, executor=executor, **kwargs).optimize()


class StopAfter(SearchCallback):
    """Interrupts the search (as Ctrl-C would) once ``trials`` trials have ended."""

    def __init__(self, trials: int) -> None:
        self.trials = trials
        self.ended = 0

    def on_trial_end(self, trial, best) -> None:
        self.ended += 1
        if self.ended == self.trials:
            self.interrupt()

    def interrupt(self) -> None:
        raise KeyboardInterrupt


class CtrlCCaughtAfter(StopAfter):
    """Ctrl-C once ``trials`` trials have ended, its interrupt caught on the way (as in a garbage-collector
    callback, where Python only prints it)."""

    def interrupt(self) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)  # the handler runs here


def ended_reason(caplog: pytest.LogCaptureFixture) -> str:
    return next(r.getMessage() for r in caplog.records if r.getMessage().startswith("search ended"))


def test_a_runs_budget_ends_the_search_and_the_best_is_the_closed_form_optimum(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="flair_hpo")
    result = search(tmp_path, space(continuous=False, RUNS=9), GridSearch(), FakeExecutor(quadratic))
    assert len(result.trials) == 9 and ended_reason(caplog) == "search ended: 9 runs done"
    assert result.best_parameters["learning_rate"] == 0.1 and result.best_parameters["mini_batch_size"] == 16
    assert result.best.score == pytest.approx(1.0)


def test_an_exhausted_grid_an_epochs_budget_and_a_generations_budget_each_end_the_search(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="flair_hpo")
    search(tmp_path / "grid", space(continuous=False), GridSearch(), FakeExecutor(quadratic))
    assert ended_reason(caplog) == "search ended: the strategy has proposed every configuration"
    caplog.clear()
    result = search(tmp_path / "epochs", space(EPOCHS=10), RandomSearch(seed=0), FakeExecutor(quadratic, epochs=3))
    assert ended_reason(caplog) == "search ended: 10 epochs trained"
    assert [t.epochs for t in result.trials] == [3, 3, 3, 3]  # checked before each trial
    caplog.clear()
    result = search(
        tmp_path / "gen", space(GENERATIONS=2), EvolutionarySearch(population_size=4, seed=0), FakeExecutor(quadratic)
    )
    assert ended_reason(caplog) == "search ended: 2 generations done" and len(result.trials) == 4 + 2


def test_a_trial_the_deadline_stops_is_recorded_as_stopped_and_never_selected(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="flair_hpo")
    executor = FakeExecutor(quadratic, cost=batch_cost, seconds_per_cost=0.3)
    result = search(tmp_path, space(continuous=False, TIME_IN_S=4), GridSearch(), executor)  # the grid takes 8.1 s
    states = [t.state for t in result.trials]
    assert states[-1] is State.STOPPED and State.COMPLETED in states
    assert result.best.state is State.COMPLETED
    assert ended_reason(caplog) == "search ended: the time budget ran out"


def test_failed_trials_are_recorded_and_told_as_failures(tmp_path) -> None:
    def fails_for_small_batches(config: dict):
        return None if config["mini_batch_size"] == 8 else quadratic(config)

    result = search(tmp_path, space(continuous=False), GridSearch(), FakeExecutor(fails_for_small_batches))
    failed = [t for t in result.trials if t.state is State.FAILED]
    assert len(failed) == 3 and all("gave no score" in t.error for t in failed)
    assert result.best.parameters["mini_batch_size"] == "16"


def test_a_loss_objective_is_minimised_and_strategies_see_it_negated(tmp_path) -> None:
    search_space = space(continuous=False)
    search_space.add_optimization_value(p.OptimizationValue.DEV_LOSS)
    result = search(tmp_path, search_space, GridSearch(), FakeExecutor(lambda config: config["learning_rate"]))
    assert result.best_parameters["learning_rate"] == 0.05
    assert all(t.objective == pytest.approx(-t.score) for t in result.trials)
    assert result.objective_label == "dev loss (lower is better)"
    assert "dev loss (lower is better)" in (tmp_path / "param_selection.txt").read_text()


def test_early_stopping_rules_hear_the_fake_curves(tmp_path) -> None:
    def curve(config: dict) -> list[float]:
        return [quadratic(config) * epoch / 3 for epoch in (1, 2, 3)]

    result = search(
        tmp_path, space(RUNS=12), RandomSearch(seed=1), FakeExecutor(curve), early_stopping=SuccessiveHalving()
    )
    assert any(t.state is State.STOPPED_EARLY for t in result.trials)
    assert result.best.state is State.COMPLETED


def test_two_trials_at_a_time_finish_out_of_number_order_and_the_events_say_what_was_pending(tmp_path) -> None:
    executor = FakeExecutor(quadratic, cost=batch_cost, max_concurrent_trials=2)
    search(tmp_path, space(RUNS=8), TPESearch(n_startup_trials=3, seed=2), executor)
    assert executor.finished != sorted(executor.finished)
    journal = Journal(tmp_path / JOURNAL_NAME, read_only=True)
    events = journal.events()
    journal.close()
    assert [e.trial for e in events if e.kind == "tell"] == executor.finished
    assert max(len(e.pending) for e in events if e.kind == "ask") == 1  # one other trial running at each ask


@pytest.mark.parametrize(
    "strategy",
    [
        lambda: GridSearch(shuffle=True, seed=3),
        lambda: RandomSearch(seed=3),
        lambda: TPESearch(n_startup_trials=3, seed=3),
        lambda: EvolutionarySearch(population_size=4, seed=3),
    ],
    ids=["grid", "random", "tpe", "evolutionary"],
)
def test_an_interrupted_parallel_search_resumes_exactly(tmp_path, strategy) -> None:
    continuous = not isinstance(strategy(), GridSearch)

    def run(base_path: Path, callbacks=()):
        executor = FakeExecutor(quadratic, cost=batch_cost, max_concurrent_trials=2)
        with contextlib.suppress(KeyboardInterrupt):
            search(base_path, space(continuous, RUNS=9), strategy(), executor, callbacks=callbacks)
        return executor

    uninterrupted = run(tmp_path / "whole")
    first, second = run(tmp_path / "resumed", [StopAfter(4)]), run(tmp_path / "resumed")
    assert first.finished == uninterrupted.finished[:4]
    pending = [n for n in first.submitted if n not in first.finished]
    assert pending and second.submitted[: len(pending)] == pending  # the trial left running runs again first
    assert not set(first.finished) & set(second.submitted)  # no finished trial runs twice
    assert first.finished + second.finished == uninterrupted.finished  # the same completion order
    whole, resumed = trials_dataframe(tmp_path / "whole"), trials_dataframe(tmp_path / "resumed")
    columns = ["number", "state", "score", "param_learning_rate", "param_mini_batch_size"]
    pd.testing.assert_frame_equal(whole[columns], resumed[columns])  # the same points and scores


def test_trials_tsv_and_the_dataframe_share_one_layout(tmp_path) -> None:
    search(tmp_path, space(continuous=False, RUNS=4), GridSearch(), FakeExecutor(quadratic))
    written = pd.read_csv(tmp_path / "trials.tsv", sep="\t")
    frame = trials_dataframe(tmp_path)
    assert list(written.columns) == list(frame.columns)
    assert list(frame.columns[:10]) == [
        "number", "state", "score", "score_std", "objective", "test_score", "runs", "epochs", "duration_s", "error",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(written[["number", "state"]], frame[["number", "state"]])
    assert written["score"].tolist() == pytest.approx(frame["score"].tolist(), abs=1e-4)


def test_a_search_whose_every_trial_fails_the_same_way_stops_after_three(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="flair_hpo")
    result = search(tmp_path, space(RUNS=20), RandomSearch(seed=0), FakeExecutor(lambda config: None))
    assert [t.state for t in result.trials] == [State.FAILED] * 3 and result.best is None
    assert "search stopped: every trial so far (3) failed the same way: run 1: " in caplog.text


def test_configurations_refused_for_the_model_size_limit_stop_the_search_only_when_none_fits() -> None:
    from flair_hpo.search.stop_reasons import same_failure
    from flair_hpo.storage import TrialRecord

    def failed(number: int, error: str) -> TrialRecord:
        return TrialRecord(number, {}, {}, State.FAILED, error=f"run 1: {error}")

    too_large = [
        failed(n, f"ModelTooLarge: the saved model would take {n + 3}.0M, more than the limit of 2.0M")
        for n in range(20)
    ]
    assert same_failure(too_large[:19]) is None  # no training was spent on them, and others may fit
    assert same_failure(too_large) == (
        f"every trial so far (20) was refused for the model-size limit: {too_large[-1].error_summary}"
    )
    nan_loss = [failed(n, "ValueError: the loss is nan") for n in range(20, 23)]
    assert (
        same_failure(too_large[:3] + nan_loss)
        == "every trial so far (3) failed the same way: run 1: ValueError: the loss is nan"
    )


def test_a_search_goes_on_while_failures_differ_or_one_trial_completed(tmp_path) -> None:
    def fails_unless_batch_16(config: dict):
        return None if config["mini_batch_size"] != 16 else quadratic(config)

    result = search(tmp_path, space(RUNS=8), RandomSearch(seed=0), FakeExecutor(fails_unless_batch_16))
    assert len(result.trials) == 8 and State.COMPLETED in {t.state for t in result.trials}


def test_a_ctrl_c_caught_on_the_way_still_stops_the_search_after_the_trial_it_came_in(tmp_path) -> None:
    executor = FakeExecutor(quadratic)
    with pytest.raises(KeyboardInterrupt):
        search(tmp_path, space(continuous=False), GridSearch(), executor, callbacks=[CtrlCCaughtAfter(2)])
    assert len(executor.finished) == 2
    journal = Journal(tmp_path / JOURNAL_NAME, read_only=True)
    assert [t.state for t in journal.trials()] == [State.COMPLETED] * 2
    journal.close()


def test_a_job_that_waited_to_start_has_the_wait_taken_from_its_time_budget() -> None:
    from flair_hpo.executors.base import TrialJob
    from flair_hpo.executors.job_remainders import remaining

    job = TrialJob(0, {}, [], seconds_left=10.0, submitted=time.time() - 4.0)  # queued for 4 s
    assert job.deadline() - time.monotonic() == pytest.approx(6.0, abs=0.5)
    assert remaining(job, []).deadline() == pytest.approx(job.deadline(), abs=0.5)  # a retry keeps the deadline
    assert TrialJob(0, {}, []).deadline() is None


def test_a_lost_worker_whose_job_had_ended_adds_no_failed_run_and_is_not_retried() -> None:
    from flair_hpo.executors.base import TrialJob
    from flair_hpo.executors.job_remainders import unreported, with_failure
    from flair_hpo.storage import RunRecord

    job = TrialJob(3, {}, [(1, Path("run-1"), 1), (2, Path("run-2"), 2)])  # a resumed trial: run 0 done before
    done = [RunRecord(1, State.COMPLETED), RunRecord(2, State.COMPLETED)]
    assert with_failure(job, done, "lost") == done  # only the worker's last message was lost
    assert [(r.run, r.state) for r in with_failure(job, done[:1], "lost")] == [(1, State.COMPLETED), (2, State.FAILED)]
    pruned = [RunRecord(1, State.STOPPED_EARLY)]  # the job ended at run 1: run 2 is not retried, nor failed
    assert with_failure(job, pruned, "lost") == pruned and unreported(job, pruned) == []


def test_a_journal_an_earlier_version_wrote_resumes_where_its_points_agree_and_says_why_where_they_do_not(
    tmp_path,
) -> None:
    import sqlite3

    from flair_hpo.errors import JournalMismatchError

    def resume():
        return search(tmp_path, space(RUNS=6), RandomSearch(seed=0), FakeExecutor(quadratic))

    with contextlib.suppress(KeyboardInterrupt):
        search(tmp_path, space(RUNS=6), RandomSearch(seed=0), FakeExecutor(quadratic), callbacks=[StopAfter(2)])
    path = tmp_path / JOURNAL_NAME
    with contextlib.closing(sqlite3.connect(path)) as journal, journal:
        assert journal.execute("SELECT value FROM study WHERE key = 'journal_format'").fetchone() == ("3",)
        sequence, point = journal.execute("SELECT sequence, point FROM events WHERE kind = 'ask' LIMIT 1").fetchone()
        journal.execute("UPDATE events SET point = ? WHERE sequence = ?", (point.replace("0.", "0.9", 1), sequence))
    with pytest.raises(JournalMismatchError, match="resume with the same space, strategy and seed"):
        resume()
    with contextlib.closing(sqlite3.connect(path)) as journal, journal:
        journal.execute("DELETE FROM study WHERE key = 'journal_format'")  # as an earlier version wrote it
    with pytest.raises(JournalMismatchError, match=r"earlier version of flair-hpo \(journal format 1, now 3\)"):
        resume()
    with contextlib.closing(sqlite3.connect(path)) as journal, journal:
        journal.execute("INSERT INTO study VALUES ('journal_format', '4')")  # as a later version would write it
    with pytest.raises(
        JournalMismatchError, match=r"later version of flair-hpo \(journal format 4, this one reads 3\)"
    ):
        resume()
    with contextlib.closing(sqlite3.connect(path)) as journal, journal:
        journal.execute("DELETE FROM study WHERE key = 'journal_format'")
    with contextlib.closing(sqlite3.connect(path)) as journal, journal:
        journal.execute("UPDATE events SET point = ? WHERE sequence = ?", (point, sequence))
    assert len(resume().trials) == 6  # its points are those proposed now: it resumes
    assert Journal(path, read_only=True).metadata()["journal_format"] == 3


def test_a_trial_that_ends_leaves_the_weights_of_trials_still_training(tmp_path) -> None:
    slow_best = FakeExecutor(
        quadratic, cost=lambda config: 2.0 if config["learning_rate"] == 0.1 else 1.0, writes_weights=True
    )
    slow_best.max_concurrent_trials = 2  # trial 0 (the best) trains while trial 1 ends first, then trial 2
    search_space = TextClassifierSearchSpace(label_type="class")
    search_space.add_max_epochs_per_training_run(3)
    search_space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])  # never built here
    search_space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.1, 0.2, 0.3])
    search_space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[16])
    result = search(tmp_path, search_space, GridSearch(shuffle=False), slow_best)
    assert slow_best.finished[-1] == 0 and result.best.number == 0
    assert (tmp_path / "best-model.pt").read_text() == "trial 0 run 0"


def test_optimize_called_again_on_an_interrupted_orchestrator_resumes_it(tmp_path) -> None:
    executor = FakeExecutor(quadratic)
    orchestrator = Orchestrator(
        toy_corpus(), tmp_path, space(RUNS=6), RandomSearch(seed=1), executor=executor, callbacks=[StopAfter(2)]
    )
    with pytest.raises(KeyboardInterrupt):
        orchestrator.optimize()
    orchestrator.callbacks = []
    result = orchestrator.optimize()
    uninterrupted = search(tmp_path / "whole", space(RUNS=6), RandomSearch(seed=1), FakeExecutor(quadratic))
    assert [t.point for t in result.trials] == [t.point for t in uninterrupted.trials]


def test_a_resumed_search_without_a_seed_selects_on_the_dev_data_it_started_with(tmp_path) -> None:
    from flair.data import Corpus, Sentence

    def corpus_without_dev() -> Corpus:
        sentences = [Sentence(f"sentence number {index}") for index in range(40)]
        for index, sentence in enumerate(sentences):
            sentence.add_label("class", "ab"[index % 2])
        return Corpus(train=sentences, dev=[], test=sentences[:1], sample_missing_splits=False)

    dev_data = []
    for runs in (2, 4):  # the second search resumes the first, as a new process would
        corpus = corpus_without_dev()
        Orchestrator(corpus, tmp_path, space(RUNS=runs), RandomSearch(), executor=FakeExecutor(quadratic)).optimize()
        dev_data.append(sorted(sentence.to_plain_string() for sentence in corpus.dev))
    assert dev_data[0] == dev_data[1]


def test_a_resume_on_another_corpus_or_space_is_refused_naming_what_differs(tmp_path) -> None:
    from flair_hpo.errors import JournalMismatchError

    search(tmp_path, space(continuous=False, RUNS=2), GridSearch(), FakeExecutor(quadratic))
    resampled = toy_corpus()
    resampled.train[0].add_label("class", "y")  # one label changed, as another sample of a corpus would
    with pytest.raises(JournalMismatchError, match=r"corpus differs .*without a fixed random_seed is another sample"):
        Orchestrator(
            resampled, tmp_path, space(False, RUNS=3), GridSearch(), executor=FakeExecutor(quadratic)
        ).optimize()
    other = TextClassifierSearchSpace(label_type="class")
    other.add_max_epochs_per_training_run(3)
    other.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])
    other.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.3])
    other.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32])
    other.add_budget(p.Budget.RUNS, 3)
    with pytest.raises(
        JournalMismatchError,
        match=r"space: learning_rate is choice\(0.05, 0.1, 0.2\) in the journal, choice\(0.05, 0.1, 0.3\) now\.",
    ):
        search(tmp_path, other, GridSearch(), FakeExecutor(quadratic))

    class RetryingGrid(GridSearch):
        retries_after_early_stop = 1

    with pytest.raises(JournalMismatchError, match=r"retries_after_early_stop is 0 in the journal, 1 now"):
        search(tmp_path, space(continuous=False, RUNS=3), RetryingGrid(), FakeExecutor(quadratic))
    resumed = search(tmp_path, space(continuous=False, RUNS=3), GridSearch(), FakeExecutor(quadratic))
    assert len(resumed.trials) == 3  # the same corpus and space resume


def test_trials_refused_for_the_model_size_limit_do_not_use_up_the_runs_budget() -> None:
    from flair_hpo.search.stop_reasons import stop_reason
    from flair_hpo.storage import TrialRecord

    settings = space(RUNS=2).to_settings()
    refused = TrialRecord(0, {}, {}, State.FAILED, error="run 1: ModelTooLarge: the saved model would take 9.0M")
    trained = TrialRecord(1, {}, {}, State.COMPLETED)
    assert stop_reason(settings, RandomSearch(seed=0), [refused, trained], None) is None
    assert stop_reason(settings, RandomSearch(seed=0), [refused, trained, trained], None) == "2 runs done"


def test_trials_tsv_writes_parameters_as_they_were_tried(tmp_path) -> None:
    """A whole number stays whole where another trial lacks the parameter, and a small learning rate is not
    rounded away with the scores' four decimals."""
    from flair_hpo.storage import State, TrialRecord
    from flair_hpo.storage.trials_table import trials_frame, write_trials_table

    trials = [
        TrialRecord(0, {}, {"hidden_size": "256", "learning_rate": "3e-05"}, State.COMPLETED, score=0.912345),
        TrialRecord(1, {}, {"learning_rate": "0.1"}, State.COMPLETED, score=0.5),
        TrialRecord(2, {}, {"learning_rate": "1"}, State.COMPLETED, score=0.4),
    ]
    write_trials_table(tmp_path / "trials.tsv", trials)
    rows = [line.split("\t") for line in (tmp_path / "trials.tsv").read_text().splitlines()]
    row = dict(zip(rows[0], rows[1]))
    assert (row["score"], row["param_hidden_size"], row["param_learning_rate"]) == ("0.9123", "256", "3e-05")
    assert dict(zip(rows[0], rows[2]))["param_hidden_size"] == ""
    assert dict(zip(rows[0], rows[3]))["param_learning_rate"] == "1"  # not 1.0 beside decimal options
    frame = trials_frame(trials)
    assert str(frame["param_hidden_size"].dtype) == "Int64"
    assert frame["param_learning_rate"].tolist() == [3e-05, 0.1, 1.0]
    from flair_hpo.analysis.report import _table

    page = _table(frame)
    assert "<td>3e-05</td>" in page and "<td>0.9123</td>" in page and "<td>256</td>" in page


def test_a_trial_the_time_budget_stopped_keeps_the_weights_of_its_completed_runs_for_the_resume(tmp_path) -> None:
    """Its second run meets the deadline; resumed, the trial keeps its first run and becomes the best by it."""

    class DeadlineInTheSecondRun(FakeExecutor):
        def _run(self, job, run_index, seed, rule, out_of_time):
            if job.config["learning_rate"] == 0.3 and run_index == 1:
                return RunRecord(run_index, State.STOPPED)
            return super()._run(job, run_index, seed, rule, out_of_time)

    def make_space() -> TextClassifierSearchSpace:
        searched = TextClassifierSearchSpace(label_type="class")
        searched.add_max_epochs_per_training_run(3)
        searched.add_training_runs(2)
        searched.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])  # never built here
        searched.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.1, 0.2, 0.3])
        return searched

    def noise(config: dict, seed: int) -> float:
        return (0.1 if seed == 0 else -0.05) if config["learning_rate"] == 0.3 else 0.0

    for executor_class in (DeadlineInTheSecondRun, FakeExecutor):
        executor = executor_class(lambda config: config["learning_rate"], seed_noise=noise, writes_weights=True)
        result = Orchestrator(toy_corpus(), tmp_path, make_space(), GridSearch(seed=0), executor=executor).optimize()
    assert result.best.number == 2 and [run.run for run in result.best.runs] == [0, 1]
    assert (tmp_path / "best-model.pt").read_text() == "trial 2 run 0"  # its better run, trained before the stop


def test_the_report_shows_the_best_trial_the_search_chose_even_one_the_time_budget_stopped(tmp_path) -> None:
    """No trial completed: the best is the stopped trial scored by the epochs it reached, in the report as in
    the search's own outputs."""
    from flair_hpo.analysis import build_report

    class StoppedAfterAnEpoch(FakeExecutor):
        def _run(self, job, run_index, seed, rule, out_of_time):
            record = super()._run(job, run_index, seed, rule, out_of_time)
            record.state = State.STOPPED
            return record

    result = search(tmp_path, space(continuous=False, RUNS=2), GridSearch(), StoppedAfterAnEpoch(quadratic))
    assert result.best is not None and result.best.state is State.STOPPED
    page = build_report(tmp_path).read_text()
    assert f"<p>Trial {result.best.number} (stopped by the time budget: scored by the epochs it reached)" in page


def test_the_progress_line_times_a_resumed_search_by_its_own_trials_and_redraws_for_a_second_call(
    tmp_path, monkeypatch
) -> None:
    """50 of 100 trials resumed, then one trial in 10 minutes: 49 more take about 490 minutes, not 10."""
    import io

    from flair_hpo.search import progress
    from flair_hpo.search.callbacks import SearchContext
    from flair_hpo.search.progress import ProgressLine
    from flair_hpo.storage import SearchResult, TrialRecord

    settings = space(RUNS=100).to_settings()
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    line = ProgressLine(io.StringIO())
    line.on_search_start(SearchContext(tmp_path, settings, "RandomSearch", 0, resumed_trials=53, resumed_trained=50))
    clock[0] += 600
    line.on_trial_end(TrialRecord(50, {}, {}, State.COMPLETED, score=0.5), None)
    assert line.fraction_done() == pytest.approx(0.51) and line.eta_seconds() == pytest.approx(49 * 600)
    refused = TrialRecord(51, {}, {}, State.FAILED, error="run 1: ModelTooLarge: the saved model would take 9.0M")
    line.on_trial_end(refused, None)  # trained nothing: the trials budget does not count it, nor does the line
    assert line.fraction_done() == pytest.approx(0.51) and "Trials:   51" in line.line()
    line.on_trial_end(TrialRecord(52, {}, {}, State.STOPPED_EARLY, score=0.25), None)
    assert line.stream.getvalue().splitlines()[-1].startswith("trial 52: 0.250000 (stopped_early) | Progress:")
    monkeypatch.undo()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    line = ProgressLine(terminal, refresh_seconds=0.01)
    for _ in range(2):  # the same line watching two optimize() calls (a notebook's second run)
        line.on_search_start(SearchContext(tmp_path, settings, "RandomSearch", 0, resumed_trials=0, resumed_trained=0))
        time.sleep(0.3)
        line.on_search_end(SearchResult([], None, None, settings.objective, tmp_path))
    second_call = terminal.getvalue().split("\n")[1]
    assert second_call.count("\r") > 2  # redrawn while it ran, not only at its end


def test_the_progress_line_says_when_the_final_selection_changes_a_score(tmp_path) -> None:
    """The best score can change without a new trial: each trial trained again gets its own line."""
    import io

    from flair_hpo.search.callbacks import SearchContext
    from flair_hpo.search.progress import ProgressLine
    from flair_hpo.storage import TrialRecord

    stream = io.StringIO()
    line = ProgressLine(stream)
    line.on_search_start(
        SearchContext(tmp_path, space(RUNS=4).to_settings(), "RandomSearch", 0, resumed_trials=0, resumed_trained=0)
    )
    first = TrialRecord(0, {}, {}, State.COMPLETED, score=0.9, runs=[RunRecord(0, State.COMPLETED)])
    line.on_trial_end(first, first)
    second = TrialRecord(1, {}, {}, State.COMPLETED, score=0.8, runs=[RunRecord(0, State.COMPLETED)] * 3)
    line.on_trial_rescored(second, second)
    assert stream.getvalue().splitlines()[-1].startswith("final selection: trial 1: 0.800000 over 3 runs | Progress:")
    assert line.best_score == 0.8 and "Best score:  0.800000" in stream.getvalue().splitlines()[-1]


@pytest.mark.parametrize(
    "strategy",
    [lambda: EvolutionarySearch(population_size=4, seed=4), lambda: OptunaSearch(seed=4)],
    ids=["evolutionary", "optuna"],
)
def test_a_configuration_stopped_early_is_trained_once_more_with_other_seeds_and_a_resume_replays_it(
    tmp_path, strategy
) -> None:
    def curve(config: dict) -> list[float]:
        return [quadratic(config) * epoch / 3 for epoch in (1, 2, 3)]

    seeds: dict[tuple, set[int]] = {}

    def record_seed(config: dict, seed: int) -> float:
        seeds.setdefault((config["learning_rate"], config["mini_batch_size"]), set()).add(seed)
        return 0.0

    def run(base_path: Path, callbacks=()) -> None:
        executor = FakeExecutor(curve, cost=batch_cost, max_concurrent_trials=2, seed_noise=record_seed)
        with contextlib.suppress(KeyboardInterrupt):
            search(
                base_path, space(continuous=False), strategy(), executor,
                early_stopping=SuccessiveHalving(), callbacks=callbacks,
            )  # fmt: skip

    run(tmp_path / "whole")
    whole = trials_dataframe(tmp_path / "whole")
    configurations = list(zip(whole.param_learning_rate, whole.param_mini_batch_size))
    tries = pd.Series(configurations).value_counts()
    assert len(tries) == 9 and tries.max() == 2  # the grid ends: a configuration comes back once at most
    for configuration in tries[tries == 2].index:
        first, _ = whole[[c == configuration for c in configurations]].state
        assert first == State.STOPPED_EARLY.value  # only a configuration stopped early is tried again
        assert len(seeds[configuration]) == 2  # and its retry trains with another seed
    run(tmp_path / "resumed", [StopAfter(4)])  # the retries are asked after the resume, from the replayed stops
    first_retry = min(number for number, c in enumerate(configurations) if configurations.index(c) != number)
    assert len(trials_dataframe(tmp_path / "resumed")) <= first_retry  # trials 0 to len - 1 were asked before
    run(tmp_path / "resumed")
    columns = ["number", "state", "score", "param_learning_rate", "param_mini_batch_size"]
    pd.testing.assert_frame_equal(whole[columns], trials_dataframe(tmp_path / "resumed")[columns])
