"""The local executor: trials in reused worker processes on this machine, with real flair training."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import torch
from timeline import Timeline

from flair_hpo import LocalExecutor, Orchestrator
from flair_hpo import parameters as p
from flair_hpo.errors import ConfigurationError
from flair_hpo.executors.base import SearchSetup, TrialJob
from flair_hpo.search.callbacks import SearchCallback
from flair_hpo.search.settings import StudySettings
from flair_hpo.storage import JOURNAL_NAME, Journal, RunRecord
from flair_hpo.strategies import GridSearch
from flair_hpo.tasks import TEXT_CLASSIFICATION, TextClassifierSearchSpace

pytestmark = pytest.mark.training
TESTS = Path(__file__).resolve().parent


def _space(glove, optimizers: list, learning_rates=(0.05, 0.2)) -> TextClassifierSearchSpace:
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(p.ModelTrainer.OPTIMIZER, options=optimizers)
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=list(learning_rates))
    return space


def test_two_trials_train_at_once_in_reused_workers_sharing_one_embedding_cache(trec, glove, tmp_path) -> None:
    timeline = Timeline()
    orchestrator = Orchestrator(
        trec, tmp_path, _space(glove, ["SGD", "AdamW"]), GridSearch(), callbacks=[timeline], executor=LocalExecutor(2)
    )
    result = orchestrator.optimize()
    assert [t.state.value for t in result.trials] == ["completed"] * 4
    assert timeline.most_at_once() == 2
    assert orchestrator.embedding_cache.computed == ["WordEmbeddings(glove.6B.50d.top10k.txt, no_header=True)"]
    assert len(list((tmp_path / "embedding-cache").glob("*.npy"))) == 1  # computed once, read by both workers
    journal = Journal(tmp_path / JOURNAL_NAME, read_only=True)
    assert all(trial.runs and trial.runs[0].dev_scores for trial in journal.trials())  # journalled by the search
    journal.close()
    assert (tmp_path / "best-model.pt").exists()
    assert not [c for c in psutil.Process().children(recursive=True) if "local_worker" in " ".join(c.cmdline())]
    assert not orchestrator.executor._processes.folder.exists()  # the folder of the workers' socket is removed


def test_a_worker_killed_mid_trial_is_retried_then_its_trial_fails(trec, glove, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "path", [str(TESTS), *sys.path])  # the workers import what the search imports
    from killing_optimizers import SelfKillingSGD

    result = Orchestrator(
        trec, tmp_path, _space(glove, ["SGD", SelfKillingSGD], (0.1,)), GridSearch(),
        executor=LocalExecutor(2, trial_retries=1),
    ).optimize()  # fmt: skip
    states = {t.parameters["optimizer"]: (t.state.value, t.error) for t in result.trials}
    assert states["SGD"] == ("completed", None)
    assert states["SelfKillingSGD"][0] == "failed"
    assert "WorkerCrashedError after 1 retries" in states["SelfKillingSGD"][1] and "-9" in states["SelfKillingSGD"][1]


class KillsTheIdleWorker(SearchCallback):
    """SIGKILLs the local executor's only worker once the first trial has ended: a worker that dies between
    trials (the out-of-memory killer, a user's kill)."""

    def __init__(self, executor: LocalExecutor) -> None:
        self.executor, self.killed = executor, False

    def on_trial_end(self, trial, best) -> None:
        if not self.killed:
            process = self.executor._workers[0].process
            process.kill()
            process.wait()
            self.killed = True


def test_a_worker_that_died_while_idle_is_replaced_and_no_trial_fails(trec, glove, tmp_path, caplog) -> None:
    executor = LocalExecutor(1)
    killer = KillsTheIdleWorker(executor)
    result = Orchestrator(
        trec, tmp_path, _space(glove, ["SGD", "AdamW"]), GridSearch(), callbacks=[killer], executor=executor
    ).optimize()
    assert killer.killed and [t.state.value for t in result.trials] == ["completed"] * 4
    assert "a local worker died while idle (exit code -9); a fresh one takes its place" in caplog.text


def test_a_failed_retry_is_recorded_as_the_run_it_was_not_as_run_0(trec, glove, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    sys.path.insert(0, str(TESTS))
    from killing_optimizers import SelfKillingSGD

    settings = StudySettings(TEXT_CLASSIFICATION, label_type="question_class", max_epochs=1, training_runs=3)
    runs_reported: list[RunRecord] = []
    executor = LocalExecutor(1, trial_retries=0)
    executor.start(SearchSetup(trec, settings, True, None, lambda trial, record: runs_reported.append(record)))
    config = {"document_embeddings": "DocumentPoolEmbeddings", "DocumentPoolEmbeddings.embeddings": [glove]}
    config |= {"optimizer": SelfKillingSGD, "learning_rate": 0.1}
    try:  # a resumed trial whose runs 0 and 1 completed before: only run 2 is left
        executor.submit(TrialJob(7, config, [(2, tmp_path / "run-2", 2)]), None)
        [(number, records)] = executor.wait()
    finally:
        executor.shutdown()
    assert number == 7 and [(r.run, r.state.value) for r in records] == [(2, "failed")]
    assert "WorkerCrashedError after 0 retries" in records[0].error


def test_a_search_killed_while_its_workers_train_resumes_without_losing_or_repeating_a_trial(
    flair_cache, tmp_path
) -> None:
    base, events = tmp_path / "search", tmp_path / "events"
    command = [sys.executable, str(TESTS / "local_search.py"), str(base), str(flair_cache), str(events)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and "end " not in (events.read_text() if events.exists() else ""):
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)  # while the second trial (at least) trains
    process.wait()
    journal = Journal(base / JOURNAL_NAME, read_only=True)
    before = {t.number: t.score for t in journal.trials() if t.state.finished}
    journal.close()
    assert 1 <= len(before) < 6
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = Journal(base / JOURNAL_NAME, read_only=True)
    after = {t.number: t.score for t in journal.trials() if t.state.finished}
    journal.close()
    assert sorted(after) == list(range(6)) and all(after[n] == score for n, score in before.items())
    ended = [line.split()[1] for line in events.read_text().splitlines() if line.startswith("end")]
    assert sorted(ended) == sorted(set(ended))  # no trial finished twice


def test_workers_stuck_in_a_step_die_with_a_killed_search(flair_cache, tmp_path) -> None:
    sleepers = tmp_path / "sleepers"
    sleepers.mkdir()
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "FLAIR_HPO_TEST_SLEEPERS": str(sleepers),
    }
    command = [sys.executable, str(TESTS / "local_search.py"), str(tmp_path / "search"), str(flair_cache)]
    command += [str(tmp_path / "events"), "SleepingSGD"]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    while not any(sleepers.iterdir()) and process.poll() is None and time.monotonic() - started < 180:
        time.sleep(0.2)
    workers = [psutil.Process(int(path.name)) for path in sleepers.iterdir()]
    try:
        assert workers, "no worker reached the sleeping optimizer"
        process.kill()  # as the out-of-memory killer or `kill -9` would
        process.wait()
        _, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive  # they would otherwise sleep on for two minutes
    finally:
        for worker in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()


def test_bad_settings_are_named() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"max_concurrent_trials \(a whole number or 'auto'\) must be a positive whole number, but got 0",
    ):
        LocalExecutor(0)
    with pytest.raises(ConfigurationError, match="but got 'automatic'"):
        LocalExecutor("automatic")
    with pytest.raises(ConfigurationError, match="trial_retries"):
        LocalExecutor(2, trial_retries=-1)


