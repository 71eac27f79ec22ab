"""The SQLite journal of a search: every trial's configuration, state and result, written as it happens,
and the sequence of asks and tells between the search and its strategy.

The event log is what makes a resume exact: replaying its asks and tells in order puts a strategy in the
state it had, pending trials included, however trials overlapped. A trial's start is written with its ask
event, and its end with its tell event, each in one transaction, so the two never disagree.
Values are stored as JSON text, never pickled, so reading a journal cannot run code.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from flair_hpo.storage.records import RunRecord, State, TrialRecord

JOURNAL_NAME = "journal.sqlite"

_TABLES = {  # each table's columns
    "study": "key TEXT PRIMARY KEY, value TEXT NOT NULL",
    "trials": """number INTEGER PRIMARY KEY, point TEXT NOT NULL, parameters TEXT NOT NULL, state TEXT NOT NULL,
        score REAL, score_std REAL, objective REAL, test_score REAL, duration REAL, error TEXT""",
    "runs": """trial INTEGER NOT NULL REFERENCES trials(number), run INTEGER NOT NULL, state TEXT NOT NULL,
        dev_scores TEXT NOT NULL, dev_losses TEXT NOT NULL, score REAL, test_score REAL, duration REAL, error TEXT,
        node TEXT, PRIMARY KEY (trial, run)""",
    "events": """sequence INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('ask', 'tell')),
        trial INTEGER NOT NULL, point TEXT, pending TEXT, objective REAL""",
}


def _create_table(name: str, temporary: bool = False) -> str:
    return f"CREATE {'TEMP ' if temporary else ''}TABLE IF NOT EXISTS {name} ({_TABLES[name]});"


@dataclass(frozen=True)
class Event:
    """One ask (a trial and its point, with the trials pending at that moment) or one tell (a trial's objective)."""

    kind: str
    trial: int
    point: Optional[dict[str, Any]] = None
    pending: tuple[int, ...] = ()
    objective: Optional[float] = None


class Journal:
    """Reads and writes one search's journal; each write is its own transaction."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self._private_copy: Optional[Path] = None
        if read_only:
            self._connection = self._open_read_only(path)
        else:
            self._connection = sqlite3.connect(path)
            tables = " ".join(_create_table(name) for name in _TABLES)
            self._connection.executescript(f"BEGIN; {tables} COMMIT;")  # a writer killed here leaves all or none
            with self._connection:
                if "node" not in self._run_columns():  # a journal written before runs recorded their node
                    self._connection.execute("ALTER TABLE runs ADD COLUMN node TEXT")
                self._log_implied_events()

    def _open_read_only(self, path: Path) -> sqlite3.Connection:
        """A connection that cannot write. A writer killed inside a transaction leaves a rollback journal that
        only a writing connection can apply; then it is applied to a private copy, and the journal stays as it is.
        A table the file lacks reads as empty: a writer killed while creating them (before they were created in
        one transaction) wrote nothing else, and a journal written before the event log has no events."""
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as error:
            connection.close()
            if "readonly" not in str(error):
                raise
            self._private_copy = Path(tempfile.mkdtemp(prefix="flair-hpo-journal-"))
            for suffix in ("", "-journal"):
                source = path.with_name(path.name + suffix)
                if source.exists():
                    shutil.copyfile(source, self._private_copy / source.name)
            connection = sqlite3.connect(self._private_copy / path.name)
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for name in _TABLES.keys() - tables:  # an empty one, in this connection's own temporary schema
            connection.execute(_create_table(name, temporary=True))
        return connection

    def _run_columns(self) -> list[str]:
        return [row[1] for row in self._connection.execute("PRAGMA table_info(runs)")]

    def close(self) -> None:
        self._connection.close()
        if self._private_copy is not None:
            shutil.rmtree(self._private_copy, ignore_errors=True)

    def metadata(self) -> dict[str, Any]:
        rows = self._connection.execute("SELECT key, value FROM study").fetchall()
        return {key: json.loads(value) for key, value in rows}

    def set_metadata(self, values: dict[str, Any]) -> None:
        with self._connection:
            self._connection.executemany(
                "INSERT OR REPLACE INTO study (key, value) VALUES (?, ?)",
                [(key, json.dumps(value)) for key, value in values.items()],
            )

    def _log_implied_events(self) -> None:
        """A journal written before the event log ran one trial at a time: each finished trial was asked, then told."""
        if self._connection.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None:
            return
        for trial in self.trials():
            if trial.state.finished:
                self._insert_event(Event("ask", trial.number, trial.point))
                self._insert_event(Event("tell", trial.number, objective=trial.objective))

    def _insert_event(self, event: Event) -> None:
        point = json.dumps(event.point) if event.point is not None else None
        self._connection.execute(
            "INSERT INTO events (kind, trial, point, pending, objective) VALUES (?, ?, ?, ?, ?)",
            (event.kind, event.trial, point, json.dumps(list(event.pending)), event.objective),
        )

    def record_ask(self, trial: TrialRecord, pending: list[int]) -> None:
        """A new trial and its ask event (``pending``: the trials asked and not yet told), in one transaction."""
        with self._connection:
            self._insert_event(Event("ask", trial.number, trial.point, tuple(pending)))
            self._write_trial(trial)
            for run in trial.runs:
                self._write_run(trial.number, run)

    def record_end(self, trial: TrialRecord, told: bool) -> None:
        """A trial's runs and result, with its tell event when the strategy is told, in one transaction."""
        with self._connection:
            for run in trial.runs:
                self._write_run(trial.number, run)
            self._write_trial(trial)
            if told:
                self._insert_event(Event("tell", trial.number, objective=trial.objective))

    def events(self) -> list[Event]:
        """Every ask and tell, in the order they happened."""
        rows = self._connection.execute("SELECT kind, trial, point, pending, objective FROM events ORDER BY sequence")
        return [
            Event(kind, trial, json.loads(point) if point else None, tuple(json.loads(pending or "[]")), objective)
            for kind, trial, point, pending, objective in rows
        ]

    def save_trial(self, trial: TrialRecord) -> None:
        with self._connection:
            self._write_trial(trial)

    def _write_trial(self, trial: TrialRecord) -> None:
        self._connection.execute(
                "INSERT OR REPLACE INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    trial.number, json.dumps(trial.point), json.dumps(trial.parameters), trial.state.value,
                    trial.score, trial.score_std, trial.objective, trial.test_score, trial.duration, trial.error,
                ),
            )  # fmt: skip

    def save_run(self, trial_number: int, run: RunRecord) -> None:
        with self._connection:
            self._write_run(trial_number, run)

    def _write_run(self, trial_number: int, run: RunRecord) -> None:
        self._connection.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    trial_number, run.run, run.state.value, json.dumps(run.dev_scores), json.dumps(run.dev_losses),
                    run.score, run.test_score, run.duration, run.error, run.node,
                ),
            )  # fmt: skip

    def trials(self) -> list[TrialRecord]:
        """All trials in order, each with its runs."""
        runs: dict[int, list[RunRecord]] = {}
        node = "node" if "node" in self._run_columns() else "NULL"
        query = (
            f"SELECT trial, run, state, dev_scores, dev_losses, score, test_score, duration, error, {node} FROM runs"
        )
        for row in self._connection.execute(query + " ORDER BY trial, run"):
            trial, run, state, dev_scores, dev_losses, score, test_score, duration, error, node = row
            record = RunRecord(
                run, State(state), json.loads(dev_scores), json.loads(dev_losses), score, test_score, duration, error
            )
            record.node = node
            runs.setdefault(trial, []).append(record)
        trials = []
        for row in self._connection.execute("SELECT * FROM trials ORDER BY number"):
            number, point, parameters, state, score, score_std, objective, test_score, duration, error = row
            trials.append(
                TrialRecord(
                    number, json.loads(point), json.loads(parameters), State(state),
                    score, score_std, objective, test_score, duration, error, runs.get(number, []),
                )
            )  # fmt: skip
        return trials

    def trial(self, number: int) -> Optional[TrialRecord]:
        return next((trial for trial in self.trials() if trial.number == number), None)
