"""An executor that trains nothing: the orchestrator's loop, budgets, stopping reasons and resume tested in seconds.

Each run of a trial reaches ``score(config)`` (a number for every epoch, or a curve of per-epoch values;
None fails the run). Up to ``max_concurrent_trials`` trials are "running" at once; of those, the one with
the lowest ``cost(config)`` finishes first (the lowest number among equals). So the order trials finish in
is a function of what runs, out of number order where costs differ, and the same in a resumed search as in
an uninterrupted one. ``seconds_per_cost`` makes a trial take real time (for tests that kill the search).
``seed_noise(config, seed)`` is added to every value of a run with that seed (None fails the run).
``writes_weights``: each run's weights file (text naming the trial and run) is written when its trial is
submitted, as the runs of a trial that trains for a while leave their weights while other trials finish.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from flair_hpo.executors.base import Executor, Outcome, SearchSetup, TrialJob
from flair_hpo.storage import RunRecord, State
from flair_hpo.storage.records import RUN_MODEL_NAME

if TYPE_CHECKING:
    from flair.data import Corpus


Score = Callable[[dict[str, Any]], Union[None, float, Sequence[float]]]


def toy_corpus(label_type: str = "class") -> Corpus:
    """Four labelled sentences: enough for a search's corpus checks, with nothing to train on."""
    from flair.data import Corpus, Sentence

    def labelled(text: str, label: str) -> Sentence:
        sentence = Sentence(text)
        sentence.add_label(label_type, label)
        return sentence

    return Corpus(
        train=[labelled("a b", "x"), labelled("c d", "y")],
        dev=[labelled("e f", "x")],
        test=[labelled("g h", "y")],
        sample_missing_splits=False,
    )


class FakeExecutor(Executor):
    """Scores configurations with closed-form functions instead of training them."""

    def __init__(
        self,
        score: Score,
        cost: Callable[[dict[str, Any]], float] = lambda config: 1.0,
        max_concurrent_trials: int = 1,
        seconds_per_cost: float = 0.0,
        epochs: int = 3,
        on_submit: Optional[Callable[[int], None]] = None,
        seed_noise: Optional[Callable[[dict[str, Any], int], Optional[float]]] = None,
        writes_weights: bool = False,
    ) -> None:
        self.score = score
        self.cost = cost
        self.max_concurrent_trials = max_concurrent_trials
        self.seconds_per_cost = seconds_per_cost
        self.epochs = epochs
        self.on_submit = on_submit
        self.seed_noise = seed_noise
        self.writes_weights = writes_weights
        self.submitted: list[int] = []  # trial numbers, in the order they were submitted
        self.finished: list[int] = []  # trial numbers, in the order they finished

    def start(self, search: SearchSetup) -> None:
        self._objective = search.settings.objective
        self._epochs = min(self.epochs, search.settings.max_epochs)
        self._on_run = search.on_run
        self._running: dict[int, tuple[TrialJob, Any]] = {}

    def submit(self, job: TrialJob, early_stopping: Any) -> None:
        self._running[job.number] = (job, early_stopping)
        self.submitted.append(job.number)
        for run_index, folder, _ in job.runs if self.writes_weights else []:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / RUN_MODEL_NAME).write_text(f"trial {job.number} run {run_index}", encoding="utf-8")
        if self.on_submit is not None:
            self.on_submit(job.number)

    def wait(self) -> list[tuple[int, Outcome]]:
        number = min(self._running, key=lambda n: (self.cost(self._running[n][0].config), n))
        job, rule = self._running.pop(number)
        seconds = self.cost(job.config) * self.seconds_per_cost
        deadline = job.deadline()
        left = deadline - time.monotonic() if deadline is not None else None
        time.sleep(max(0.0, min(seconds, left if left is not None else seconds)))
        out_of_time = left is not None and seconds > left
        records = []
        for run_index, _, seed in job.runs:
            record = self._run(job, run_index, seed, rule, out_of_time)
            record.duration = seconds / len(job.runs)
            self._on_run(number, record)
            records.append(record)
            if record.state is not State.COMPLETED:
                break
        self.finished.append(number)
        return [(number, records)]

    def _run(self, job: TrialJob, run_index: int, seed: int, rule: Any, out_of_time: bool) -> RunRecord:
        if out_of_time:
            return RunRecord(run_index, State.STOPPED)
        reached = self.score(job.config)
        noise = self.seed_noise(job.config, seed) if self.seed_noise is not None else 0.0
        if reached is None or noise is None:
            return RunRecord(run_index, State.FAILED, error="the closed-form objective gave no score")
        curve = [float(reached)] * self._epochs if isinstance(reached, (int, float)) else [float(v) for v in reached]
        curve = [value + noise for value in curve]
        record = RunRecord(run_index, State.COMPLETED)
        values: list[float] = []
        for epoch, value in enumerate(curve[: self._epochs], start=1):
            values.append(value)
            if rule is not None and rule.report(job.number, run_index, epoch, self._objective.maximised(value)):
                if epoch < self._epochs:
                    record.state = State.STOPPED_EARLY
                break
        record.dev_losses, record.dev_scores = (values, []) if self._objective.minimises else ([], values)
        record.score = self._objective.run_score(record.dev_scores, record.dev_losses)
        return record
