"""A live progress line as fastText's autotune prints it, or one log line per trial off a terminal."""

from __future__ import annotations

import sys
import threading
import time
from typing import Optional, TextIO

from flair_hpo.search.callbacks import SearchCallback, SearchContext
from flair_hpo.search.stop_reasons import refused_for_size
from flair_hpo.storage.records import SearchResult, State, TrialRecord


def format_eta(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600:3d}h{seconds % 3600 // 60:2d}m{seconds % 60:2d}s"


class ProgressLine(SearchCallback):
    """``Progress:  45.0% Trials:   12 Best score:  0.812345 ETA:   0h 2m45s``, redrawn every second on a terminal.
    Trials counts the trials trained, as a trials budget does: one refused for the model-size limit is not."""

    def __init__(self, stream: Optional[TextIO] = None, refresh_seconds: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.refresh_seconds = refresh_seconds
        self.interactive = self.stream.isatty()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.trials = 0
        self.best_score: Optional[float] = None

    def on_search_start(self, context: SearchContext) -> None:
        self.started = time.monotonic()
        self.budget_seconds = context.settings.budgets.seconds
        self.max_trials = context.settings.budgets.trials
        trained = context.resumed_trained
        self.trials = self.resumed = context.resumed_trials if trained is None else trained
        self._stop.clear()  # the same line may watch another optimize() call
        if self.interactive:
            self._thread = threading.Thread(target=self._redraw, daemon=True)
            self._thread.start()

    def on_trial_end(self, trial: TrialRecord, best: Optional[TrialRecord]) -> None:
        self.trials += not refused_for_size(trial)
        self.best_score = best.score if best is not None else None
        if not self.interactive:
            state = trial.state.value if trial.score is None else f"{trial.score:.6f}"
            if trial.score is not None and trial.state is not State.COMPLETED:  # scored by the epochs it reached
                state += f" ({trial.state.value})"
            print(f"trial {trial.number}: {state} | {self.line()}", file=self.stream, flush=True)

    def on_trial_rescored(self, trial: TrialRecord, best: Optional[TrialRecord]) -> None:
        """A line for each trial the final selection trains again: the best score may change without a new trial."""
        self.best_score = best.score if best is not None else None
        score = f"{trial.score:.6f}" if trial.score is not None else "-"
        start = "\r" if self.interactive else ""
        print(
            f"{start}final selection: trial {trial.number}: {score} over {len(trial.runs)} runs | {self.line()}",
            file=self.stream,
            flush=True,
        )

    def on_search_end(self, result: SearchResult) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            print(f"\r{self.line()}", file=self.stream, flush=True)

    def fraction_done(self) -> float:
        """The share of the budget used: of the time budget (which counts per ``optimize()`` call), or of the
        trials budget, resumed trials included."""
        return self._fraction(self.trials, self.max_trials)

    def eta_seconds(self) -> float:
        """Time left, at this call's pace: trials resumed from the journal took none of its time."""
        done = self._fraction(self.trials - self.resumed, self.max_trials - self.resumed if self.max_trials else None)
        elapsed = time.monotonic() - self.started
        return elapsed * (1 - done) / done if done > 0 else float(self.budget_seconds or 0)

    def _fraction(self, trials: int, max_trials: Optional[int]) -> float:
        fractions = []
        if self.budget_seconds:
            fractions.append((time.monotonic() - self.started) / self.budget_seconds)
        if max_trials:
            fractions.append(trials / max_trials)
        return min(1.0, max(fractions)) if fractions else 0.0

    def line(self) -> str:
        best = f"{self.best_score:9.6f}" if self.best_score is not None else "        -"
        return (
            f"Progress: {100 * self.fraction_done():5.1f}% Trials: {self.trials:4d} Best score: {best} "
            f"ETA: {format_eta(self.eta_seconds())}"
        )

    def _redraw(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            print(f"\r{self.line()}", end="", file=self.stream, flush=True)
