"""Trials one at a time, in the search's own process."""

from __future__ import annotations

from typing import Any

from flair_hpo.executors.base import Executor, Outcome, SearchSetup, TrialJob, execute
from flair_hpo.training.runner import TrialRunner


class InProcessExecutor(Executor):
    """Trains each trial as it is submitted; every run is journalled as soon as it ends."""

    max_concurrent_trials = 1

    def start(self, search: SearchSetup) -> None:
        self._runner = TrialRunner(search.corpus, search.settings, search.quiet, search.embedding_cache)
        self._on_run = search.on_run
        self._finished: list[tuple[int, Outcome]] = []

    def submit(self, job: TrialJob, early_stopping: Any) -> None:
        records = execute(self._runner, job, early_stopping, lambda record: self._on_run(job.number, record))
        self._finished.append((job.number, records))

    def wait(self) -> list[tuple[int, Outcome]]:
        finished, self._finished = self._finished, []
        return finished
