"""Trials in parallel on a Ray cluster (``pip install 'flair-hpo[ray]'``).

The corpus and the embedding objects of the search space are put into Ray's object store once; each
worker process reads them once and keeps them, with its own trial runner, for every later trial. A
trial whose worker dies is retried by Ray up to ``trial_retries`` times, then recorded as failed; a
trial running longer than ``trial_timeout`` seconds, timed from its task's start (not while it waits for
cluster resources), is cancelled and recorded as failed. Early stopping decisions are taken by one actor
that holds the rule, so all workers share one history.
"""

from __future__ import annotations

import itertools
import logging
import socket
from dataclasses import dataclass
from typing import Any, Optional, Union

import torch

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.executors import corpus_pickling
from flair_hpo.executors.base import Executor, Outcome, SearchSetup, TrialJob
from flair_hpo.executors.devices import is_out_of_memory
from flair_hpo.executors.packing import GpuShare, ray_fits
from flair_hpo.executors.ray_starts import StartTimes
from flair_hpo.executors.ray_worker import Shared, TrialResult, WorkerSetup, run_trial
from flair_hpo.executors.remote_rule import RemoteRule, RuleHolder
from flair_hpo.executors.shared_objects import on_the_cpu, picklable
from flair_hpo.optional import require
from flair_hpo.storage.records import State

log = logging.getLogger("flair_hpo")

OBJECT_STORE_BYTES = 512 * 1024**2
CONNECT_SECONDS = 5.0
_RESOURCE_NAMES = {"cpu", "gpu"}
AUTO = "auto"


@dataclass(frozen=True)
class _Task:
    """A submitted trial: its job, the token its task announces its start with, and the share of a GPU it holds."""

    job: TrialJob
    token: int
    gpu_fraction: float


def _check_answers(address: str) -> None:
    """Ray waits minutes for a cluster that is not there; a plain connection attempt says so at once."""
    if address == "auto" or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConnectionError("an address looks like 'host:port', 'auto' or 'ray://host:port'")
    with socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS):
        pass


