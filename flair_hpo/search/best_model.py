"""``best-model.pt``: the weights of the best trial's best run, copied when the best changes. The weights of
trials that can no longer become the best are dropped; those of trials still training, waiting to run again or
being trained again with further seeds are kept, since any of them may become the best. A best trial whose
weights were dropped all the same (let into a final selection whose further runs of it failed) leaves no
``best-model.pt`` rather than another trial's."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import Optional

from flair_hpo.objective import Objective
from flair_hpo.search.best_configuration import BEST_MODEL_NAME
from flair_hpo.search.outputs import best_trial
from flair_hpo.storage import State, TrialRecord
from flair_hpo.storage.records import RUN_MODEL_NAME

log = logging.getLogger("flair_hpo")


def run_folder(base_path: Path, trial_number: int, run_index: int) -> Path:
    """Where one run of a trial trains and leaves its weights."""
    return base_path / "trials" / f"{trial_number:04d}" / f"run-{run_index + 1}"


class BestModel:
    """Keeps ``base_path/best-model.pt`` the weights of the best trial's best run."""

    def __init__(self, base_path: Path, objective: Objective) -> None:
        self.base_path = base_path
        self.objective = objective
        self._copied: Optional[Path] = None  # the run weights best-model.pt holds, once this search copied them

    def update(self, journalled: list[TrialRecord], keep: Collection[int]) -> Optional[TrialRecord]:
        """The best of the ``journalled`` trials, its best run's weights copied where they are not yet the best
        model; the weights of every other trial are dropped but those in ``keep`` and those of trials the time
        budget stopped (they run again on resume, their completed runs kept)."""
        best = best_trial(journalled, self.objective)
        keep = {*keep, *(trial.number for trial in journalled if trial.state is State.STOPPED)}
        if best is not None:
            source = self._best_run_weights(best)
            target = self.base_path / BEST_MODEL_NAME
            if source is None and target.exists():
                target.unlink()
                self._copied = None
                log.warning("trial %d, now the best, has no saved weights: %s is removed", best.number, target)
            elif source is not None and source != self._copied:
                partial = self.base_path / f"{BEST_MODEL_NAME}.partial"
                shutil.copyfile(source, partial)
                os.replace(partial, target)  # a crash never leaves half a model
                self._copied = source
        for weights in (self.base_path / "trials").glob(f"*/run-*/{RUN_MODEL_NAME}"):
            number = int(weights.parent.parent.name)
            if (best is None or number != best.number) and number not in keep:
                weights.unlink()
        return best

    def _best_run_weights(self, trial: TrialRecord) -> Optional[Path]:
        saved = {
            run.run: path
            for run in trial.runs
            if run.score is not None
            and (path := run_folder(self.base_path, trial.number, run.run) / RUN_MODEL_NAME).exists()
        }
        best_run = self.objective.best([run for run in trial.runs if run.run in saved], lambda run: run.score)
        return saved[best_run.run] if best_run is not None else None
