"""The search loop: ask the strategy, train the configuration ``training_runs`` times, journal, tell.

Everything is validated before the first training starts. Every ask and tell is journalled with the trial
it concerns, so a search that crashed or was interrupted resumes on the same ``base_path`` without rerunning
finished trials, and its strategy proposes exactly what an uninterrupted search would have, however many
trials ran at once (see :mod:`flair_hpo.search.study`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional, Union

from flair.data import Corpus

from flair_hpo.early_stopping import EarlyStopping
from flair_hpo.errors import JournalMismatchError
from flair_hpo.executors.base import Executor, Outcome, SearchSetup, TrialJob
from flair_hpo.executors.in_process import InProcessExecutor
from flair_hpo.search.best_model import BestModel, run_folder
from flair_hpo.search.callbacks import SearchCallback, SearchContext
from flair_hpo.search.final_selection import FinalSelection
from flair_hpo.search.outputs import write_outputs
from flair_hpo.search.preparation import check_arguments, fingerprint, prepare_search
from flair_hpo.search.stop_reasons import refused_for_size, stop_reason, time_is_up
from flair_hpo.search.study import open_journal, replay
from flair_hpo.storage import RunRecord, SearchResult, State, TrialRecord, exclusive_use
from flair_hpo.strategies import SearchStrategy, Suggestion
from flair_hpo.tasks import TaskSearchSpace
from flair_hpo.training.ctrl_c import CtrlC, ctrl_c_noted
from flair_hpo.training.embedding_cache import CACHE_FOLDER_NAME, EmbeddingCache
from flair_hpo.training.frozen_heap import frozen_heap

log = logging.getLogger("flair_hpo")

LOG_NAME = "search.log"


class Orchestrator:
    """Runs a search of ``search_space`` with ``search_strategy`` on ``corpus``, writing into ``base_path``.

    ``embedding_cache``: True (the default) computes embeddings that never change once for the whole search
    and keeps them in ``base_path/embedding-cache``; an :class:`EmbeddingCache` sets its folder and memory
    limit; False computes every embedding in every batch, as flair does.
    ``early_stopping``: a rule (:mod:`flair_hpo.early_stopping`) that stops unpromising trials after an epoch;
    a stopped trial is recorded with the scores it reached, told to the strategy, and never selected as best.
    ``executor``: where trials train; the default trains them one at a time in this process, a
    :class:`~flair_hpo.executors.RayExecutor` trains several at once on a Ray cluster. Only this process
    writes the journal and the outputs.
    ``final_selection``: a :class:`FinalSelection` trains the best few configurations again with further
    seeds when the search ends, and the best is chosen by the mean of its runs.
    """

    def __init__(
        self,
        corpus: Corpus[Any],
        base_path: Union[str, Path],
        search_space: TaskSearchSpace,
        search_strategy: SearchStrategy,
        quiet_training: bool = True,
        callbacks: Sequence[SearchCallback] = (),
        embedding_cache: Union[bool, EmbeddingCache] = True,
        early_stopping: Optional[EarlyStopping] = None,
        executor: Optional[Executor] = None,
        final_selection: Optional[FinalSelection] = None,
    ) -> None:
        check_arguments(search_strategy, early_stopping, executor, final_selection)
        self.corpus = corpus
        self.base_path = Path(base_path)
        self.search_space = search_space
        self.strategy = search_strategy
        self.quiet_training = quiet_training
        self.callbacks = list(callbacks)
        if embedding_cache is True:
            embedding_cache = EmbeddingCache(self.base_path / CACHE_FOLDER_NAME)
        self.embedding_cache = embedding_cache or None
        self.early_stopping = early_stopping
        self.executor = executor if executor is not None else InProcessExecutor()
        self.final_selection = final_selection
        self._rule: Any = None
        self.last_result: Optional[SearchResult] = None  # also set when the search was interrupted
        self._ctrl_c = CtrlC()

    # -- the loop ------------------------------------------------------------------------------

    def optimize(self) -> SearchResult:
        """Search until a budget is used up or the strategy is exhausted; returns every trial and the best."""
        space, settings = prepare_search(
            self.corpus, self.base_path, self.search_space, self.strategy, self.early_stopping, self.executor
        )
        started = time.monotonic()
        deadline = started + settings.budgets.seconds if settings.budgets.seconds is not None else None
        search_deadline = deadline
        if deadline is not None and settings.budgets.seconds is not None and self.final_selection is not None:
            search_deadline = deadline - self.final_selection.budget_share * settings.budgets.seconds
        with exclusive_use(self.base_path):
            journal = open_journal(
                self.base_path,
                fingerprint(self.corpus, space, settings, self.strategy, self.early_stopping),
                self.strategy,
            )
            self._space, self._settings, self._journal = space, settings, journal
            self._best_model = BestModel(self.base_path, settings.objective)
            handler = logging.FileHandler(self.base_path / LOG_NAME, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            log.addHandler(handler)
            try:
                self.executor.start(
                    SearchSetup(self.corpus, settings, self.quiet_training, self.embedding_cache, self._save_run)
                )
                self._rule = self.executor.share_rule(self.early_stopping)
                with ctrl_c_noted() as self._ctrl_c, frozen_heap():  # collections after runs walk less
                    self._search(search_deadline, deadline)
                    if self.final_selection is not None:
                        self._select_by_seeds(self.final_selection, deadline)
            finally:
                try:
                    self.executor.shutdown()  # a second Ctrl-C while it waits for workers still writes the outputs
                finally:
                    result = self.last_result = self._write_outputs()
                    journal.close()
                    log.removeHandler(handler)
                    handler.close()
                    for callback in self.callbacks:
                        callback.on_search_end(result)
        log.info("%r", result)
        return result

    def _search(self, asking_deadline: Optional[float], deadline: Optional[float]) -> None:
        """Keep up to ``max_concurrent_trials`` trials running until a budget ends or the strategy is exhausted:
        none starts after ``asking_deadline`` (a final selection's share of the time budget), and those running
        then may train until ``deadline``. Trials pending when the search last stopped run first, with the points
        they were asked with."""
        replayed = replay(self._journal, self.strategy, on_tell=self._inform_early_stopping)
        finished, waiting = replayed.told, replayed.pending
        log.info(
            "search in %s: %s with seed %d, %d finished trials, %d to run again",
            self.base_path,
            self.strategy.name,
            self.strategy.seed,
            len(finished),
            len(waiting),
        )
        trained = sum(1 for trial in finished if not refused_for_size(trial))
        context = SearchContext(
            self.base_path, self._settings, self.strategy.name, self.strategy.seed, len(finished), trained
        )
        for callback in self.callbacks:
            callback.on_search_start(context)
        running: dict[int, TrialRecord] = {}
        reason: Optional[str] = None
        while True:
            while reason is None and len(running) < self.executor.max_concurrent_trials:
                if waiting:
                    reason = time_is_up(asking_deadline)
                    trial = self._restart_trial(waiting.pop(0)) if reason is None else None
                else:
                    reason = stop_reason(self._settings, self.strategy, finished, asking_deadline, running=len(running))
                    trial = self._ask(running) if reason is None else None
                    if reason is None and trial is None:
                        reason = "the strategy has proposed every configuration"
                if trial is not None:
                    running[trial.number] = trial
                    self.executor.submit(self._job(trial, deadline), self._rule)
            if not running:
                break
            for number, outcome in self.executor.wait():
                trial = self._finish_trial(running.pop(number), outcome)
                if trial.state is State.STOPPED:
                    reason = "the time budget ran out"
                else:
                    finished.append(trial)
                    self.strategy.tell(trial.number, trial.objective, trial.state is State.STOPPED_EARLY)
                journalled = self._journal.trials()
                best = self._best_model.update(journalled, keep=self._weights_to_keep(journalled, running, waiting))
                if trial.state is not State.STOPPED:
                    self._write_outputs()
                for callback in self.callbacks:
                    callback.on_trial_end(trial, best)
            self._ctrl_c.check()  # between trials, a Ctrl-C whose interrupt was caught on the way
        log.info("search ended: %s", reason)

    def _weights_to_keep(
        self, journalled: list[TrialRecord], running: dict[int, TrialRecord], waiting: list[TrialRecord]
    ) -> set[int]:
        """Trials whose weights may yet become the best model's: those still to finish, and the final selection's
        first candidates."""
        keep = set(running) | {trial.number for trial in waiting}
        if self.final_selection is not None:
            keep |= {trial.number for trial in self.final_selection.leaders(journalled, self._settings.objective)}
        return keep

    def _inform_early_stopping(self, trial: TrialRecord, finished: bool = True) -> None:
        """Let the early-stopping rule hear the journalled epochs of a trial (its decisions were taken then)."""
        if self._rule is None:
            return
        objective = self._settings.objective
        for run in trial.runs:
            for epoch, value in enumerate(objective.run_values(run.dev_scores, run.dev_losses), start=1):
                self._rule.report(trial.number, run.run, epoch, objective.maximised(value))
        if finished:
            self._rule.finish(trial.number, trial.state is State.COMPLETED)

    def _ask(self, running: dict[int, TrialRecord]) -> Optional[TrialRecord]:
        """A new trial at the strategy's next point, journalled with its ask; None when the strategy has none."""
        suggestion: Optional[Suggestion] = self.strategy.ask()
        if suggestion is None:
            return None
        previous = self._journal.trial(suggestion.trial_id)  # an unfinished trial of a journal without events
        if previous is not None and previous.point != suggestion.point:
            raise JournalMismatchError(
                f"trial {suggestion.trial_id} in {self.base_path} was journalled with another configuration."
            )
        trial = TrialRecord(suggestion.trial_id, suggestion.point, self._space.describe_point(suggestion.point))
        self._keep_completed_runs(trial, previous)
        self._journal.record_ask(trial, pending=sorted(running))
        self._announce(trial)
        return trial

    def _restart_trial(self, journalled: TrialRecord) -> TrialRecord:
        """A trial pending when the search stopped, started again; its completed runs are kept."""
        trial = TrialRecord(journalled.number, journalled.point, journalled.parameters)
        self._keep_completed_runs(trial, journalled)
        self._journal.save_trial(trial)
        self._announce(trial)
        return trial

    def _keep_completed_runs(self, trial: TrialRecord, previous: Optional[TrialRecord]) -> None:
        trial.runs = [run for run in (previous.runs if previous else []) if run.state is State.COMPLETED]
        self._inform_early_stopping(trial, finished=False)

    def _announce(self, trial: TrialRecord) -> None:
        for callback in self.callbacks:
            callback.on_trial_start(trial)
        log.info("trial %d: %s", trial.number, ", ".join(f"{k}={v}" for k, v in trial.parameters.items()))

    def _job(self, trial: TrialRecord, deadline: Optional[float], runs_in_all: Optional[int] = None) -> TrialJob:
        """The runs a trial still needs (``training_runs``, or ``runs_in_all``). Run k is seeded ``seed + k``; a
        configuration tried again after an early stop continues after its earlier tries' seeds."""
        first_seed = self.strategy.seed + self.strategy.early_stops(trial.point) * self._settings.training_runs
        runs = [
            (index, run_folder(self.base_path, trial.number, index), first_seed + index)
            for index in range(len(trial.runs), runs_in_all or self._settings.training_runs)
        ]
        seconds_left = deadline - time.monotonic() if deadline is not None else None
        return TrialJob(trial.number, self._space.decode(trial.point), runs, seconds_left)

    def _save_run(self, trial_number: int, run: RunRecord) -> None:
        if run.run >= self._settings.training_runs and run.state is not State.COMPLETED:
            return  # a further seed of the final selection that did not finish leaves its trial as it was
        self._journal.save_run(trial_number, run)

    def _select_by_seeds(self, selection: FinalSelection, deadline: Optional[float]) -> None:
        """Train the best configurations again with further seeds until the best few all have their runs."""
        objective, tried = self._settings.objective, set[int]()
        while time_is_up(deadline) is None:
            candidates = selection.next_candidates(self._journal.trials(), objective, tried)
            if not candidates:
                break
            tried.update(trial.number for trial in candidates)
            seconds_left = deadline - time.monotonic() if deadline is not None else None
            fitting = selection.that_fit(candidates, seconds_left, self.executor.max_concurrent_trials)
            waiting = {trial.number: trial for trial in fitting}
            for trial in candidates:
                if trial.number not in waiting:
                    log.info(
                        "trial %d: not trained again, its further runs would not end in the time left", trial.number
                    )
            for trial in waiting.values():
                log.info("trial %d: trained again with further seeds, %d runs in all", trial.number, selection.runs)
                self.executor.submit(self._job(trial, deadline, selection.runs), None)
            while waiting:
                for number, outcome in self.executor.wait():
                    runs_before = len(waiting[number].runs)
                    trial = self._add_selection_runs(waiting.pop(number), outcome)
                    best = self._best_model.update(self._journal.trials(), keep=tried)
                    if len(trial.runs) > runs_before:  # its score changed: a further run completed
                        for callback in self.callbacks:
                            callback.on_trial_rescored(trial, best)
                self._ctrl_c.check()
        self._best_model.update(self._journal.trials(), keep=())

    def _add_selection_runs(self, trial: TrialRecord, outcome: Outcome) -> TrialRecord:
        """A candidate's further runs that completed join its runs; its score becomes their mean."""
        completed = [run for run in outcome if run.state is State.COMPLETED] if not isinstance(outcome, str) else []
        trial.runs += completed
        self._summarize(trial)
        self._journal.save_trial(trial)
        log.info(
            "trial %d: %d further runs completed; %s %s over %d runs",
            trial.number,
            len(completed),
            self._settings.objective.label,
            trial.score,
            len(trial.runs),
        )
        return trial

    def _finish_trial(self, trial: TrialRecord, outcome: Outcome) -> TrialRecord:
        """Journal a trial's runs and result with its tell."""
        if isinstance(outcome, str):
            trial.runs.append(RunRecord(len(trial.runs), State.FAILED, error=outcome))
        else:
            trial.runs += outcome
        self._summarize(trial)
        objective = self._settings.objective
        self._journal.record_end(trial, told=trial.state.finished)
        if self._rule is not None and trial.state.finished:
            self._rule.finish(trial.number, trial.state is State.COMPLETED)
        log.info("trial %d %s: %s %s", trial.number, trial.state.value, objective.label, trial.score)
        return trial

    def _summarize(self, trial: TrialRecord) -> None:
        """State, score and spread from the runs; the maximised objective strategies see."""
        trial.summarize()
        if trial.state.informs and trial.score is not None:
            trial.objective = self._settings.objective.maximised(trial.score)

    def _write_outputs(self) -> SearchResult:
        header = (
            f"flair-hpo search: {self._settings.task.name}, label type {self._settings.label_type!r}, "
            f"{self.strategy.name} (seed {self.strategy.seed}), at most {self._settings.max_epochs} epochs per run"
        )
        return write_outputs(self.base_path, self._journal.trials(), self._space, self._settings, header)
