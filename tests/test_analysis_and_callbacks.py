"""Trials as a DataFrame, importances, plots and the HTML report; callbacks, MLflow and the progress line."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from flair_hpo import ConfigurationError, Orchestrator, SearchCallback, parameters, search_spaces, search_strategies
from flair_hpo.analysis import build_report, parameter_importances, trials_dataframe
from flair_hpo.frontends.cli import main
from flair_hpo.integrations.mlflow import MLflowCallback
from flair_hpo.search.progress import ProgressLine

pytestmark = pytest.mark.training


class Recorder(SearchCallback):
    def __init__(self) -> None:
        self.events: list[str] = []

    def on_search_start(self, context) -> None:
        self.events.append(f"start {context.strategy} {context.resumed_trials}")

    def on_trial_start(self, trial) -> None:
        self.events.append(f"trial {trial.number}")

    def on_trial_end(self, trial, best) -> None:
        self.events.append(f"end {trial.number} {trial.state.value} best {best.number if best else None}")

    def on_search_end(self, result) -> None:
        self.events.append(f"done {len(result.trials)}")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def search(tmp_path_factory, flair_cache, glove):
    """Six trials on a TREC-6 slice, observed by a recorder, MLflow's local file store and a progress line."""
    import os

    import flair

    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 keeps its file store behind this switch
    from flair.datasets import TREC_6

    flair.set_seed(0)
    corpus = TREC_6().downsample(0.05)
    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameters.Budget.RUNS, 6)
    space.add_max_epochs_per_training_run(2)
    space.add_word_embeddings(parameters.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.DocumentPoolEmbeddings.POOLING, options=["mean", "max"])
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, low=0.001, high=1.0, log=True)
    space.add_parameter(parameters.ModelTrainer.MINI_BATCH_SIZE, options=[8, 32])
    base_path = tmp_path_factory.mktemp("search")
    recorder, terminal = Recorder(), Terminal()
    callbacks = [
        recorder,
        MLflowCallback(tracking_uri=(base_path / "mlruns").as_uri()),
        ProgressLine(terminal, refresh_seconds=0.05),
    ]
    result = Orchestrator(
        corpus, base_path, space, search_strategies.RandomSearch(seed=5), callbacks=callbacks
    ).optimize()
    return base_path, result, recorder, terminal


def test_trials_dataframe_has_one_row_per_trial(search) -> None:
    base_path, result, _, _ = search
    frame = trials_dataframe(base_path)
    assert list(frame["number"]) == [t.number for t in result.trials]
    assert {"state", "score", "score_std", "test_score", "duration_s", "epochs", "param_learning_rate"} <= set(
        frame.columns
    )
    assert frame["param_learning_rate"].dtype == float and frame["param_mini_batch_size"].dtype == np.int64
    assert frame["score"].tolist() == pytest.approx([t.score for t in result.trials])


def test_importances_find_the_parameter_that_decides_the_score() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "state": "completed",
            "param_lr": rng.uniform(0, 1, 60),
            "param_noise": rng.uniform(0, 1, 60),
            "param_kind": rng.choice(["a", "b"], 60),
        }
    )
    frame["score"] = 3 * frame["param_lr"] + 0.05 * (frame["param_kind"] == "a")
    importances = parameter_importances(frame)
    assert importances.index[0] == "lr" and importances["lr"] > 0.8
    assert importances.sum() == pytest.approx(1.0)
    frame["score"] = 0.2  # every model predicted the majority class: nothing to attribute
    assert parameter_importances(frame).empty


def test_the_report_embeds_every_plot_and_the_table(search) -> None:
    base_path, result, _, _ = search
    outcome = CliRunner().invoke(main, ["report", str(base_path)])
    assert outcome.exit_code == 0, outcome.output
    report = Path(outcome.output.strip())
    document = report.read_text()
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", document)
    assert len(images) == 3 and all(base64.b64decode(image)[:4] == b"\x89PNG" for image in images)
    for name in ("optimization_history.png", "parameter_importances.png", "slices.png", "trials.csv"):
        assert (report.parent / name).stat().st_size > 0
    assert f"Trial {result.best.number}:" in document and document.count("<tr>") >= len(result.trials) + 1


