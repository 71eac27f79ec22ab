"""The table of a search's trials, one row per trial: written as ``trials.tsv``, read as a DataFrame.

One layout everywhere: ``number``, ``state``, ``score``, ``score_std``, ``objective`` (the maximised value
strategies saw), ``test_score``, ``runs``, ``epochs``, ``duration_s``, ``error``, then ``param_<name>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from flair_hpo.storage.records import TrialRecord

TRIALS_TABLE_NAME = "trials.tsv"
COLUMNS = ["number", "state", "score", "score_std", "objective", "test_score", "runs", "epochs", "duration_s", "error"]


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
        row.update({f"param_{key}": _value(value) for key, value in sorted(trial.parameters.items())})
        rows.append(row)
    frame = pd.DataFrame(rows)
    parameters = sorted(column for column in frame.columns if column.startswith("param_"))
    return frame.reindex(columns=COLUMNS + parameters)


def write_trials_table(path: Path, trials: list[TrialRecord]) -> None:
    """``trials.tsv``: the table, tab-separated, scores with four decimals."""
    trials_frame(trials).to_csv(path, sep="\t", index=False, float_format="%.4f", lineterminator="\n")
