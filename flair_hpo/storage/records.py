"""Records of runs, trials and whole searches, as the journal stores them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Optional

from flair_hpo.objective import Objective

ERROR_FILE_NAME = "error.txt"  # a failed run's error and traceback, in its run folder
RUN_MODEL_NAME = "final-model.pt"  # where flair leaves a run's weights in its folder


def summary(error: Optional[str]) -> Optional[str]:
    """The first line of an error (``Type: message``); the journal keeps the traceback after it."""
    return error.split("\n", 1)[0] if error else error


class State(str, Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"  # the time budget ran out while it trained; it runs again on resume. Its reached
    # score makes it the best only when no trial completed
    STOPPED_EARLY = "stopped_early"  # an early-stopping rule judged it unpromising

    @property
    def finished(self) -> bool:
        return self in (State.COMPLETED, State.FAILED, State.STOPPED_EARLY)

    @property
    def informs(self) -> bool:
        """Whether its score is told to the strategy."""
        return self in (State.COMPLETED, State.STOPPED_EARLY)


@dataclass
class RunRecord:
    """One training run of a configuration."""

    run: int
    state: State
    dev_scores: list[float] = field(default_factory=list)
    dev_losses: list[float] = field(default_factory=list)
    score: Optional[float] = None
    test_score: Optional[float] = None
    duration: float = 0.0
    error: Optional[str] = None
    node: Optional[str] = None  # the Ray node that trained it; None in the search's own process

    @property
    def epochs(self) -> int:
        return max(len(self.dev_scores), len(self.dev_losses))

    @property
    def error_summary(self) -> Optional[str]:
        return summary(self.error)


@dataclass
class TrialRecord:
    """One configuration, evaluated by ``training_runs`` runs."""

    number: int
    point: dict[str, Any]
    parameters: dict[str, str]
    state: State = State.RUNNING
    score: Optional[float] = None
    score_std: Optional[float] = None
    objective: Optional[float] = None
    test_score: Optional[float] = None
    duration: float = 0.0
    error: Optional[str] = None
    runs: list[RunRecord] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return sum(run.epochs for run in self.runs)

    @property
    def error_summary(self) -> Optional[str]:
        return summary(self.error)

    def summarize(self) -> None:
        """Set state, score, spread and test score from the runs."""
        self.duration = sum(run.duration for run in self.runs)
        failed = next((run for run in self.runs if run.state is State.FAILED), None)
        stopped = next((run for run in self.runs if run.state is State.STOPPED), None)
        if failed is not None:
            self.state, self.error = State.FAILED, f"run {failed.run + 1}: {failed.error}"
        elif stopped is not None:
            self.state = State.STOPPED
        elif any(run.state is State.STOPPED_EARLY for run in self.runs):
            self.state = State.STOPPED_EARLY
        else:
            self.state = State.COMPLETED
        scores = [run.score for run in self.runs if run.score is not None]
        tests = [run.test_score for run in self.runs if run.test_score is not None]
        self.score = statistics.fmean(scores) if scores else None
        self.score_std = statistics.stdev(scores) if len(scores) > 1 else (0.0 if scores else None)
        self.test_score = statistics.fmean(tests) if tests else None


@dataclass
class SearchResult:
    """What ``optimize()`` returns: every trial, and the best one with its parameters as values."""

    trials: list[TrialRecord]
    best: Optional[TrialRecord]
    best_parameters: Optional[dict[str, Any]]
    objective: Objective
    base_path: Path

    @property
    def objective_label(self) -> str:
        return self.objective.label

    @property
    def best_score(self) -> Optional[float]:
        return self.best.score if self.best else None

    def __repr__(self) -> str:
        best = f"trial {self.best.number} scoring {self.best.score:.4f}" if self.best else "no completed trial"
        return f"SearchResult({len(self.trials)} trials, best: {best} by {self.objective_label}, outputs in {self.base_path})"
