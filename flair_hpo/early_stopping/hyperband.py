"""Hyperband: several successive-halving brackets, from aggressive (stop after few epochs) to none."""

from __future__ import annotations

import math

from flair_hpo.early_stopping.base import EARLY_STOPPING, EarlyStopping
from flair_hpo.early_stopping.successive_halving import SuccessiveHalving


@EARLY_STOPPING.register("hyperband")
class Hyperband(EarlyStopping):
    """Brackets ``b = 0 .. s`` run asynchronous successive halving with a first rung at
    ``grace_epochs * reduction_factor**b``; the last bracket trains every trial to the end. Trials are dealt
    to brackets in a fixed, interleaved order, each bracket as often as Hyperband's schedule gives it trials
    (Li et al., 2018), and compete only within their bracket, as in Optuna's ``HyperbandPruner``."""

    def __init__(self, grace_epochs: int = 1, reduction_factor: int = 3) -> None:
        super().__init__(grace_epochs)
        self.reduction_factor = reduction_factor
        SuccessiveHalving(grace_epochs, reduction_factor)  # checks the arguments
        self.brackets: list[SuccessiveHalving] = []
        self._schedule: list[int] = []

    def _on_bind(self) -> None:
        top = max(int(math.floor(math.log(self.max_epochs / self.grace_epochs, self.reduction_factor) + 1e-9)), 0)
        self.brackets = []
        for bracket in range(top + 1):
            rule = SuccessiveHalving(self.grace_epochs * self.reduction_factor**bracket, self.reduction_factor)
            rule.bind(self.max_epochs)
            self.brackets.append(rule)
        sizes = [math.ceil((top + 1) / (top - b + 1) * self.reduction_factor ** (top - b)) for b in range(top + 1)]
        slots = sorted(((i + 0.5) / size, b) for b, size in enumerate(sizes) for i in range(size))
        self._schedule = [b for _, b in slots]

    def bracket_of(self, trial: int) -> int:
        return self._schedule[trial % len(self._schedule)]

    def report(self, trial: int, run: int, epoch: int, value: float) -> bool:
        super().report(trial, run, epoch, value)
        return self.brackets[self.bracket_of(trial)].report(trial, run, epoch, value)

    def _decide(self, trial: int, epoch: int) -> bool:
        return False  # the trial's bracket decides, in report()

    def finish(self, trial: int, completed: bool) -> None:
        super().finish(trial, completed)
        self.brackets[self.bracket_of(trial)].finish(trial, completed)

    def _arguments(self) -> dict[str, object]:
        return {**super()._arguments(), "reduction_factor": self.reduction_factor}
