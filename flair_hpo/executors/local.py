"""Trials in parallel on this machine, without Ray: worker processes that start once and are reused.

Each worker imports flair, receives the corpus and the settings once, and keeps them for every trial it
trains; the embedding objects of the space are sent to each worker once. Embeddings that never change are
computed once, by the search's process, into the embedding cache's folder, and every worker reads those
tables memory-mapped. Only the search's process journals: workers send each run's record as it ends, and
ask the search's process for early-stopping decisions. A trial whose worker dies is retried on a fresh
worker ``trial_retries`` times, then recorded as failed; a trial running longer than ``trial_timeout``
seconds has its worker killed and is recorded as failed. Ctrl-C stops the workers with the search.

``max_concurrent_trials="auto"`` packs trials by what they are measured to use (:mod:`.packing`): on GPUs,
as many as fit each GPU's free memory and the CPU cores, a trial that runs out of GPU memory requeued with
one trial fewer on its GPU; without a GPU, one trial per core.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, Optional, Union

import torch

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.executors import corpus_pickling
from flair_hpo.executors.base import Executor, Outcome, SearchSetup, TrialJob
from flair_hpo.executors.devices import cpu_cores, gpu_free_bytes, is_out_of_memory, leaves_cuda_unusable
from flair_hpo.executors.job_remainders import remaining, unreported, with_failure
from flair_hpo.executors.local_processes import Worker, WorkerProcesses
from flair_hpo.executors.packing import Packing
from flair_hpo.executors.sendable import check_sendable
from flair_hpo.executors.shared_objects import SharedObjects, indices
from flair_hpo.space import Space
from flair_hpo.storage import RunRecord, State

if TYPE_CHECKING:
    from flair.data import Corpus

    from flair_hpo.search.settings import StudySettings

log = logging.getLogger("flair_hpo")

WORKERS_STARTED_AHEAD = 16  # at most, on GPUs with "auto" (16 small trainings shared an H100 well)


@dataclass
class _Queued:
    """A trial waiting for room: requeued after running out of GPU memory."""

    job: TrialJob
    rule: Any
    attempts: int
    reported: list[RunRecord]


class LocalExecutor(Executor):
    """Runs up to ``max_concurrent_trials`` trials at once in worker processes on this machine; ``"auto"``
    packs them by their measured GPU memory and CPU use (see the module's description).

    ``threads_per_trial``: torch threads each worker uses (default: this machine's cores shared out evenly;
    1 with ``"auto"``).
    """

    def __init__(
        self,
        max_concurrent_trials: Union[int, str] = 2,
        trial_retries: int = 2,
        trial_timeout: Optional[float] = None,
        threads_per_trial: Optional[int] = None,
    ) -> None:
        self.auto = max_concurrent_trials == "auto"
        if not self.auto:
            max_concurrent_trials = check_positive(
                "max_concurrent_trials (a whole number or 'auto')", max_concurrent_trials, integer=True
            )
        if isinstance(trial_retries, bool) or not isinstance(trial_retries, int) or trial_retries < 0:
            raise ConfigurationError(f"trial_retries must be a whole number of at least 0, but got {trial_retries!r}.")
        if trial_timeout is not None:
            check_positive("trial_timeout", trial_timeout)
        if threads_per_trial is not None:
            threads_per_trial = check_positive("threads_per_trial", threads_per_trial, integer=True)
        self._fixed_concurrency = 1 if self.auto else int(max_concurrent_trials)
        self.trial_retries = trial_retries
        self.trial_timeout = trial_timeout
        self.threads_per_trial = threads_per_trial or (
            1 if self.auto else max(1, cpu_cores() // self._fixed_concurrency)
        )
        self._workers: list[Worker] = []
        self._processes: Optional[WorkerProcesses] = None
        self._queue: list[_Queued] = []
        self.packing: Optional[Packing] = None
        self.peak_gpu_bytes: dict[int, int] = {}  # per trial: the most GPU memory its runs held (CUDA context included)
        self.cores_busy: dict[int, float] = {}  # per trial: its CPU time over its wall time, as last reported

    @property
    def max_concurrent_trials(self) -> int:  # type: ignore[override]  # with "auto", it grows as trials are measured
        return self.packing.total() if self.packing is not None else self._fixed_concurrency

    # -- workers -------------------------------------------------------------------------------

    def check_search(self, space: Space, settings: StudySettings, corpus: Corpus) -> None:
        check_sendable(space, settings, corpus, type(self).__name__)

    def start(self, search: SearchSetup) -> None:
        self._corpus, self._cache, self._on_run = search.corpus, search.embedding_cache, search.on_run
        setup = pickle.dumps(
            (
                "setup",
                corpus_pickling.dumps(search.corpus),
                search.settings,
                search.quiet,
                search.embedding_cache.folder if search.embedding_cache else None,
                self.threads_per_trial,
            )
        )
        self._shared = SharedObjects()
        self._processes = WorkerProcesses(setup, self.threads_per_trial)
        if self.auto:
            self.packing = Packing(gpu_free_bytes(), cpu_cores())
            log.info("packing trials on %s, %d cores", ", ".join(self.packing.devices), self.packing.cores)
        self._workers = self._processes.start(self._workers_at_start())
        log.info("%d local workers, %d torch threads each", len(self._workers), self.threads_per_trial)

    def _workers_at_start(self) -> int:
        """With "auto" on GPUs, workers for the trials the cores allow start beside the first trial, so that
        their imports are done when its measurement admits more; otherwise one per trial at once."""
        if self.packing is None or not self.packing.free_bytes:
            return self.max_concurrent_trials
        return min(self.packing.cores, WORKERS_STARTED_AHEAD)

    def _replace(self, worker: Worker) -> Worker:
        """Kill a worker and start a fresh one in its place."""
        assert self._processes is not None  # started
        fresh = self._processes.replace(worker)
        self._workers[self._workers.index(worker)] = fresh
        return fresh

    # -- trials --------------------------------------------------------------------------------

    def submit(self, job: TrialJob, early_stopping: Any) -> None:
        self._queue.append(_Queued(job, early_stopping, 0, []))
        self._start_queued()

    def _start_queued(self) -> None:
        """Start waiting trials while there is room (a free worker; with "auto", a device with room)."""
        while self._queue:
            device = None
            if self.packing is not None:
                running = Counter(w.device for w in self._workers if w.job is not None and w.device is not None)
                device = self.packing.place(dict(running))
                if device is None:
                    return
            idle = [w for w in self._workers if w.job is None]
            if not idle and self.packing is None:
                return  # a fixed number of workers, all busy
            worker = idle[0] if idle else self._add_workers(1)[0]
            queued = self._queue.pop(0)
            worker.attempts, worker.reported, worker.device = queued.attempts, queued.reported, device
            self._dispatch(worker, queued.job, queued.rule)

    def _add_workers(self, count: int) -> list[Worker]:
        """Start ``count`` more workers together (their imports overlap)."""
        assert self._processes is not None  # started
        workers = self._processes.start(count)
        self._workers += workers
        return workers

    def _dispatch(self, worker: Worker, job: TrialJob, rule: Any) -> None:
        if worker.process.poll() is not None:  # it died while idle (killed between trials): not the trial's fault
            log.warning(
                "a local worker died while idle (exit code %s); a fresh one takes its place", worker.process.returncode
            )
            fresh = self._replace(worker)
            fresh.attempts, fresh.reported, fresh.device = worker.attempts, worker.reported, worker.device
            worker = fresh
        if self._cache is not None:  # computed once here; workers read the tables from disk
            modules = [v for value in job.config.values() for v in (value if isinstance(value, list) else [value])]
            self._cache.prepare([m for m in modules if isinstance(m, torch.nn.Module)], self._corpus)
            if torch.cuda.is_initialized():  # what computing took here is free again for the trials packed by it
                torch.cuda.empty_cache()
        config = {key: self._shared.stand_in(value) for key, value in job.config.items()}
        worker.job, worker.rule, worker.started = job, rule, None
        sent = TrialJob(job.number, config, job.runs, job.seconds_left_now())  # the worker's clock starts now
        try:
            for index in sorted(set().union(*(indices(value) for value in config.values())) - worker.received):
                worker.connection.send(("share", index, self._shared.pickled[index]))
                worker.received.add(index)
            worker.connection.send(("job", sent, rule.describe() if rule is not None else None, worker.device))
        except OSError:  # it died just now: wait() reads the closed connection and retries the trial
            log.debug("trial %d: its worker died as the trial was sent", job.number)

    def wait(self) -> list[tuple[int, Outcome]]:
        """Finished trials; with "auto", also returns (maybe with none) as soon as there is room for more."""
        while True:
            capacity = self.max_concurrent_trials
            busy = [w for w in self._workers if w.job is not None]
            ready = wait([w.connection for w in busy], timeout=1.0)
            finished: list[tuple[int, Outcome]] = []
            for worker in busy:
                if worker.connection in ready:
                    finished += self._receive(worker)
            finished += self._cancel_overdue()
            if self.packing is not None and self.max_concurrent_trials > len(self._workers):
                added = self._add_workers(self.max_concurrent_trials - len(self._workers))
                log.info(
                    "%d more local workers: a trial was measured at %.2f GiB of GPU memory and %.1f cores busy",
                    len(added),
                    self.packing.peak_bytes / 2**30,
                    self.packing.cores_per_trial,
                )
            self._start_queued()
            if finished or (self.max_concurrent_trials > capacity and not self._queue):
                return finished

    def _receive(self, worker: Worker) -> list[tuple[int, Outcome]]:
        job = worker.job
        assert job is not None
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            return self._worker_died(worker, job)
        if message[0] == "started":
            worker.started = time.monotonic()
        elif message[0] == "report":
            with contextlib.suppress(OSError):  # it died after asking: the next read finds it gone and retries
                worker.connection.send(bool(worker.rule.report(*message[1:])))
        elif message[0] == "usage":
            peak_bytes, cores_busy = message[1:]
            self.peak_gpu_bytes[job.number] = max(peak_bytes, self.peak_gpu_bytes.get(job.number, 0))
            self.cores_busy[job.number] = cores_busy
            if self.packing is not None:
                self.packing.measured(peak_bytes, cores_busy)
        elif message[0] == "run":
            record = message[1]
            if self.packing is not None and record.state is State.FAILED and is_out_of_memory(record.error or ""):
                worker.out_of_memory = record  # journalled only if the trial is not run again
            else:
                worker.reported.append(record)
                self._on_run(job.number, record)
        else:
            worker.job = None
            if worker.out_of_memory is not None:
                return self._ran_out_of_memory(worker, job)
            if any(leaves_cuda_unusable(record.error or "") for record in worker.reported):
                log.warning(
                    "trial %d met a CUDA error that stays with its worker: a fresh one takes its place", job.number
                )
                self._replace(worker)
            return [(job.number, list(worker.reported))]
        return []

    def _ran_out_of_memory(self, worker: Worker, job: TrialJob) -> list[tuple[int, Outcome]]:
        """Requeue a trial that ran out of GPU memory beside others (its GPU takes one fewer from now on);
        one that ran out of memory alone has failed."""
        assert self.packing is not None and worker.device is not None and worker.out_of_memory is not None
        record, worker.out_of_memory = worker.out_of_memory, None
        beside = 1 + sum(1 for w in self._workers if w.job is not None and w.device == worker.device)
        if not self.packing.out_of_memory(worker.device, beside):
            self._on_run(job.number, record)
            return [(job.number, [*worker.reported, record])]
        log.warning(
            "trial %d ran out of GPU memory with %d trials on %s: requeued; at most %d there from now on",
            job.number,
            beside,
            worker.device,
            beside - 1,
        )
        self._queue.insert(0, _Queued(remaining(job, worker.reported), worker.rule, worker.attempts, worker.reported))
        return []

    def _worker_died(self, worker: Worker, job: TrialJob) -> list[tuple[int, Outcome]]:
        code = worker.process.wait()
        attempts, reported, rule = worker.attempts + 1, worker.reported, worker.rule
        fresh = self._replace(worker)
        if not unreported(job, reported):  # the trial had ended: only the worker's last message was lost
            return [(job.number, list(reported))]
        if attempts <= self.trial_retries:
            log.warning("trial %d: its worker died (exit code %s); retrying on a fresh worker", job.number, code)
            fresh.attempts, fresh.reported, fresh.device = attempts, reported, worker.device
            self._dispatch(fresh, remaining(job, reported), rule)
            return []
        reason = f"WorkerCrashedError after {self.trial_retries} retries: its worker process died (exit code {code})"
        log.warning("trial %d could not be run: %s", job.number, reason)
        return [(job.number, with_failure(job, reported, reason))]

    def _cancel_overdue(self) -> list[tuple[int, Outcome]]:
        if self.trial_timeout is None:
            return []
        cancelled: list[tuple[int, Outcome]] = []
        for worker in [w for w in self._workers if w.job is not None]:
            if worker.started is not None and time.monotonic() - worker.started > self.trial_timeout:
                job, reported = worker.job, worker.reported
                assert job is not None
                self._replace(worker)
                reason = f"cancelled after running longer than trial_timeout={self.trial_timeout:g} s"
                log.warning("trial %d ran longer than %.0f s and was cancelled", job.number, self.trial_timeout)
                cancelled.append((job.number, with_failure(job, reported, reason)))
        return cancelled

    def shutdown(self) -> None:
        if self._processes is not None:
            self._processes.stop(self._workers)
        self._workers, self._queue = [], []  # a search started again resubmits its unfinished trials
