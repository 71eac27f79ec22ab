"""A callback that records when trials start and end, to see how many trained at once."""

from __future__ import annotations

import time

from flair_hpo.search.callbacks import SearchCallback


class Timeline(SearchCallback):
    def __init__(self) -> None:
        self.events: list[tuple[str, int, float]] = []

    def on_trial_start(self, trial) -> None:
        self.events.append(("start", trial.number, time.monotonic()))

    def on_trial_end(self, trial, best) -> None:
        self.events.append(("end", trial.number, time.monotonic()))

    def most_at_once(self) -> int:
        """The most trials that were training at the same moment."""
        running, most = 0, 0
        for kind, _, _ in sorted(self.events, key=lambda event: event[2]):
            running += 1 if kind == "start" else -1
            most = max(most, running)
        return most

    def per_hour_after_the_first(self) -> float:
        """Trials per hour from the second trial's start to the last trial's end, over every trial but the
        first: what a longer search gains, without the first trial (which pays the workers' start, and with
        "auto" its measurement alone) in either way of running a search."""
        starts = sorted(moment for kind, _, moment in self.events if kind == "start")
        ends = sorted(moment for kind, _, moment in self.events if kind == "end")
        return 3600 * (len(ends) - 1) / (ends[-1] - starts[1])
