"""A search's trials as a pandas DataFrame, read from its journal (no pickles, read-only)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import pandas as pd

from flair_hpo.errors import ConfigurationError
from flair_hpo.journal import JOURNAL_NAME, Journal
from flair_hpo.results import TrialRecord


@dataclass
class Study:
    """A finished or interrupted search as its journal recorded it."""

    base_path: Path
    metadata: dict[str, Any]
    trials: list[TrialRecord]

    @property
    def objective_label(self) -> str:
        return str(self.metadata.get("objective", "score"))

    @property
    def minimises(self) -> bool:
        return "lower is better" in self.objective_label


def load_study(base_path: Union[str, Path]) -> Study:
    """Read the journal in ``base_path``; a clear error if there is none."""
    path = Path(base_path)
    if not (path / JOURNAL_NAME).is_file():
        raise ConfigurationError(
            f"no search journal ({JOURNAL_NAME}) in {str(path)!r}: give the base_path of a search."
        )
    try:
        journal = Journal(path / JOURNAL_NAME, read_only=True)
    except sqlite3.DatabaseError as error:
        raise ConfigurationError(f"{path / JOURNAL_NAME} is not a readable search journal: {error}.") from None
    try:
        return Study(path, journal.metadata(), journal.trials())
    finally:
        journal.close()


def _value(text: str) -> Any:
    """A described parameter value back as a number where it is one."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def trials_dataframe(base_path: Union[str, Path]) -> pd.DataFrame:
    """One row per trial: number, state, score and spread, test score, durations, epochs, ``param_<name>`` columns."""
    rows = []
    for trial in load_study(base_path).trials:
        row: dict[str, Any] = {
            "number": trial.number,
            "state": trial.state.value,
            "score": trial.score,
            "score_std": trial.score_std,
            "objective": trial.objective,
            "test_score": trial.test_score,
            "duration_s": trial.duration,
            "epochs": trial.epochs,
            "runs": len(trial.runs),
            "error": trial.error,
        }
        row.update({f"param_{key}": _value(value) for key, value in trial.parameters.items()})
        rows.append(row)
    return pd.DataFrame(rows)
