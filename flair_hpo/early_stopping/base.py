"""The interface of early-stopping rules: after every epoch of a trial, continue or stop.

Rules see objective values (higher is better: a dev score, or a negated dev loss) per trial and epoch.
A trial trained several times reports the mean over its runs so far at each epoch. Rules know nothing
of flair: the same rule object decides inside flair's training loop and in the benchmark's replays.
"""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from typing import Optional

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.registry import Registry


class EarlyStopping(ABC):
    """Base of all rules. ``grace_epochs``: no trial is stopped before it has trained this many epochs."""

    def __init__(self, grace_epochs: int = 1) -> None:
        self.grace_epochs = check_positive("grace_epochs", grace_epochs, integer=True)
        self.max_epochs: int = 0
        self._runs: dict[int, dict[int, list[float]]] = {}  # trial -> epoch -> value of each run
        self._completed: set[int] = set()

    def bind(self, max_epochs: int) -> None:
        """Start a search whose runs train at most ``max_epochs`` epochs (forgets every trial seen before)."""
        self.max_epochs = check_positive("max_epochs", max_epochs, integer=True)
        self._runs, self._completed = {}, set()
        self._on_bind()

    def _on_bind(self) -> None:
        """Prepare rule state for a new search."""

    def report(self, trial: int, run: int, epoch: int, value: float) -> bool:
        """Record run ``run`` of ``trial`` reaching ``value`` after ``epoch`` (from 1); True: stop the trial."""
        values = self._runs.setdefault(trial, {}).setdefault(epoch, [])
        if run < len(values):
            values[run] = value
        else:
            values.append(value)
        if epoch < self.grace_epochs or epoch >= self.max_epochs:
            self._record(trial, epoch)
            return False
        return self._decide(trial, epoch)

    def finish(self, trial: int, completed: bool) -> None:
        """The trial ended: completed (all its epochs), or stopped or failed."""
        if completed:
            self._completed.add(trial)

    def value(self, trial: int, epoch: int) -> float:
        """The trial's value after ``epoch``: the mean over its runs that reached it."""
        return statistics.fmean(self._runs[trial][epoch])

    def curve(self, trial: int) -> dict[int, float]:
        return {epoch: self.value(trial, epoch) for epoch in sorted(self._runs.get(trial, {}))}

    @property
    def completed(self) -> set[int]:
        return set(self._completed)

    def _record(self, trial: int, epoch: int) -> None:
        """Note the value of a trial at an epoch where no decision is made."""

    @abstractmethod
    def _decide(self, trial: int, epoch: int) -> bool:
        """True when the trial should stop after ``epoch``."""

    def describe(self) -> str:
        arguments = ", ".join(f"{k}={v}" for k, v in self._arguments().items())
        return f"{type(self).__name__}({arguments})"

    def _arguments(self) -> dict[str, object]:
        return {"grace_epochs": self.grace_epochs}

    def __repr__(self) -> str:
        return self.describe()


EARLY_STOPPING: Registry[type[EarlyStopping]] = Registry("early_stopping")  # by the names autotune and the CLI take
NO_RULE = "none"


def rule_names() -> list[str]:
    """What autotune and the command line take: ``none`` or a registered rule's name."""
    return [NO_RULE, *EARLY_STOPPING.names()]


def make_rule(name: str) -> Optional[EarlyStopping]:
    """The registered rule called ``name`` with its defaults; None for ``none``."""
    if name == NO_RULE:
        return None
    if name not in EARLY_STOPPING:
        raise ConfigurationError(f"early_stopping must be one of {rule_names()}, but got {name!r}.")
    return EARLY_STOPPING.get(name)()
