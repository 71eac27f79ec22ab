"""Logs every trial of a search as an MLflow run: parameters, scores and per-epoch dev curves."""

from __future__ import annotations

from typing import Any, Optional

from flair_hpo.optional import require
from flair_hpo.search.callbacks import SearchCallback, SearchContext
from flair_hpo.storage.records import State, TrialRecord

_STATUS = {State.COMPLETED: "FINISHED", State.FAILED: "FAILED", State.STOPPED: "KILLED"}


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

    def on_trial_end(self, trial: TrialRecord, best: Optional[TrialRecord]) -> None:
        tags = {
            "state": trial.state.value,
            "strategy": self.context.strategy,
            "objective": self.context.settings.objective_label,
        }
        run = self.client.create_run(self.experiment_id, run_name=f"trial {trial.number}", tags=tags)
        run_id = run.info.run_id
        for key, text in trial.parameters.items():
            self.client.log_param(run_id, key, text[:6000])
        values: dict[str, Optional[float]] = {
            "score": trial.score,
            "score_std": trial.score_std,
            "test_score": trial.test_score,
        }
        values.update({"duration_s": trial.duration, "epochs": float(trial.epochs)})
        for key, number in values.items():
            if number is not None:
                self.client.log_metric(run_id, key, number)
        for run_record in trial.runs:
            for epoch, score in enumerate(run_record.dev_scores, start=1):
                self.client.log_metric(run_id, f"dev_score_run{run_record.run + 1}", score, step=epoch)
        if trial.error:
            self.client.set_tag(run_id, "error", trial.error[:5000])
        self.client.set_terminated(run_id, status=_STATUS.get(trial.state, "FINISHED"))
