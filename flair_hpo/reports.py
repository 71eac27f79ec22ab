"""Human- and machine-readable outputs of a search: ``param_selection.txt`` and ``trials.tsv``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional

from flair_hpo.results import LAST_EPOCHS_SCORED, State, TrialRecord
from flair_hpo.settings import StudySettings

PARAM_SELECTION_NAME = "param_selection.txt"
TRIALS_TABLE_NAME = "trials.tsv"
RULE = "-" * 100


def _number(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.4f}"


def _score_line(trial: TrialRecord, settings: StudySettings) -> str:
    if trial.score is None:
        return f"  {settings.objective_label}: none"
    runs = ", ".join(_number(run.score) for run in trial.runs if run.score is not None)
    return f"  {settings.objective_label}: {trial.score:.4f} ± {trial.score_std or 0.0:.4f}  (runs: {runs})"


def _trial_block(trial: TrialRecord, settings: StudySettings) -> list[str]:
    runs = f"{len(trial.runs)} run{'s' if len(trial.runs) != 1 else ''}"
    lines = [f"trial {trial.number}  {trial.state.value}  {runs}  {trial.epochs} epochs  {trial.duration:.1f} s"]
    lines += [f"  {key}: {value}" for key, value in trial.parameters.items()]
    lines.append(_score_line(trial, settings))
    if trial.test_score is not None:
        lines.append(
            f"  test {settings.metric.test_label} (information only, not used for selection): {trial.test_score:.4f}"
        )
    if trial.error:
        lines.append(f"  error: {trial.error}")
    if trial.state is State.STOPPED:
        lines.append("  stopped: the time budget ran out while it trained; not used for selection")
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
    scoring = "dev losses" if "loss" in settings.objective_label else f"dev {settings.metric.value} scores"
    lines = [
        header,
        f"selection score: {settings.objective_label}: mean of the last {LAST_EPOCHS_SCORED} {scoring} of each run, "
        f"averaged over {settings.training_runs} training run(s) (± standard deviation over runs)",
        "test scores are information only: they are never used for selection",
        RULE,
    ]
    for trial in trials:
        lines += _trial_block(trial, settings) + [RULE]
    if best is None:
        lines.append("best parameter combination: none yet (no trial completed)")
    else:
        lines.append(
            f"best parameter combination: trial {best.number}, {settings.objective_label} {best.score:.4f} ± {best.score_std or 0.0:.4f}"
        )
        lines += [f"  {key}: {value}" for key, value in best.parameters.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_trials_table(path: Path, trials: list[TrialRecord]) -> None:
    """One row per trial: number, state, scores, duration, epochs, error and ``param_<key>`` columns."""
    keys = sorted({key for trial in trials for key in trial.parameters})
    header = ["trial", "state", "score", "score_std", "test_score", "runs", "epochs", "duration_s", "error"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(header + [f"param_{key}" for key in keys])
        for trial in trials:
            writer.writerow(
                [
                    trial.number, trial.state.value, _number(trial.score), _number(trial.score_std), _number(trial.test_score),
                    len(trial.runs), trial.epochs, f"{trial.duration:.1f}", trial.error or "",
                ]
                + [trial.parameters.get(key, "") for key in keys]
            )  # fmt: skip
