"""Reading what a search wrote never unpickles; model weights load only through flair, from the search's folder."""

from __future__ import annotations

import pickle

import pytest
import torch

from flair_hpo import Orchestrator
from flair_hpo import parameters as p
from flair_hpo.analysis.report import build_report
from flair_hpo.analysis.trials_table import trials_dataframe
from flair_hpo.errors import ConfigurationError
from flair_hpo.search.best_configuration import BestConfiguration, load_best_model
from flair_hpo.storage import JOURNAL_NAME, Journal
from flair_hpo.strategies import GridSearch
from flair_hpo.tasks import TextClassifierSearchSpace
from flair_hpo.training.embedding_cache import CACHE_FOLDER_NAME, EmbeddingCache
from flair_hpo.training.runner import TrialRunner


def _refuse(*args, **kwargs):
    raise AssertionError("something was unpickled")


def test_reading_a_search_never_unpickles_and_weights_load_only_from_its_folder(trec, glove, tmp_path, monkeypatch):
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.1, 0.2])
    Orchestrator(trec, tmp_path / "search", space, GridSearch(seed=0)).optimize()
    folder = tmp_path / "search"

    for target, name in ((pickle, "loads"), (pickle, "load"), (pickle, "Unpickler"), (torch, "load")):
        monkeypatch.setattr(target, name, _refuse)
    assert len(Journal(folder / JOURNAL_NAME, read_only=True).trials()) == 2
    assert len(trials_dataframe(folder)) == 2
    assert build_report(folder).exists()
    configuration = BestConfiguration.load(folder / "best_parameters.json")
    cache = EmbeddingCache(folder / CACHE_FOLDER_NAME)
    runner = TrialRunner(trec, configuration.settings, embedding_cache=cache)
    with cache.serving(runner.build(configuration.parameters), trec):
        assert len(cache.loaded) == 1 and cache.computed == []
    monkeypatch.undo()

    model = load_best_model(folder)
    assert type(model).__name__ == "TextClassifier"
    outside = tmp_path / "elsewhere.pt"
    (folder / "best-model.pt").rename(outside)
    (folder / "best-model.pt").symlink_to(outside)
    with pytest.raises(ConfigurationError, match="leads out of the search folder"):
        load_best_model(folder)
