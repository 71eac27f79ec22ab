"""The table of a search's trials, one row per trial: written as ``trials.tsv``, read as a DataFrame.

One layout everywhere: ``number``, ``state``, ``score``, ``score_std``, ``objective`` (the maximised value
strategies saw), ``test_score``, ``runs``, ``epochs``, ``duration_s``, ``error``, then ``param_<name>``. A
parameter whose values are whole numbers stays a whole-number column (pandas' ``Int64``) where some trials
lack it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from flair_hpo.storage.records import TrialRecord

TRIALS_TABLE_NAME = "trials.tsv"
COLUMNS = ["number", "state", "score", "score_std", "objective", "test_score", "runs", "epochs", "duration_s", "error"]
SCORE_COLUMNS = ["score", "score_std", "objective", "test_score"]


def _value(text: str) -> Any:
    """A described parameter value as a number where it is one."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def trials_frame(trials: list[TrialRecord]) -> pd.DataFrame:
    """The trials as a DataFrame in the table's layout."""
    rows = []
    kinds: dict[str, set[type]] = {}
    for trial in trials:
        row: dict[str, Any] = {
            "number": trial.number,
            "state": trial.state.value,
            "score": trial.score,
            "score_std": trial.score_std,
            "objective": trial.objective,
            "test_score": trial.test_score,
            "runs": len(trial.runs),
            "epochs": trial.epochs,
            "duration_s": round(trial.duration, 1),
            "error": trial.error_summary,
        }
        for key, text in sorted(trial.parameters.items()):
            value = row[f"param_{key}"] = _value(text)
            kinds.setdefault(f"param_{key}", set()).add(type(value))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column, types in kinds.items():
        if types == {int} and frame[column].isna().any():
            frame[column] = frame[column].astype("Int64")
    parameters = sorted(kinds)
    return frame.reindex(columns=COLUMNS + parameters)


def write_trials_table(path: Path, trials: list[TrialRecord]) -> None:
    """``trials.tsv``: the table, tab-separated, scores with four decimals, parameters as they were tried."""
    frame = trials_frame(trials)
    for column in SCORE_COLUMNS:
        frame[column] = frame[column].map(lambda value: "" if pd.isna(value) else f"{value:.4f}")
    for column in frame.columns[len(COLUMNS) :]:
        name = column.removeprefix("param_")
        frame[column] = [trial.parameters.get(name, "") for trial in trials]
    frame.to_csv(path, sep="\t", index=False, lineterminator="\n")
