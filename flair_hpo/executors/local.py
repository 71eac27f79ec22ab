"""Trials in parallel on this machine, without Ray: worker processes that start once and are reused.

Each worker imports flair, receives the corpus and the settings once, and keeps them for every trial it
trains; the embedding objects of the space are sent to each worker once. Embeddings that never change are
computed once, by the search's process, into the embedding cache's folder, and every worker reads those
tables memory-mapped. Only the search's process journals: workers send each run's record as it ends, and
ask the search's process for early-stopping decisions. A trial whose worker dies is retried on a fresh
worker ``trial_retries`` times, then recorded as failed; a trial running longer than ``trial_timeout``
seconds has its worker killed and is recorded as failed. Ctrl-C stops the workers with the search.
"""

from __future__ import annotations

import logging
import os
import pickle
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Listener, wait
from pathlib import Path
from typing import Any, Optional

import torch

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.executors.base import Executor, Outcome, SearchSetup, TrialJob
from flair_hpo.executors.local_worker import KEY_VARIABLE
from flair_hpo.executors.shared_objects import SharedObjects, indices
from flair_hpo.storage import RunRecord, State

log = logging.getLogger("flair_hpo")

START_SECONDS = 120.0  # for a worker process to start and connect (before it imports flair)


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    connection: Connection
    received: set[int] = field(default_factory=set)  # shared objects it holds
    job: Optional[TrialJob] = None
    rule: Any = None
    started: float = 0.0
    attempts: int = 0
    reported: list[RunRecord] = field(default_factory=list)


