"""The search loop: ask the strategy, train the configuration ``training_runs`` times, journal, tell.

Everything is validated before the first training starts. Every state change is journalled, so a
search that crashed or was interrupted resumes on the same ``base_path`` without rerunning finished
trials, and its strategy proposes exactly what an uninterrupted search would have.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional, Union

from flair.data import Corpus

from flair_hpo.best_configuration import BEST_MODEL_NAME, BEST_PARAMETERS_NAME, BestConfiguration
from flair_hpo.callbacks import SearchCallback, SearchContext
from flair_hpo.early_stopping import EarlyStopping
from flair_hpo.errors import ConfigurationError, JournalMismatchError
from flair_hpo.executors.base import Executor, Outcome, TrialJob
from flair_hpo.executors.in_process import InProcessExecutor
from flair_hpo.journal import JOURNAL_NAME, Journal
from flair_hpo.locking import exclusive_use
from flair_hpo.metrics import OptimizationValue, to_objective
from flair_hpo.reports import PARAM_SELECTION_NAME, TRIALS_TABLE_NAME, write_param_selection, write_trials_table
from flair_hpo.results import RunRecord, SearchResult, State, TrialRecord
from flair_hpo.search_spaces import SearchSpace
from flair_hpo.search_strategies.base import SearchStrategy, Suggestion
from flair_hpo.settings import StudySettings
from flair_hpo.space import Space
from flair_hpo.training.corpus_checks import ensure_dev_split, resolve_label_type
from flair_hpo.training.embedding_cache import CACHE_FOLDER_NAME, EmbeddingCache

log = logging.getLogger("flair_hpo")

LOG_NAME = "search.log"


def prepare_base_path(base_path: Union[str, Path]) -> Path:
    """Create ``base_path`` and prove it writable, or say why it cannot be used."""
    path = Path(base_path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ConfigurationError(f"base_path {str(path)!r} cannot be written: {error.strerror or error}.") from None
    return path


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
    """

    def __init__(
        self,
        corpus: Corpus,
        base_path: Union[str, Path],
        search_space: SearchSpace,
        search_strategy: SearchStrategy,
        quiet_training: bool = True,
        callbacks: Sequence[SearchCallback] = (),
        embedding_cache: Union[bool, EmbeddingCache] = True,
        early_stopping: Optional[EarlyStopping] = None,
        executor: Optional[Executor] = None,
    ) -> None:
        self.corpus = corpus
        self.base_path = Path(base_path)
        self.search_space = search_space
        self.strategy = search_strategy
        self.quiet_training = quiet_training
        self.callbacks = list(callbacks)
        if embedding_cache is True:
            embedding_cache = EmbeddingCache(self.base_path / CACHE_FOLDER_NAME)
        self.embedding_cache = embedding_cache or None
        if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
            raise ConfigurationError(
                f"early_stopping must be MedianStopping, SuccessiveHalving or Hyperband from flair_hpo.early_stopping, "
                f"but got {early_stopping!r}."
            )
        self.early_stopping = early_stopping
        self.executor = executor if executor is not None else InProcessExecutor()
        self._rule: Any = None
        self.last_result: Optional[SearchResult] = None  # also set when the search was interrupted

    # -- preparation: everything that can be wrong is found here --------------------------------

    def _prepare(self) -> tuple[Space, StudySettings]:
        space = self.search_space.to_space()
        settings = self.search_space.to_settings()
        if self.strategy._space is None or self.strategy.space.describe() != space.describe():
            self.strategy.make_configurations(space)
        if settings.budgets.generations is not None and not self.strategy.counts_generations:
            raise ConfigurationError(
                f"a GENERATIONS budget needs a generational strategy (EvolutionarySearch), not {self.strategy.name}; use RUNS or TIME_IN_H."
            )
        if settings.budgets.is_unlimited() and space.grid_size() is None:
            raise ConfigurationError(
                "the search has no budget and a continuous space, so it would never end: add_budget(Budget.RUNS, n) or a time budget."
            )
        if self.early_stopping is not None:
            self.early_stopping.bind(settings.max_epochs)
        settings.label_type = resolve_label_type(self.corpus, settings.label_type)
        self.executor.connect()
        prepare_base_path(self.base_path)
        ensure_dev_split(self.corpus, self.strategy.seed)
        return space, settings

    def _open_journal(self, space: Space, settings: StudySettings) -> Journal:
        journal = Journal(self.base_path / JOURNAL_NAME)
        expected = {
            "task": settings.task.value,
            "label_type": settings.label_type,
            "space": space.describe(),
            "strategy": self.strategy.name,
            "objective": settings.objective_label,
            "max_epochs": settings.max_epochs,
            "training_runs": settings.training_runs,
            "early_stopping": self.early_stopping.describe() if self.early_stopping else None,
        }
        recorded = journal.metadata()
        if not recorded:
            journal.set_metadata({**expected, "seed": self.strategy.seed})
            return journal
        differing = sorted(key for key, value in expected.items() if recorded.get(key) != value)
        if differing:
            journal.close()
            raise JournalMismatchError(
                f"{self.base_path} holds a search whose {', '.join(differing)} differ from this one "
                f"(journal: {', '.join(f'{k}={recorded.get(k)!r}' for k in differing)}); resume it unchanged or use a new base_path."
            )
        if recorded["seed"] != self.strategy.seed:
            if self.strategy.seed_given:
                journal.close()
                raise JournalMismatchError(
                    f"{self.base_path} holds a search with seed {recorded['seed']}, not {self.strategy.seed}."
                )
            self.strategy.reseed(recorded["seed"])
        return journal

    # -- the loop ------------------------------------------------------------------------------

    def optimize(self) -> SearchResult:
        """Search until a budget is used up or the strategy is exhausted; returns every trial and the best."""
        space, settings = self._prepare()
        started = time.monotonic()
        deadline = started + settings.budgets.seconds if settings.budgets.seconds is not None else None
        with exclusive_use(self.base_path):
            journal = self._open_journal(space, settings)
            self._space, self._settings, self._journal = space, settings, journal
            handler = logging.FileHandler(self.base_path / LOG_NAME, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            log.addHandler(handler)
            try:
                self.executor.start(self.corpus, settings, self.quiet_training, self.embedding_cache, self._save_run)
                self._rule = self.executor.share_rule(self.early_stopping)
                self._search(deadline)
            finally:
                self.executor.shutdown()
                result = self.last_result = self._write_outputs()
                journal.close()
                log.removeHandler(handler)
                handler.close()
                for callback in self.callbacks:
                    callback.on_search_end(result)
        log.info("%r", result)
        return result

    def _search(self, deadline: Optional[float]) -> None:
        """Keep up to ``max_concurrent_trials`` trials running until a budget ends or the strategy is exhausted."""
        trials = self._replay(self._journal.trials())
        log.info(
            "search in %s: %s with seed %d, %d finished trials",
            self.base_path,
            self.strategy.name,
            self.strategy.seed,
            len(trials),
        )
        context = SearchContext(self.base_path, self._settings, self.strategy.name, self.strategy.seed, len(trials))
        for callback in self.callbacks:
            callback.on_search_start(context)
        running: dict[int, TrialRecord] = {}
        reason: Optional[str] = None
        while True:
            while reason is None and len(running) < self.executor.max_concurrent_trials:
                reason = self._stop_reason(trials, deadline, running=len(running))
                suggestion = self.strategy.ask() if reason is None else None
                if reason is None and suggestion is None:
                    reason = "the strategy has proposed every configuration"
                if suggestion is not None:
                    trial, job = self._start_trial(suggestion, deadline)
                    running[trial.number] = trial
                    self.executor.submit(job, self._rule)
            if not running:
                break
            for number, outcome in self.executor.wait():
                trial = self._finish_trial(running.pop(number), outcome)
                if trial.state is State.STOPPED:
                    reason = "the time budget ran out"
                    for callback in self.callbacks:
                        callback.on_trial_end(trial, self._best(self._journal.trials()))
                    continue
                trials.append(trial)
                self.strategy.tell(trial.number, trial.objective)
                best = self._write_outputs().best
                for callback in self.callbacks:
                    callback.on_trial_end(trial, best)
        log.info("search ended: %s", reason)

    def _stop_reason(self, finished: list[TrialRecord], deadline: Optional[float], running: int = 0) -> Optional[str]:
        budgets = self._settings.budgets
        if budgets.trials is not None and len(finished) + running >= budgets.trials:
            return f"{budgets.trials} runs done"
        if budgets.epochs is not None and sum(trial.epochs for trial in finished) >= budgets.epochs:
            return f"{budgets.epochs} epochs trained"
        if budgets.generations is not None and self.strategy.generations_completed >= budgets.generations:
            return f"{budgets.generations} generations done"
        if deadline is not None and time.monotonic() >= deadline:
            return "the time budget ran out"
        return None

    def _replay(self, journalled: list[TrialRecord]) -> list[TrialRecord]:
        """Tell the strategy every finished trial again, in order, checking it proposes the same points."""
        finished = [trial for trial in journalled if trial.state.finished]
        for trial in finished:
            suggestion = self.strategy.ask()
            if suggestion is None or suggestion.trial_id != trial.number or suggestion.point != trial.point:
                raise JournalMismatchError(
                    f"{self.base_path} holds trial {trial.number} at {trial.point}, which this strategy and seed do not propose; "
                    "resume with the same space, strategy and seed, or use a new base_path."
                )
            self.strategy.tell(suggestion.trial_id, trial.objective)
            self._inform_early_stopping(trial)
        return finished

    def _inform_early_stopping(self, trial: TrialRecord, finished: bool = True) -> None:
        """Let the early-stopping rule hear the journalled epochs of a trial (its decisions were taken then)."""
        if self._rule is None:
            return
        by_loss = self._settings.optimization_value is OptimizationValue.DEV_LOSS
        for run in trial.runs:
            for epoch, value in enumerate(run.dev_losses if by_loss else run.dev_scores, start=1):
                self._rule.report(trial.number, run.run, epoch, to_objective(value, self._settings.optimization_value))
        if finished:
            self._rule.finish(trial.number, trial.state is State.COMPLETED)

    def _start_trial(self, suggestion: Suggestion, deadline: Optional[float]) -> tuple[TrialRecord, TrialJob]:
        """Journal a new trial (keeping completed runs of an interrupted one) and describe the runs it still needs."""
        previous = self._journal.trial(suggestion.trial_id)
        if previous is not None and previous.point != suggestion.point:
            raise JournalMismatchError(
                f"trial {suggestion.trial_id} in {self.base_path} was journalled with another configuration."
            )
        trial = TrialRecord(suggestion.trial_id, suggestion.point, self._space.describe_point(suggestion.point))
        trial.runs = [run for run in (previous.runs if previous else []) if run.state is State.COMPLETED]
        for run in trial.runs:
            run.model_path = self._run_folder(trial.number, run.run) / "final-model.pt"
        self._inform_early_stopping(trial, finished=False)
        self._journal.save_trial(trial)
        for callback in self.callbacks:
            callback.on_trial_start(trial)
        log.info("trial %d: %s", trial.number, ", ".join(f"{k}={v}" for k, v in trial.parameters.items()))
        runs = [
            (index, self._run_folder(trial.number, index), self.strategy.seed + index)
            for index in range(len(trial.runs), self._settings.training_runs)
        ]
        seconds_left = deadline - time.monotonic() if deadline is not None else None
        return trial, TrialJob(trial.number, self._space.decode(suggestion.point), runs, seconds_left)

    def _save_run(self, trial_number: int, run: RunRecord) -> None:
        self._journal.save_run(trial_number, run)

    def _finish_trial(self, trial: TrialRecord, outcome: Outcome) -> TrialRecord:
        """Journal a trial's runs and result, and keep its weights if it is the best so far."""
        if isinstance(outcome, str):
            trial.runs.append(RunRecord(len(trial.runs), State.FAILED, error=outcome))
        else:
            for run in outcome:
                if run.model_path is None and run.state is State.COMPLETED:
                    run.model_path = self._run_folder(trial.number, run.run) / "final-model.pt"
                trial.runs.append(run)
        for run in trial.runs:
            self._journal.save_run(trial.number, run)
        trial.summarize()
        if trial.state.informs and trial.score is not None:
            trial.objective = to_objective(trial.score, self._settings.optimization_value)
        self._journal.save_trial(trial)
        if self._rule is not None and trial.state.finished:
            self._rule.finish(trial.number, trial.state is State.COMPLETED)
        log.info("trial %d %s: %s %s", trial.number, trial.state.value, self._settings.objective_label, trial.score)
        if trial.state is State.COMPLETED:
            self._keep_model_if_best(trial)
        return trial

    def _run_folder(self, trial_number: int, run_index: int) -> Path:
        return self.base_path / "trials" / f"{trial_number:04d}" / f"run-{run_index + 1}"

    # -- outputs -------------------------------------------------------------------------------

    def _best(self, trials: list[TrialRecord]) -> Optional[TrialRecord]:
        scored = [t for t in trials if t.state is State.COMPLETED and t.objective is not None]
        return max(scored, key=lambda t: (t.objective, -t.number)) if scored else None

    def _keep_model_if_best(self, trial: TrialRecord) -> None:
        """Copy the best run's weights of a new best trial to ``best-model.pt``; drop other trials' weights."""
        best = self._best(self._journal.trials())
        keep = best.number if best is not None else None
        if trial.number == keep:
            by_loss = "loss" in self._settings.objective_label
            runs = [r for r in trial.runs if r.score is not None and r.model_path is not None and r.model_path.exists()]
            if runs:
                best_run = min(runs, key=lambda r: r.score) if by_loss else max(runs, key=lambda r: r.score)  # type: ignore[arg-type, return-value]
                shutil.copyfile(best_run.model_path, self.base_path / BEST_MODEL_NAME)  # type: ignore[arg-type]
        for model in (self.base_path / "trials").glob("*/run-*/final-model.pt"):
            if int(model.parent.parent.name) != keep:
                model.unlink()

    def _write_outputs(self) -> SearchResult:
        trials = [t for t in self._journal.trials() if t.state is not State.RUNNING]
        best = self._best(trials)
        header = (
            f"flair-hpo search: {self._settings.task.value}, label type {self._settings.label_type!r}, "
            f"{self.strategy.name} (seed {self.strategy.seed}), at most {self._settings.max_epochs} epochs per run"
        )
        write_param_selection(self.base_path / PARAM_SELECTION_NAME, trials, best, self._settings, header)
        write_trials_table(self.base_path / TRIALS_TABLE_NAME, trials)
        best_parameters: Optional[dict[str, Any]] = None
        if best is not None:
            best_parameters = self._space.decode(best.point)
            BestConfiguration(best_parameters, self._settings, best.score, best.number).save(
                self.base_path / BEST_PARAMETERS_NAME
            )
        return SearchResult(trials, best, best_parameters, self._settings.objective_label, self.base_path)
