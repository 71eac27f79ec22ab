"""Median stopping: stop a trial whose best value so far is below the median of completed trials at that epoch."""

from __future__ import annotations

import statistics

from flair_hpo.early_stopping.base import EARLY_STOPPING, EarlyStopping
from flair_hpo.errors import check_positive


@EARLY_STOPPING.register("median")
class MedianStopping(EarlyStopping):
    """As Optuna's ``MedianPruner`` and Ray Tune's median stopping rule: after ``grace_epochs``, a trial
    stops when its best value so far is worse than the median value of the completed trials at the same
    epoch, once at least ``min_trials`` completed trials reached that epoch."""

    def __init__(self, grace_epochs: int = 1, min_trials: int = 5) -> None:
        super().__init__(grace_epochs)
        self.min_trials = check_positive("min_trials", min_trials, integer=True)

    def _decide(self, trial: int, epoch: int) -> bool:
        others = [self.value(t, epoch) for t in self._completed if t != trial and epoch in self._runs.get(t, {})]
        if len(others) < self.min_trials:
            return False
        best_so_far = max(value for e, value in self.curve(trial).items() if e <= epoch)
        return best_so_far < statistics.median(others)

    def _arguments(self) -> dict[str, object]:
        return {**super()._arguments(), "min_trials": self.min_trials}
