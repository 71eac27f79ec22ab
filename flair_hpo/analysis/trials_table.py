"""A search as its journal recorded it, and its trials as a pandas DataFrame (no pickles, read-only)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import pandas as pd

from flair_hpo.errors import ConfigurationError
from flair_hpo.objective import Objective, OptimizationValue
from flair_hpo.storage import JOURNAL_NAME, Journal, TrialRecord
from flair_hpo.storage.trials_table import trials_frame


@dataclass
class Study:
    """A finished or interrupted search as its journal recorded it."""

    base_path: Path
    metadata: dict[str, Any]
    trials: list[TrialRecord]

    @property
    def objective(self) -> Objective:
        """The objective the journal records; journals written before it did name only its label."""
        if "objective_spec" in self.metadata:
            return Objective.from_json(self.metadata["objective_spec"])
        loss = Objective(value=OptimizationValue.DEV_LOSS)
        return loss if self.metadata.get("objective") == loss.label else Objective()

    @property
    def objective_label(self) -> str:
        return str(self.metadata.get("objective", self.objective.label))


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


def trials_dataframe(base_path: Union[str, Path]) -> pd.DataFrame:
    """One row per trial, in the layout of ``trials.tsv`` (:mod:`flair_hpo.storage.trials_table`)."""
    return trials_frame(load_study(base_path).trials)
