"""The interface of executors: start, submit trial jobs, wait for finished ones, shut down.

Only the orchestrator (the driver) journals, tells strategies and writes outputs; executors just train.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from flair_hpo.storage.records import RunRecord, State

if TYPE_CHECKING:
    from flair.data import Corpus

    from flair_hpo.search.settings import StudySettings
    from flair_hpo.space import Space
    from flair_hpo.training.embedding_cache import EmbeddingCache
    from flair_hpo.training.runner import TrialRunner


@dataclass
class TrialJob:
    """The training runs still to do for one trial."""

    number: int
    config: dict[str, Any]
    runs: list[tuple[int, Path, int]]  # (run index, folder, seed)
    seconds_left: Optional[float] = None  # until the search's time budget ends, when there is one
    submitted: float = field(default_factory=time.time)  # wall-clock time: workers on other machines read it too

    def seconds_left_now(self) -> Optional[float]:
        """Until the search's time budget ends, from now: the time the job waited before it started (queued,
        requeued, retried) counts against it."""
        return self.seconds_left - (time.time() - self.submitted) if self.seconds_left is not None else None

    def deadline(self) -> Optional[float]:
        """When the search's time budget ends, on this process's monotonic clock."""
        left = self.seconds_left_now()
        return time.monotonic() + left if left is not None else None


@dataclass(frozen=True)
class SearchSetup:
    """What an executor is started with: the search's corpus and settings, and where each run's record goes."""

    corpus: Corpus
    settings: StudySettings
    quiet: bool
    embedding_cache: Optional[EmbeddingCache]
    on_run: Callable[[int, RunRecord], None]  # called in the search's process as each run ends


Outcome = Union[list[RunRecord], str]  # the runs, or why the trial could not be run at all


def execute(
    runner: TrialRunner,
    job: TrialJob,
    early_stopping: Any = None,
    on_run: Optional[Callable[[RunRecord], None]] = None,
    node: Optional[str] = None,
    plugins: Callable[[], list[Any]] = list,
) -> list[RunRecord]:
    """Train a job's runs one after the other; stop at the first run that does not complete. ``plugins``
    makes further trainer plugins for each run."""
    deadline = job.deadline()
    records = []
    for run_index, folder, seed in job.runs:
        record = runner.run(
            job.config,
            run_index,
            folder,
            seed,
            deadline,
            plugins=plugins(),
            early_stopping=early_stopping,
            trial=job.number,
        )
        record.node = node
        records.append(record)
        if on_run is not None:
            on_run(record)
        if record.state is not State.COMPLETED:
            break
    return records


class Executor(ABC):
    """Runs trial jobs; ``max_concurrent_trials`` of them at a time."""

    max_concurrent_trials: int = 1

    def connect(self) -> None:
        """Check that trials can run at all; called before anything is written."""

    def check_search(self, space: Space, settings: StudySettings, corpus: Corpus) -> None:
        """Refuse values of ``space``, ``settings`` or ``corpus`` that trials could not run with here; called
        before anything is written."""

    @abstractmethod
    def start(self, search: SearchSetup) -> None:
        """Get ready to run trials of one search (before any training starts; bad settings raise here)."""

    def share_rule(self, rule: Any) -> Any:
        """The early-stopping rule as the workers reach it."""
        return rule

    @abstractmethod
    def submit(self, job: TrialJob, early_stopping: Any) -> None:
        """Start a job."""

    @abstractmethod
    def wait(self) -> list[tuple[int, Outcome]]:
        """Block until at least one submitted job has finished; their trial numbers and outcomes."""

    def shutdown(self) -> None:
        """Stop whatever still runs and let go of resources."""
