"""Asynchronous successive halving (ASHA): at each rung, only the best part of the trials goes on."""

from __future__ import annotations

from flair_hpo.early_stopping.base import EARLY_STOPPING, EarlyStopping
from flair_hpo.errors import ConfigurationError, check_positive


@EARLY_STOPPING.register("asha")
class SuccessiveHalving(EarlyStopping):
    """Rungs at ``grace_epochs * reduction_factor**k`` epochs. A trial reaching a rung goes on when its value
    is among the best ``1/reduction_factor`` of all values recorded at that rung so far (the best one while
    fewer than ``reduction_factor`` trials have reached it), as in Li et al. (2020) and Optuna's
    ``SuccessiveHalvingPruner``; otherwise it stops. Decisions never wait for other trials."""

    def __init__(self, grace_epochs: int = 1, reduction_factor: int = 3) -> None:
        super().__init__(grace_epochs)
        reduction_factor = check_positive("reduction_factor", reduction_factor, integer=True)
        if reduction_factor < 2:
            raise ConfigurationError(f"reduction_factor must be at least 2, but got {reduction_factor!r}.")
        self.reduction_factor = reduction_factor
        self._rung_values: dict[int, dict[int, float]] = {}  # rung epoch -> trial -> value

    def _on_bind(self) -> None:
        self._rung_values = {}

    def rungs(self) -> list[int]:
        """The epochs where decisions are made."""
        epochs, epoch = [], self.grace_epochs
        while epoch < self.max_epochs:
            epochs.append(epoch)
            epoch *= self.reduction_factor
        return epochs

    def _record(self, trial: int, epoch: int) -> None:
        if epoch in self.rungs():
            self._rung_values.setdefault(epoch, {})[trial] = self.value(trial, epoch)

    def _decide(self, trial: int, epoch: int) -> bool:
        if epoch not in self.rungs():
            return False
        self._record(trial, epoch)
        competing = sorted(self._rung_values[epoch].values(), reverse=True)
        promoted = max(len(competing) // self.reduction_factor, 1)
        return self.value(trial, epoch) < competing[promoted - 1]

    def _arguments(self) -> dict[str, object]:
        return {**super()._arguments(), "reduction_factor": self.reduction_factor}