class LocalExecutor(Executor):
    """Runs up to ``max_concurrent_trials`` trials at once in worker processes on this machine.

    ``threads_per_trial``: torch threads each worker uses (default: this machine's cores shared out evenly).
    """

    def __init__(
        self,
        max_concurrent_trials: int = 2,
        trial_retries: int = 2,
        trial_timeout: Optional[float] = None,
        threads_per_trial: Optional[int] = None,
    ) -> None:
        check_positive("max_concurrent_trials", max_concurrent_trials, integer=True)
        if isinstance(trial_retries, bool) or not isinstance(trial_retries, int) or trial_retries < 0:
            raise ConfigurationError(f"trial_retries must be a whole number of at least 0, but got {trial_retries!r}.")
        if trial_timeout is not None:
            check_positive("trial_timeout", trial_timeout)
        if threads_per_trial is not None:
            check_positive("threads_per_trial", threads_per_trial, integer=True)
        self.max_concurrent_trials = max_concurrent_trials
        self.trial_retries = trial_retries
        self.trial_timeout = trial_timeout
        self.threads_per_trial = threads_per_trial or max(1, (os.cpu_count() or 1) // max_concurrent_trials)
        self._workers: list[_Worker] = []

    # -- workers -------------------------------------------------------------------------------

    def start(self, search: SearchSetup) -> None:
        self._corpus, self._cache, self._on_run = search.corpus, search.embedding_cache, search.on_run
        self._setup = (
            "setup",
            pickle.dumps(search.corpus),
            search.settings,
            search.quiet,
            search.embedding_cache.folder if search.embedding_cache else None,
            self.threads_per_trial,
        )
        self._shared = SharedObjects()
        self._key = secrets.token_bytes(32)
        self._folder = tempfile.mkdtemp(prefix="flair-hpo-workers-")
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(START_SECONDS)  # the listener's accept gives up after this
        try:
            self._listener = Listener(str(Path(self._folder) / "socket"), family="AF_UNIX", authkey=self._key)
        finally:
            socket.setdefaulttimeout(previous)
        self._workers = self._spawn(self.max_concurrent_trials)
        log.info("%d local workers, %d torch threads each", len(self._workers), self.threads_per_trial)

    def _spawn(self, count: int) -> list[_Worker]:
        """Start ``count`` workers and wait until each has connected and received the corpus."""
        environment = {**os.environ, KEY_VARIABLE: self._key.hex()}
        command = [sys.executable, "-m", "flair_hpo.executors.local_worker", str(self._listener.address)]
        processes = {}
        for _ in range(count):
            process = subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL)
            processes[process.pid] = process
        workers: list[_Worker] = []
        try:
            while len(workers) < count:
                connection = self._listener.accept()
                _, pid = connection.recv()
                connection.send(self._setup)
                workers.append(_Worker(processes[pid], connection))
        except OSError as error:  # a timeout included
            for process in processes.values():
                process.kill()
            raise RuntimeError(f"local worker processes did not start within {START_SECONDS:.0f} s: {error}") from None
        return workers

    def _replace(self, worker: _Worker) -> _Worker:
        """Kill a worker and start a fresh one in its place."""
        worker.process.kill()
        worker.process.wait()
        worker.connection.close()
        fresh = self._spawn(1)[0]
        self._workers[self._workers.index(worker)] = fresh
        return fresh

    # -- trials --------------------------------------------------------------------------------

    def submit(self, job: TrialJob, early_stopping: Any) -> None:
        worker = next(w for w in self._workers if w.job is None)
        worker.attempts, worker.reported = 0, []
        self._dispatch(worker, job, early_stopping)

    def _dispatch(self, worker: _Worker, job: TrialJob, rule: Any) -> None:
        if self._cache is not None:  # computed once here; workers read the tables from disk
            modules = [v for value in job.config.values() for v in (value if isinstance(value, list) else [value])]
            self._cache.prepare([m for m in modules if isinstance(m, torch.nn.Module)], self._corpus)
        config = {key: self._shared.stand_in(value) for key, value in job.config.items()}
        for index in sorted(set().union(*(indices(value) for value in config.values())) - worker.received):
            worker.connection.send(("share", index, self._shared.pickled[index]))
            worker.received.add(index)
        worker.job, worker.rule, worker.started = job, rule, time.monotonic()
        sent = TrialJob(job.number, config, job.runs, job.seconds_left, job.submitted)
        worker.connection.send(("job", sent, rule.describe() if rule is not None else None))

    def wait(self) -> list[tuple[int, Outcome]]:
        while True:
            busy = [w for w in self._workers if w.job is not None]
            ready = wait([w.connection for w in busy], timeout=1.0)
            finished: list[tuple[int, Outcome]] = []
            for worker in busy:
                if worker.connection in ready:
                    finished += self._receive(worker)
            finished += self._cancel_overdue()
            if finished:
                return finished

    def _receive(self, worker: _Worker) -> list[tuple[int, Outcome]]:
        job = worker.job
        assert job is not None
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            return self._worker_died(worker, job)
        if message[0] == "report":
            worker.connection.send(bool(worker.rule.report(*message[1:])))
        elif message[0] == "run":
            worker.reported.append(message[1])
            self._on_run(job.number, message[1])
        else:
            worker.job = None
            return [(job.number, list(worker.reported))]
        return []

    def _worker_died(self, worker: _Worker, job: TrialJob) -> list[tuple[int, Outcome]]:
        code = worker.process.wait()
        attempts, reported, rule = worker.attempts + 1, worker.reported, worker.rule
        fresh = self._replace(worker)
        if attempts <= self.trial_retries:
            log.warning("trial %d: its worker died (exit code %s); retrying on a fresh worker", job.number, code)
            done = {record.run for record in reported}
            retry = TrialJob(job.number, job.config, [r for r in job.runs if r[0] not in done], job.seconds_left)
            fresh.attempts, fresh.reported = attempts, reported
            self._dispatch(fresh, retry, rule)
            return []
        reason = f"WorkerCrashedError after {self.trial_retries} retries: its worker process died (exit code {code})"
        log.warning("trial %d could not be run: %s", job.number, reason)
        return [(job.number, [*reported, RunRecord(len(reported), State.FAILED, error=reason)])]

    def _cancel_overdue(self) -> list[tuple[int, Outcome]]:
        if self.trial_timeout is None:
            return []
        cancelled: list[tuple[int, Outcome]] = []
        for worker in [w for w in self._workers if w.job is not None]:
            if time.monotonic() - worker.started > self.trial_timeout:
                job, reported = worker.job, worker.reported
                assert job is not None
                self._replace(worker)
                reason = f"cancelled after running longer than trial_timeout={self.trial_timeout:g} s"
                log.warning("trial %d ran longer than %.0f s and was cancelled", job.number, self.trial_timeout)
                cancelled.append((job.number, [*reported, RunRecord(len(reported), State.FAILED, error=reason)]))
        return cancelled

    def shutdown(self) -> None:
        for worker in self._workers:
            try:
                if worker.job is None:
                    worker.connection.send(("stop",))
                else:
                    worker.process.kill()
            except OSError:
                worker.process.kill()
        for worker in self._workers:
            try:
                worker.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            worker.connection.close()
        self._workers = []
        if hasattr(self, "_listener"):
            self._listener.close()