def test_the_same_configurations_score_the_same_as_one_at_a_time(trec, glove, tmp_path) -> None:
    import torch

    space = _space(glove, ["SGD", "AdamW"])
    alone = Orchestrator(trec, tmp_path / "alone", space, GridSearch(seed=3)).optimize()
    local = LocalExecutor(2, threads_per_trial=torch.get_num_threads())  # the same arithmetic as this process
    together = Orchestrator(
        trec, tmp_path / "together", _space(glove, ["SGD", "AdamW"]), GridSearch(seed=3), executor=local
    )
    scores = {t.number: (t.parameters, t.score) for t in together.optimize().trials}
    assert scores == {t.number: (t.parameters, t.score) for t in alone.trials}


def _packed_space(glove, marker: Path, times: int, failure: str = "OutOfMemoryEmbeddings") -> TextClassifierSearchSpace:
    import out_of_memory

    failing = getattr(out_of_memory, failure)(str(marker), times)
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_max_epochs_per_training_run(3)
    space.add_parameter(
        p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove, failing], [glove]]
    )  # the first trial fails (runs out of memory) at its first batch, while the second trains
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.1])
    return space


def test_auto_packs_a_trial_per_core_and_requeues_one_that_ran_out_of_gpu_memory(
    trec, glove, tmp_path, monkeypatch, caplog
) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    sys.path.insert(0, str(TESTS))
    monkeypatch.setattr("flair_hpo.executors.local.cpu_cores", lambda: 2)
    timeline, executor = Timeline(), LocalExecutor("auto")
    space = _packed_space(glove, tmp_path / "marker", times=1)
    result = Orchestrator(
        trec, tmp_path / "search", space, GridSearch(), callbacks=[timeline], executor=executor
    ).optimize()

    assert [t.state.value for t in result.trials] == ["completed", "completed"]
    assert timeline.most_at_once() == 2 and executor.threads_per_trial == 1
    assert (tmp_path / "marker").read_text() == "1"  # it ran out of memory once, then ran again
    journal = Journal(tmp_path / "search" / JOURNAL_NAME, read_only=True)
    assert [len(trial.runs) for trial in journal.trials()] == [1, 1]  # the out-of-memory run is not journalled
    journal.close()
    assert executor.packing is not None and executor.packing.lowered == {"cpu": 1}
    assert sorted(executor.cores_busy) == [0, 1] and all(0 < busy < 1.5 for busy in executor.cores_busy.values())
    assert "ran out of GPU memory with 2 trials on cpu: requeued; at most 1 there from now on" in caplog.text