class RayExecutor(Executor):
    """Runs trials as Ray tasks.

    ``address``: None starts a private local cluster; ``"auto"`` joins the cluster started on this machine
    with ``ray start``; ``"host:port"`` joins that cluster. ``resources_per_trial``: Ray resources one trial
    holds, e.g. ``{"cpu": 1, "gpu": 0.25}`` (four trials per GPU), or ``"auto"`` (the default): one core,
    and on a cluster with GPUs a whole GPU until a trial has reported its peak GPU memory, then the share of
    a GPU that peak needs with a margin (:class:`.packing.GpuShare`), so Ray packs trials on every node's
    GPUs; a trial that runs out of GPU memory beside others is run again, with one trial fewer per GPU.
    ``max_concurrent_trials``: default, as many as the cluster's resources allow.
    """

    def __init__(
        self,
        address: Optional[str] = None,
        resources_per_trial: Union[dict[str, float], str, None] = AUTO,
        max_concurrent_trials: Optional[int] = None,
        trial_retries: int = 2,
        trial_timeout: Optional[float] = None,
        num_cpus: Optional[int] = None,
    ) -> None:
        self.ray = require("ray", extra="ray")
        if not isinstance(resources_per_trial, (str, dict, type(None))) or (
            isinstance(resources_per_trial, str) and resources_per_trial != AUTO
        ):
            raise ConfigurationError(
                f"resources_per_trial must be {AUTO!r} or Ray resources such as {{'cpu': 1, 'gpu': 0.25}}, "
                f"but got {resources_per_trial!r}."
            )
        self.gpu_share: Optional[GpuShare] = None  # with "auto" on a cluster with GPUs
        self.auto = resources_per_trial in (None, AUTO)
        resources = (
            {"cpu": 1.0} if self.auto or not isinstance(resources_per_trial, dict) else dict(resources_per_trial)
        )
        unknown = sorted(set(resources) - _RESOURCE_NAMES)
        if unknown:
            raise ConfigurationError(
                f"resources_per_trial names {unknown}; valid resources are {sorted(_RESOURCE_NAMES)}."
            )
        for name, amount in resources.items():
            check_positive(f"resources_per_trial[{name!r}]", amount)
        if max_concurrent_trials is not None:
            max_concurrent_trials = check_positive("max_concurrent_trials", max_concurrent_trials, integer=True)
        if isinstance(trial_retries, bool) or not isinstance(trial_retries, int) or trial_retries < 0:
            raise ConfigurationError(f"trial_retries must be a whole number of at least 0, but got {trial_retries!r}.")
        if trial_timeout is not None:
            check_positive("trial_timeout", trial_timeout)
        self.address = address
        self.resources = resources
        self.requested_concurrency = max_concurrent_trials
        self.trial_retries = trial_retries
        self.trial_timeout = trial_timeout
        self.num_cpus = num_cpus
        self._running: dict[Any, _Task] = {}  # by task reference
        self._tokens = itertools.count()
        self._starts: Optional[StartTimes] = None  # with a trial_timeout
        self._actors: list[Any] = []  # the start board and the early-stopping rule's holder
        self._early_stopping: Any = None
        self._owns_cluster = False

    # -- the cluster ---------------------------------------------------------------------------

    def connect(self) -> None:
        """Join or start the cluster, once: a cluster this executor started is shut down with it."""
        ray = self.ray
        if ray.is_initialized():
            return
        try:
            if self.address is None:
                ray.init(
                    num_cpus=self.num_cpus,
                    object_store_memory=OBJECT_STORE_BYTES,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
                self._owns_cluster = True
            else:
                _check_answers(self.address)
                ray.init(address=self.address, log_to_driver=False, configure_logging=False)
        except Exception as error:  # ConnectionError, RuntimeError, TimeoutError: none is meant to reach the user as is
            raise ConfigurationError(
                f"no Ray cluster answers at address {self.address!r}: {error}. Start one with 'ray start --head', "
                "pass address='auto' to join the one on this machine, or leave address out to start a private one."
            ) from None

    def _concurrency(self) -> int:
        available = self.ray.cluster_resources()
        fits = [
            ray_fits(available.get(name.upper(), 0), amount, per_device=name == "gpu")
            for name, amount in self._request().items()
        ]
        capacity = min(fits) if fits else 1
        if capacity < 1:
            raise ConfigurationError(
                f"the Ray cluster ({ {k: v for k, v in available.items() if k in ('CPU', 'GPU')} }) cannot hold one trial "
                f"with resources_per_trial={self.resources}."
            )
        return min(capacity, self.requested_concurrency or capacity)

    def _request(self) -> dict[str, float]:
        """The resources one more trial requests."""
        if self.gpu_share is None:
            return self.resources
        return {**self.resources, "gpu": self.gpu_share.fraction}

    def start(self, search: SearchSetup) -> None:
        self.connect()
        if self.auto and self.ray.cluster_resources().get("GPU", 0) > 0:
            self.gpu_share = GpuShare()
        self.max_concurrent_trials = self._concurrency()
        ray = self.ray
        self._shared_ids: dict[int, int] = {}
        self._shared: list[Any] = []
        self._setup = WorkerSetup(
            corpus=[ray.put(corpus_pickling.dumps(search.corpus))],
            settings=search.settings,
            quiet=search.quiet,
            cache_folder=search.embedding_cache.folder if search.embedding_cache else None,
            cache_memory_limit=search.embedding_cache.memory_limit if search.embedding_cache else None,
            shared=self._shared,
        )
        self._task = ray.remote(run_trial)
        self._starts = StartTimes(ray) if self.trial_timeout is not None else None
        self._actors = [self._starts.board] if self._starts is not None else []  # killed with the search
        log.info("Ray cluster with %s: up to %d trials at once", ray.cluster_resources(), self.max_concurrent_trials)

    def share_rule(self, rule: Any) -> Any:
        if rule is None:
            return None
        actor = self.ray.remote(RuleHolder).options(num_cpus=0).remote(rule)
        self._actors.append(actor)
        return RemoteRule(actor, rule.describe())

    # -- trials --------------------------------------------------------------------------------

    def _share(self, value: Any) -> Any:
        """Embedding objects go into the object store once; the configuration carries a stand-in."""
        if isinstance(value, list):
            return [self._share(item) for item in value]
        if isinstance(value, torch.nn.Module):
            if id(value) not in self._shared_ids:
                self._shared_ids[id(value)] = len(self._shared)
                self._shared.append(self._put(value))
            return Shared(self._shared_ids[id(value)])
        return value

    def _put(self, module: torch.nn.Module) -> Any:
        """Put an embedding object into the object store once (without flair's per-instance caches, and from
        the CPU: a task on another GPU, or on none, could not load it from this process's GPU)."""
        with picklable(module), on_the_cpu(module):
            return self.ray.put(module)

    def submit(self, job: TrialJob, early_stopping: Any) -> None:
        job.config = {key: self._share(value) for key, value in job.config.items()}
        request = self._request()
        task = self._task.options(
            num_cpus=request.get("cpu", 1), num_gpus=request.get("gpu", 0), max_retries=self.trial_retries
        )
        token = next(self._tokens)
        announce = (self._starts.board, token) if self._starts else None
        self._running[task.remote(self._setup, job, early_stopping, announce)] = _Task(
            job, token, request.get("gpu", 0)
        )
        self._early_stopping = early_stopping

    def wait(self) -> list[tuple[int, Outcome]]:
        ray = self.ray
        while True:
            ready, _ = ray.wait(list(self._running), num_returns=1, timeout=1.0)
            finished: list[tuple[int, Outcome]] = []
            for reference in ready:
                running = self._running.pop(reference)
                job = running.job
                number = job.number
                try:
                    result: TrialResult = ray.get(reference)
                except ray.exceptions.RayError as error:
                    reason = f"{type(error).__name__} after {self.trial_retries} retries: {str(error).splitlines()[0]}"
                    log.warning("trial %d could not be run: %s", number, reason)
                    finished.append((number, reason))
                    continue
                if not self._ran_out_of_memory_beside_others(running, result):
                    finished.append((number, result.records))
            finished += self._cancel_overdue()
            if finished:
                return finished

    def _ran_out_of_memory_beside_others(self, task: _Task, result: TrialResult) -> bool:
        """With "auto" on GPUs: learn from the trial's peak; a trial that ran out of GPU memory while sharing
        its GPU is submitted again (its runs are not journalled) with one trial fewer per GPU from now on."""
        if self.gpu_share is None:
            return False
        self.gpu_share.measured(result.peak_gpu_bytes, result.gpu_bytes)
        last = result.records[-1] if result.records else None
        oom = last is not None and last.state is State.FAILED and is_out_of_memory(last.error or "")
        if oom and self.gpu_share.out_of_memory(task.gpu_fraction):
            log.warning("trial %d ran out of GPU memory beside others: run again, %d trials per GPU from now on",
                        task.job.number, self.gpu_share.trials_per_gpu())  # fmt: skip
            self.submit(task.job, self._early_stopping)
            return True
        self.max_concurrent_trials = self._concurrency()
        return False

    def _cancel_overdue(self) -> list[tuple[int, Outcome]]:
        if self._starts is None or self.trial_timeout is None:
            return []
        self._starts.update({task.token for task in self._running.values()})
        overdue = [
            (ref, task.job.number)
            for ref, task in self._running.items()
            if (self._starts.running_for(task.token) or 0.0) > self.trial_timeout
        ]
        for reference, number in overdue:
            self.ray.cancel(reference, force=True)
            del self._running[reference]
            log.warning("trial %d ran longer than %.0f s and was cancelled", number, self.trial_timeout)
        return [
            (number, f"cancelled after running longer than trial_timeout={self.trial_timeout:g} s")
            for _, number in overdue
        ]

    def shutdown(self) -> None:
        for reference in list(self._running):
            self.ray.cancel(reference, force=True)
        self._running.clear()
        for actor in self._actors:  # a joined cluster outlives the search: its actors do not
            self.ray.kill(actor)
        self._actors, self._starts = [], None
        if self._owns_cluster:
            self.ray.shutdown()
            self._owns_cluster = False
