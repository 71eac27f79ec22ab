"""A model type added from this file alone: registered, searched with real flair training on TREC-6,
journalled, resumed, reloaded, read from a space file and chosen by autotune, with no edit elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pytest

from flair_hpo import Orchestrator, autotune
from flair_hpo.search.best_configuration import BestConfiguration, load_best_model
from flair_hpo.search.settings import Budget, StudySettings
from flair_hpo.storage import JOURNAL_NAME, Journal
from flair_hpo.strategies import GridSearch
from flair_hpo.tasks import TASKS, ModelTask, PrefixedParameter, TaskSearchSpace, get_task, register_task, task_names
from flair_hpo.tasks.parameters import ModelTrainer

pytestmark = pytest.mark.training


class PooledClassifier(PrefixedParameter):
    """The toy model's own parameters: a classifier over pooled word embeddings."""

    EMBEDDINGS = "embeddings"
    POOLING = "pooling"


class PooledClassification(ModelTask):
    name = "pooled_classification"
    short_name = "pooled"
    label_kind = "sentence labels"
    parameter_groups = (ModelTrainer, PooledClassifier)
    word_embedding_parameters = frozenset({PooledClassifier.EMBEDDINGS})
    classic_parameters = {"EMBEDDINGS": PooledClassifier.EMBEDDINGS, "LEARNING_RATE": ModelTrainer.LEARNING_RATE}
    add_unknown_label = True

    @property
    def model_class(self) -> type:
        from flair.models import TextClassifier

        return TextClassifier

    def new_search_space(self, label_type: Optional[str] = None) -> PooledSearchSpace:
        return PooledSearchSpace(label_type=label_type)

    def build_model(self, config: dict[str, Any], settings: StudySettings, labels: Any) -> Any:
        from flair.embeddings import DocumentPoolEmbeddings
        from flair.models import TextClassifier

        embeddings = DocumentPoolEmbeddings(
            [config["PooledClassifier.embeddings"]], pooling=config.get("PooledClassifier.pooling", "mean")
        )
        return TextClassifier(embeddings, label_type=settings.label, label_dictionary=labels)

    def fits_label(self, sentence: Any, label: Any) -> bool:
        return label.data_point is sentence

    def default_space(self, word_embeddings: Any, transformer: Optional[str] = None) -> PooledSearchSpace:
        space = PooledSearchSpace()
        space.add_word_embeddings(PooledClassifier.EMBEDDINGS, options=[word_embeddings])
        space.add_parameter(PooledClassifier.POOLING, options=["mean", "max"])
        return space

    def finder_configuration(self, word_embeddings: Any) -> dict[str, Any]:
        return {"PooledClassifier.embeddings": word_embeddings}


POOLED = register_task(PooledClassification())


class PooledSearchSpace(TaskSearchSpace):
    task = POOLED


def test_a_task_registered_from_a_test_is_searched_resumed_and_reloaded(trec, glove, tmp_path: Path) -> None:
    assert get_task("pooled") is POOLED and "pooled" in task_names() and POOLED in list(TASKS)
    space = POOLED.default_space(glove)
    space.label_type = "question_class"
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(ModelTrainer.LEARNING_RATE, options=[0.1])
    space.add_budget(Budget.RUNS, 2)
    result = Orchestrator(trec, tmp_path, space, GridSearch()).optimize()
    assert [t.state.value for t in result.trials] == ["completed", "completed"]
    assert {t.parameters["PooledClassifier.pooling"] for t in result.trials} == {"mean", "max"}

    journal = Journal(tmp_path / JOURNAL_NAME, read_only=True)
    assert journal.metadata()["task"] == "pooled_classification"
    journal.close()
    assert (
        Orchestrator(trec, tmp_path, space, GridSearch()).optimize().trials == result.trials
    )  # resumed: nothing reruns
    assert BestConfiguration.load(tmp_path / "best_parameters.json").settings.task is POOLED
    assert type(load_best_model(tmp_path)).__name__ == "TextClassifier"


def test_a_registered_task_reaches_space_files_and_autotune(trec, glove, tmp_path: Path) -> None:
    from flair_hpo.frontends.space_files import load_space_file

    space_file = tmp_path / "space.yaml"
    space_file.write_text("parameters:\n  PooledClassifier.POOLING: [mean]\n  ModelTrainer.LEARNING_RATE: [0.1]\n")
    space = load_space_file(space_file, POOLED)
    assert (
        isinstance(space, PooledSearchSpace)
        and space.to_space().describe()["PooledClassifier.pooling"] == "choice(mean)"
    )
    space.add_word_embeddings(PooledClassifier.EMBEDDINGS, options=[glove])
    result = autotune(
        trec, task="pooled", label_type="question_class", search_space=space, duration="5m", max_trials=1,
        max_epochs=1, output=tmp_path / "autotune",
    )  # fmt: skip
    assert result.search.best is not None and result.model_path.exists()
