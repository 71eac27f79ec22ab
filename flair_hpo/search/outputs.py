"""What a search leaves in ``base_path`` besides its journal and ``best-model.pt``: ``param_selection.txt``,
``trials.tsv`` and ``best_parameters.json``, rewritten from the journal after every trial."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from flair_hpo.objective import LAST_EPOCHS_SCORED, Objective
from flair_hpo.search.best_configuration import BEST_PARAMETERS_NAME, BestConfiguration
from flair_hpo.search.final_selection import CONFIDENCE, completed_runs, score_interval
from flair_hpo.search.settings import StudySettings
from flair_hpo.space import Space
from flair_hpo.storage import SearchResult, State, TrialRecord
from flair_hpo.storage.records import ERROR_FILE_NAME
from flair_hpo.storage.trials_table import TRIALS_TABLE_NAME, write_trials_table

PARAM_SELECTION_NAME = "param_selection.txt"
RULE = "-" * 100


def best_trial(trials: list[TrialRecord], objective: Objective) -> Optional[TrialRecord]:
    """The completed trial with the best score (the earliest of equals). Only while no trial has completed,
    the best trial the time budget stopped after at least one epoch (scored by the epochs it reached):
    a search always gives the best model its budget allowed. Failed and early-stopped trials never count."""
    completed = [t for t in trials if t.state is State.COMPLETED]
    if completed:
        return objective.best(completed, lambda trial: trial.score)
    reached = [t for t in trials if t.state is State.STOPPED and t.score is not None]
    return objective.best(reached, lambda trial: trial.score)


def _number(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.4f}"


def _score_line(trial: TrialRecord, objective: Objective) -> str:
    if trial.score is None:
        return f"  {objective.label}: none"
    runs = ", ".join(_number(run.score) for run in trial.runs if run.score is not None)
    return f"  {objective.label}: {trial.score:.4f} ± {trial.score_std or 0.0:.4f}  (runs: {runs})"


def _trial_block(trial: TrialRecord, objective: Objective) -> list[str]:
    runs = f"{len(trial.runs)} run{'s' if len(trial.runs) != 1 else ''}"
    lines = [f"trial {trial.number}  {trial.state.value}  {runs}  {trial.epochs} epochs  {trial.duration:.1f} s"]
    lines += [f"  {key}: {value}" for key, value in trial.parameters.items()]
    lines.append(_score_line(trial, objective))
    if trial.test_score is not None:
        lines.append(
            f"  test {objective.metric.test_label} (information only, not used for selection): {trial.test_score:.4f}"
        )
    if trial.error:
        lines.append(f"  error: {trial.error_summary} (traceback: {ERROR_FILE_NAME} in the trial's run folder)")
    if trial.state is State.STOPPED:
        lines.append("  stopped: the time budget ran out while it trained; selected only if no trial completed")
    if trial.state is State.STOPPED_EARLY:
        epochs = ", ".join(str(run.epochs) for run in trial.runs)
        lines.append(
            f"  stopped early after epoch {epochs} (score of the epochs it reached); told to the strategy, not used for selection"
        )
    return lines


def write_param_selection(
    path: Path, trials: list[TrialRecord], best: Optional[TrialRecord], settings: StudySettings, header: str
) -> None:
    """Every trial's parameters as values and its named score, then the best parameter combination."""
    objective = settings.objective
    lines = [
        header,
        f"selection score: {objective.label}: mean of the last {LAST_EPOCHS_SCORED} {objective.values_name} of each run, "
        f"averaged over {settings.training_runs} training run(s) (± standard deviation over runs)",
        "test scores are information only: they are never used for selection",
        RULE,
    ]
    for trial in trials:
        lines += _trial_block(trial, objective) + [RULE]
    if best is None:
        lines.append("best parameter combination: none yet (no trial completed)")
    else:
        lines.append(
            f"best parameter combination: trial {best.number}, {objective.label} {best.score:.4f} ± {best.score_std or 0.0:.4f}"
        )
        if best.state is State.STOPPED:
            lines.append(
                f"  no trial completed: this one was stopped by the time budget after {best.epochs} epoch(s), "
                "and its weights and score are those it reached"
            )
        lines.append(_interval_line(best, trials, objective))
        lines += [f"  {key}: {value}" for key, value in best.parameters.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _interval_line(best: TrialRecord, trials: list[TrialRecord], objective: Objective) -> str:
    interval = score_interval(best, trials)
    if interval is None:
        return (
            "  expected score: no interval (no configuration ran with several seeds; "
            "a FinalSelection or training_runs > 1 measures the spread between seeds)"
        )
    runs = len(completed_runs(best))
    return (
        f"  expected {objective.label}: {best.score:.4f}, {CONFIDENCE:.0%} interval {interval[0]:.4f} to {interval[1]:.4f} "
        f"(mean of {runs} run(s) with different seeds; spread between seeds pooled over the configurations run several times)"
    )


def write_outputs(
    base_path: Path, journalled: list[TrialRecord], space: Space, settings: StudySettings, header: str
) -> SearchResult:
    """Rewrite every output from the journalled trials; returns the search's result."""
    trials = [t for t in journalled if t.state is not State.RUNNING]
    best = best_trial(trials, settings.objective)
    write_param_selection(base_path / PARAM_SELECTION_NAME, trials, best, settings, header)
    write_trials_table(base_path / TRIALS_TABLE_NAME, trials)
    best_parameters: Optional[dict[str, Any]] = None
    if best is not None:
        best_parameters = space.decode(best.point)
        interval = score_interval(best, trials)
        BestConfiguration(best_parameters, settings, best.score, best.number, interval).save(
            base_path / BEST_PARAMETERS_NAME
        )
    return SearchResult(trials, best, best_parameters, settings.objective, base_path)
