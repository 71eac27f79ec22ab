"""Trials one at a time, in the search's own process."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional

from flair_hpo.executors.base import Executor, Outcome, TrialJob, execute
from flair_hpo.storage.records import RunRecord
from flair_hpo.training.runner import TrialRunner

if TYPE_CHECKING:
    from flair.data import Corpus

    from flair_hpo.search.settings import StudySettings
    from flair_hpo.training.embedding_cache import EmbeddingCache


class InProcessExecutor(Executor):
    """Trains each trial as it is submitted; every run is journalled as soon as it ends."""

    max_concurrent_trials = 1

    def start(
        self,
        corpus: Corpus,
        settings: StudySettings,
        quiet: bool,
        embedding_cache: Optional[EmbeddingCache],
        on_run: Callable[[int, RunRecord], None],
    ) -> None:
        self._runner = TrialRunner(corpus, settings, quiet, embedding_cache)
        self._on_run = on_run
        self._finished: list[tuple[int, Outcome]] = []

    def submit(self, job: TrialJob, early_stopping: Any) -> None:
        records = execute(self._runner, job, early_stopping, lambda record: self._on_run(job.number, record))
        self._finished.append((job.number, records))

    def wait(self) -> list[tuple[int, Outcome]]:
        finished, self._finished = self._finished, []
        return finished
