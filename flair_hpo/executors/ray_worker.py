"""The worker side of the Ray executor: what one Ray task runs, and what each worker process keeps between tasks
(its trial runner, the corpus and the shared embedding objects it has read from the object store)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import torch

from flair_hpo.executors import corpus_pickling
from flair_hpo.executors.base import TrialJob, execute
from flair_hpo.storage.records import RunRecord

if TYPE_CHECKING:
    from flair_hpo.search.settings import StudySettings


@dataclass(frozen=True)
class Shared:
    """Stands in a configuration for an object put into Ray's object store once."""

    index: int


@dataclass(frozen=True)
class WorkerSetup:
    corpus: list[Any]  # [ObjectRef]: nested, so Ray hands the reference, not a fresh copy, to each task
    settings: StudySettings
    quiet: bool
    cache_folder: Optional[Path]
    cache_memory_limit: Optional[int]
    shared: list[Any]  # [ObjectRef] of the shared embedding objects


_worker_state: dict[str, Any] = {}  # per worker process: the runner and the shared objects it has read


def _worker_runner(setup: WorkerSetup) -> Any:
    import ray

    from flair_hpo.training.embedding_cache import EmbeddingCache
    from flair_hpo.training.runner import TrialRunner

    key = setup.corpus[0].hex()
    if _worker_state.get("key") != key:
        corpus = corpus_pickling.loads(ray.get(setup.corpus[0]))
        cache = EmbeddingCache(setup.cache_folder, setup.cache_memory_limit) if setup.cache_folder else None
        _worker_state.clear()
        _worker_state.update(key=key, runner=TrialRunner(corpus, setup.settings, setup.quiet, cache), shared={})
    return _worker_state["runner"]


def _restore(value: Any, setup: WorkerSetup) -> Any:
    import ray

    if isinstance(value, Shared):
        shared = _worker_state["shared"]
        if value.index not in shared:
            shared[value.index] = ray.get(setup.shared[value.index])
        return shared[value.index]
    if isinstance(value, list):
        return [_restore(item, setup) for item in value]
    return value


@dataclass
class TrialResult:
    """What a remote task returns: the trial's run records, and its peak GPU memory and that GPU's memory."""

    records: list[RunRecord]
    peak_gpu_bytes: int = 0
    gpu_bytes: int = 0


def run_trial(
    setup: WorkerSetup, job: TrialJob, early_stopping: Any, announce: Optional[tuple[Any, int]] = None
) -> TrialResult:
    """The body of the remote task; ``announce``: the start board (an actor) to tell, and this task's token."""
    import flair
    import ray

    if announce is not None:
        board, token = announce
        board.begun.remote(token)

    from flair_hpo.training.frozen_heap import frozen_heap
    from flair_hpo.training.plugins import UsageReporter
    from flair_hpo.training.runner import free_cuda_cache

    runner = _worker_runner(setup)
    job.config = {key: _restore(value, setup) for key, value in job.config.items()}
    on_gpu = flair.device.type == "cuda"
    if on_gpu and torch.cuda.is_initialized():
        torch.cuda.reset_peak_memory_stats(flair.device)
    peaks = [0]
    with frozen_heap():  # the runner's collections after runs walk what the trial made
        records = execute(
            runner,
            job,
            early_stopping,
            node=ray.get_runtime_context().get_node_id(),
            plugins=lambda: [UsageReporter(flair.device, lambda peak, cores: peaks.append(peak))],
        )
    gpu_bytes = int(torch.cuda.mem_get_info(flair.device)[1]) if on_gpu else 0
    if on_gpu:  # the next trial's peak counts its own memory, not this one's cache
        free_cuda_cache()
    return TrialResult(records, max(peaks), gpu_bytes)