def test_a_trial_out_of_gpu_memory_alone_fails_with_the_error(trec, glove, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    sys.path.insert(0, str(TESTS))
    monkeypatch.setattr("flair_hpo.executors.local.cpu_cores", lambda: 1)
    space = _packed_space(glove, tmp_path / "marker", times=5)
    result = Orchestrator(trec, tmp_path / "search", space, GridSearch(), executor=LocalExecutor("auto")).optimize()
    assert [t.state.value for t in result.trials] == ["failed", "completed"]
    assert result.trials[0].error_summary.startswith("run 1: OutOfMemoryError: CUDA out of memory")
    assert (tmp_path / "marker").read_text() == "1"  # not run again: it ran alone


def test_a_tagger_corpus_with_span_labels_reaches_the_workers(wnut, glove, tmp_path) -> None:
    from flair_hpo.tasks import SequenceTaggerSearchSpace

    space = SequenceTaggerSearchSpace(tag_type="ner")  # flair's spans do not pickle as they are
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(p.SequenceTagger.EMBEDDINGS, options=[glove])
    space.add_parameter(p.SequenceTagger.HIDDEN_SIZE, options=[16, 32])
    result = Orchestrator(wnut, tmp_path, space, GridSearch(), executor=LocalExecutor(2)).optimize()
    assert [t.state.value for t in result.trials] == ["completed", "completed"]
    assert all(t.score is not None for t in result.trials)


def test_a_worker_killed_while_it_waits_for_an_early_stopping_answer_is_found_dead_not_raised() -> None:
    from multiprocessing import Pipe

    from flair_hpo.early_stopping import MedianStopping
    from flair_hpo.executors.local_processes import Worker

    search_side, worker_side = Pipe()
    worker_side.send(("report", 0, 0, 1, 0.5))  # the worker asks the rule after an epoch, then dies
    worker_side.close()
    rule = MedianStopping()
    rule.bind(3)
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    worker = Worker(process, search_side, job=TrialJob(0, {}, [(0, Path("run-1"), 0)]), rule=rule)
    assert LocalExecutor(1)._receive(worker) == []  # the answer is lost, not raised as BrokenPipeError
    with pytest.raises(EOFError):  # the next read finds the worker gone: the trial is retried from there
        search_side.recv()


def test_a_worker_lost_after_its_trial_ended_early_is_not_retried(monkeypatch) -> None:
    """Its first run failed and was reported; the worker died before saying it was done: the trial keeps that
    run, and its second run is neither retried nor recorded as failed."""
    from multiprocessing import Pipe

    from flair_hpo.executors.local_processes import Worker
    from flair_hpo.storage import State

    executor = LocalExecutor(1, trial_retries=2)
    dispatched: list[TrialJob] = []
    monkeypatch.setattr(executor, "_replace", lambda worker: Worker(worker.process, Pipe()[0]))
    monkeypatch.setattr(executor, "_dispatch", lambda worker, job, rule: dispatched.append(job))
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    job = TrialJob(4, {}, [(0, Path("run-1"), 0), (1, Path("run-2"), 1)])
    failed = RunRecord(0, State.FAILED, error="ValueError: the optimizer refused the learning rate")
    worker = Worker(process, Pipe()[0], job=job, reported=[failed])
    assert executor._worker_died(worker, job) == [(4, [failed])] and dispatched == []
    worker = Worker(process, Pipe()[0], job=job, reported=[RunRecord(0, State.COMPLETED)])
    assert executor._worker_died(worker, job) == [] and [j.runs for j in dispatched] == [[job.runs[1]]]  # retried


def test_values_workers_can_import_pass_and_others_are_named(glove) -> None:
    import functools
    import threading

    from flair_hpo.executors.sendable import check_sendable
    from flair_hpo.search.settings import StudySettings
    from flair_hpo.space import Categorical, Space
    from flair_hpo.tasks import TEXT_CLASSIFICATION

    def space_of(*options) -> Space:
        return Space({"optimizer": Categorical(list(options))}, fixed={"embeddings": [glove]})

    from flair_hpo.testing.fake_executor import toy_corpus

    settings = StudySettings(task=TEXT_CLASSIFICATION)
    corpus = toy_corpus()
    check_sendable(space_of("SGD", torch.optim.AdamW, 0.1, None), settings, corpus, "LocalExecutor")  # nothing raised
    for unsendable, reason in [
        (lambda parameters: None, r"it is defined inside a function \(test_values_workers.*<lambda>\)"),
        (
            functools.partial(lambda rate: None, 0.1),
            r"it is defined inside a function \(test_values_workers.*<lambda>\)",
        ),
        (threading.Lock(), r"cannot be pickled \(TypeError: cannot pickle '_thread.lock' object\)"),
    ]:
        with pytest.raises(ConfigurationError, match=reason):
            check_sendable(space_of("SGD", unsendable), settings, corpus, "LocalExecutor")


def test_a_trial_is_timed_from_when_its_worker_starts_it_not_from_the_workers_imports() -> None:
    from multiprocessing import Pipe

    from flair_hpo.executors.local_processes import Worker

    search_side, worker_side = Pipe()
    executor = LocalExecutor(1, trial_timeout=0.01)
    worker = Worker(subprocess.Popen([sys.executable, "-c", "pass"]), search_side, job=TrialJob(0, {}, []))
    executor._workers = [worker]
    time.sleep(0.05)  # sent, and the worker still importing flair
    assert executor._cancel_overdue() == [] and worker.job is not None
    worker_side.send(("started",))
    assert executor._receive(worker) == [] and worker.started is not None  # timed from now on
    worker.process.wait()


def test_a_worker_that_met_a_cuda_error_is_replaced_and_the_next_trial_trains(
    trec, glove, tmp_path, monkeypatch, caplog
) -> None:
    """CUDA keeps a device-side assert for the process's life: its worker would fail every later trial."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    sys.path.insert(0, str(TESTS))
    space = _packed_space(glove, tmp_path / "marker", times=1, failure="CudaErrorEmbeddings")
    result = Orchestrator(trec, tmp_path / "search", space, GridSearch(), executor=LocalExecutor(1)).optimize()
    assert [t.state.value for t in result.trials] == ["failed", "completed"]
    assert "CUDA error: device-side assert triggered" in result.trials[0].error_summary
    assert "trial 0 met a CUDA error that stays with its worker: a fresh one takes its place" in caplog.text


def test_freeing_cudas_cache_after_a_sticky_cuda_error_is_logged_not_raised(monkeypatch, caplog) -> None:
    """After a device-side assert, freeing CUDA's cache fails too: the run's record and the worker's "done"
    must still get out, so that the trial is journalled with its error and the worker replaced."""
    import torch

    from flair_hpo.training.runner import free_cuda_cache

    def sticky() -> None:
        raise RuntimeError("CUDA error: device-side assert triggered")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", sticky)
    free_cuda_cache()
    assert "CUDA's cached memory could not be freed: CUDA error: device-side assert triggered" in caplog.text
