"""Seed-aware final selection: the best few configurations are trained again with further seeds, and the best
is chosen by the mean of its runs, so that the winner is not a lucky run. Its expected score is reported with
an interval.

The candidates are the ``candidates`` best completed trials by their score (the mean of their runs so far);
each is trained until it has ``runs`` completed runs (seeds ``seed + run index``, after an earlier try's seeds
for a configuration tried again, so none repeats one the trial had). A candidate whose mean falls lets the next
trial in, until the best ``candidates`` all have their runs or ``2 * candidates`` trials were trained again.
Further runs that do not complete (the time budget, a failure) are left out: the trial keeps the runs it had.
With a time budget, the search stops proposing trials when ``budget_share`` of it is left, for this (trials
running then finish first), and a candidate is trained again only where its further runs, as long as its runs
so far, end within the budget (after those of better candidates where they cannot all train at once).

The interval is a Student t interval for the best configuration's expected score: its mean, and the spread
between seeds pooled over every trial with several completed runs (configurations this close differ mostly by
seed noise, and a spread from two or three runs alone would be far too uncertain).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Optional

from flair_hpo.errors import ConfigurationError
from flair_hpo.objective import Objective
from flair_hpo.storage import State, TrialRecord

CONFIDENCE = 0.95


@dataclass(frozen=True)
class FinalSelection:
    """Train the ``candidates`` best configurations until each has ``runs`` runs; choose by their mean."""

    candidates: int = 3
    runs: int = 3
    budget_share: float = 0.2

    def __post_init__(self) -> None:
        for name, least, meaning in (
            ("candidates", 1, "the best configurations trained again"),
            ("runs", 2, "the runs each candidate has in all"),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigurationError(
                    f"FinalSelection {name} must be a whole number of at least {least} ({meaning}), but got {value!r}."
                )
        if not 0.0 <= self.budget_share < 1.0:
            raise ConfigurationError(
                f"FinalSelection budget_share must be in [0, 1) (the part of a time budget kept for it), but got {self.budget_share!r}."
            )

    def next_candidates(
        self, trials: Sequence[TrialRecord], objective: Objective, tried: Collection[int] = ()
    ) -> list[TrialRecord]:
        """The best ``candidates`` completed trials that still lack runs and were not ``tried`` in this search
        already (a run that failed is not tried again); empty when the selection is done."""
        if len(tried) >= 2 * self.candidates:
            return []
        return [
            t for t in self.leaders(trials, objective) if len(completed_runs(t)) < self.runs and t.number not in tried
        ]

    def that_fit(
        self, candidates: Sequence[TrialRecord], seconds_left: Optional[float], slots: int
    ) -> list[TrialRecord]:
        """The candidates, best first, whose further runs end in ``seconds_left`` when ``slots`` train at once,
        each after those before it in its slot; a run lasts as long as the candidate's runs so far on average."""
        if seconds_left is None:
            return list(candidates)
        ends, fitting = [0.0] * max(1, slots), []
        for trial in candidates:
            slot = ends.index(min(ends))
            end = ends[slot] + self._further_seconds(trial)
            if end <= seconds_left:
                ends[slot] = end
                fitting.append(trial)
        return fitting

    def _further_seconds(self, trial: TrialRecord) -> float:
        durations = [run.duration for run in trial.runs if run.state is State.COMPLETED and run.duration > 0]
        return statistics.fmean(durations) * (self.runs - len(trial.runs)) if durations else 0.0

    def leaders(self, trials: Sequence[TrialRecord], objective: Objective) -> list[TrialRecord]:
        """The ``candidates`` best completed trials, best first: those the selection starts with (the search keeps
        their weights for it)."""
        completed = [t for t in trials if t.state is State.COMPLETED and t.score is not None]
        ranked = sorted(completed, key=lambda t: objective.maximised(t.score), reverse=True)  # type: ignore[arg-type]
        return ranked[: self.candidates]


def completed_runs(trial: TrialRecord) -> list[float]:
    return [run.score for run in trial.runs if run.state is State.COMPLETED and run.score is not None]


def score_interval(
    best: TrialRecord, trials: Sequence[TrialRecord], confidence: float = CONFIDENCE
) -> Optional[tuple[float, float]]:
    """A ``confidence`` interval for the expected score of ``best``'s configuration; None without two runs of
    any configuration to measure the spread between seeds."""
    from scipy.stats import t as student

    scores = completed_runs(best)
    groups = [completed_runs(trial) for trial in trials if trial.state is State.COMPLETED]
    groups = [group for group in groups if len(group) > 1]
    freedom = sum(len(group) - 1 for group in groups)
    if not scores or freedom == 0:
        return None
    pooled = math.sqrt(sum(statistics.variance(group) * (len(group) - 1) for group in groups) / freedom)
    half = float(student.ppf(0.5 + confidence / 2, freedom)) * pooled / math.sqrt(len(scores))
    mean = statistics.fmean(scores)
    return mean - half, mean + half