def test_a_report_of_an_interrupted_search_and_of_no_search(search, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    base_path, _, _, _ = search
    copy = tmp_path / "interrupted"
    shutil.copytree(base_path, copy, ignore=shutil.ignore_patterns("mlruns", "trials"))
    with sqlite3.connect(copy / "journal.sqlite") as connection:
        connection.execute(
            "UPDATE trials SET state = 'running', score = NULL WHERE number = (SELECT max(number) FROM trials)"
        )
    frame = trials_dataframe(copy)
    assert frame["state"].tolist().count("running") == 1
    assert build_report(copy).is_file()
    with pytest.raises(ConfigurationError, match="no search journal"):
        trials_dataframe(tmp_path / "nothing")


def test_callbacks_see_every_trial(search) -> None:
    _, result, recorder, _ = search
    assert recorder.events[0] == "start RandomSearch 0" and recorder.events[-1] == "done 6"
    ends = [event for event in recorder.events if event.startswith("end")]
    assert len(ends) == 6 and recorder.events.count("trial 0") == 1
    assert ends[-1].endswith(f"best {result.best.number}")


def test_mlflow_receives_one_run_per_trial(search) -> None:
    from mlflow.tracking import MlflowClient

    base_path, result, _, _ = search
    client = MlflowClient((base_path / "mlruns").as_uri())
    experiment = client.get_experiment_by_name(base_path.name)
    runs = {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}
    assert len(runs) == 6
    for trial in result.trials:
        run = runs[f"trial {trial.number}"]
        assert run.data.metrics["score"] == pytest.approx(trial.score)
        assert run.data.params["learning_rate"] == trial.parameters["learning_rate"]
        assert run.info.status == "FINISHED"
    history = client.get_metric_history(runs["trial 0"].info.run_id, "dev_score_run1")
    assert [m.step for m in history] == [1, 2]


def test_the_progress_line_on_a_terminal(search) -> None:
    _, result, _, terminal = search
    lines = [line for line in terminal.getvalue().split("\r") if line.strip()]
    pattern = r"Progress: +\d+\.\d% Trials: +\d+ Best score: +(\d\.\d{6}|-) ETA: +\d+h *\d+m *\d+s"
    assert lines and all(re.fullmatch(pattern, line.strip()) for line in lines)
    assert lines[-1].strip().startswith("Progress: 100.0% Trials:    6")
    assert f"Best score: {result.best.score:9.6f}" in lines[-1]


def test_mlflow_missing_says_what_to_install(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def without_mlflow(name, *args, **kwargs):
        if name.startswith("mlflow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_mlflow)
    monkeypatch.delitem(__import__("sys").modules, "mlflow.tracking", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'flair-hpo\[mlflow\]'"):
        MLflowCallback()


def test_the_history_plot_marks_failed_trials_at_the_worst_score_and_stopped_ones_where_they_got() -> None:
    from flair_hpo.analysis.plots import history_markers
    from flair_hpo.storage import State, TrialRecord
    from flair_hpo.storage.trials_table import trials_frame

    frame = trials_frame(
        [
            TrialRecord(0, {}, {}, State.COMPLETED, score=1.2),
            TrialRecord(1, {}, {}, State.FAILED),
            TrialRecord(2, {}, {}, State.STOPPED_EARLY, score=1.5),
            TrialRecord(3, {}, {}, State.COMPLETED, score=1.0),
            TrialRecord(4, {}, {}, State.STOPPED),
        ]
    )
    for minimises, worst in ((True, 1.5), (False, 1.0)):  # a dev loss, then a dev score
        markers = {label: rows.to_dict("list") for label, rows in history_markers(frame, minimises).items()}
        assert markers["trial score"] == {"number": [0, 3], "score": [1.2, 1.0]}
        assert markers["stopped: score reached"] == {"number": [2], "score": [1.5]}
        assert markers["failed or stopped without a score"] == {"number": [1, 4], "score": [worst, worst]}
