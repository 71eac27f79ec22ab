"""Logs every trial of a search as an MLflow run: parameters, scores and per-epoch dev curves; a trial a final
selection trains again gets its new score and its further runs' curves in the same run."""

from __future__ import annotations

from typing import Any, Optional

from flair_hpo.optional import require
from flair_hpo.search.callbacks import SearchCallback, SearchContext
from flair_hpo.storage.records import RunRecord, State, TrialRecord

_STATUS = {State.COMPLETED: "FINISHED", State.FAILED: "FAILED", State.STOPPED: "KILLED", State.STOPPED_EARLY: "KILLED"}


class MLflowCallback(SearchCallback):
    """One MLflow run per trial in the experiment ``experiment_name`` (default: the search folder's name).
    ``tracking_uri`` is any MLflow store, e.g. ``sqlite:///mlflow.db`` or a ``file:`` folder."""

    def __init__(self, tracking_uri: Optional[str] = None, experiment_name: Optional[str] = None) -> None:
        tracking = require("mlflow.tracking", "mlflow")
        self.client: Any = tracking.MlflowClient(tracking_uri)
        self.experiment_name = experiment_name

    def on_search_start(self, context: SearchContext) -> None:
        name = self.experiment_name or context.base_path.name
        experiment = self.client.get_experiment_by_name(name)
        self.experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(name)
        self.context = context
        self._logged: dict[int, tuple[str, set[int]]] = {}  # trial number -> its MLflow run, the runs logged there

    def on_trial_end(self, trial: TrialRecord, best: Optional[TrialRecord]) -> None:
        tags = {
            "state": trial.state.value,
            "strategy": self.context.strategy,
            "objective": self.context.settings.objective_label,
        }
        run = self.client.create_run(self.experiment_id, run_name=f"trial {trial.number}", tags=tags)
        run_id = run.info.run_id
        self._logged[trial.number] = (run_id, {run_record.run for run_record in trial.runs})
        for key, text in trial.parameters.items():
            self.client.log_param(run_id, key, text[:6000])
        self._log_scores(run_id, trial, trial.runs)
        if trial.error:
            self.client.set_tag(run_id, "error", trial.error[:5000])
        self.client.set_terminated(run_id, status=_STATUS.get(trial.state, "FINISHED"))

    def on_trial_rescored(self, trial: TrialRecord, best: Optional[TrialRecord]) -> None:
        """The trial's score over all its runs, logged again at the step of its number of runs, and the curves of
        its further runs; a trial logged before a resume has no run here and is left as it was."""
        if trial.number not in self._logged:
            return
        run_id, logged = self._logged[trial.number]
        further = [run for run in trial.runs if run.run not in logged]
        self._log_scores(run_id, trial, further)
        logged.update(run.run for run in further)

    def _log_scores(self, run_id: str, trial: TrialRecord, runs: list[RunRecord]) -> None:
        """The trial's scores (step: its number of runs) and each of ``runs``' dev scores and losses by epoch."""
        values: dict[str, Optional[float]] = {
            "score": trial.score,
            "score_std": trial.score_std,
            "test_score": trial.test_score,
            "duration_s": trial.duration,
            "epochs": float(trial.epochs),
        }
        for key, number in values.items():
            if number is not None:
                self.client.log_metric(run_id, key, number, step=len(trial.runs))
        for run_record in runs:
            for name, curve in (("dev_score", run_record.dev_scores), ("dev_loss", run_record.dev_losses)):
                for epoch, value in enumerate(curve, start=1):
                    self.client.log_metric(run_id, f"{name}_run{run_record.run + 1}", value, step=epoch)
