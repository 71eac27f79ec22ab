"""autotune's final model: the best trial's own weights, or its configuration trained again, and its test score."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Optional, TextIO

from flair.data import Corpus
from flair.nn import Model

from flair_hpo.objective import CustomMetric, EvaluationMetric, Metric
from flair_hpo.search.best_configuration import BEST_MODEL_NAME, BestConfiguration
from flair_hpo.search.settings import StudySettings
from flair_hpo.storage import SearchResult, State
from flair_hpo.training.corpus_checks import sentences
from flair_hpo.training.embedding_cache import CACHE_FOLDER_NAME, EmbeddingCache
from flair_hpo.training.plugins import EpochProgress

log = logging.getLogger("flair_hpo")

FINAL_MODEL_FOLDER = "final-model"
PREVIOUS_MODEL_NAME = "final-model.previous.pt"


def score_on_test(model: Any, corpus: Corpus, metric: Metric, label_type: str) -> Optional[float]:
    """The model's score on the test data by the search's metric (information only)."""
    test = sentences(corpus.test)
    if not test:
        return None
    if isinstance(metric, CustomMetric):
        return metric.score(model, test, label_type)
    result = model.evaluate(test, gold_label_type=label_type, main_evaluation_metric=metric.flair_main_metric)
    return float(result.scores["accuracy"]) if metric is EvaluationMetric.MICRO_ACCURACY else float(result.main_score)


def keep_previous(model_path: Path) -> None:
    """A final model from an earlier run of the same output folder is kept beside the new one, not overwritten."""
    if model_path.exists():
        previous = model_path.with_name(PREVIOUS_MODEL_NAME)
        model_path.replace(previous)
        log.warning("%s held a final model from an earlier run: it is kept as %s", model_path.parent, previous)


def final_model(
    search: SearchResult,
    settings: StudySettings,
    corpus: Corpus,
    model_path: Path,
    seed: int,
    train_with_dev: bool,
    stream: TextIO,
) -> Model:
    """The best trial's own weights, saved by the search; the configuration is trained again only for
    ``train_with_dev`` (or when the search kept no weights), with the search's embedding cache and progress."""
    best = search.best
    assert best is not None and search.best_parameters is not None
    kept = search.base_path / BEST_MODEL_NAME
    model_path.parent.mkdir(parents=True, exist_ok=True)
    if not train_with_dev and kept.exists():
        shutil.copyfile(kept, model_path)
        print(f"final model: the weights of trial {best.number}, as the search trained them", file=stream, flush=True)
        return settings.task.model_class.load(model_path)
    epochs = settings.max_epochs if best.state is State.COMPLETED else max(run.epochs for run in best.runs)
    what = "final model on train+dev" if train_with_dev else "final model"
    print(f"{what}: training trial {best.number}'s configuration for {epochs} epochs", file=stream, flush=True)
    configuration = BestConfiguration(search.best_parameters, settings, best.score, best.number)
    return configuration.train(
        corpus,
        model_path.parent,
        max_epochs=epochs,
        seed=seed,
        train_with_dev=train_with_dev,
        quiet=True,
        embedding_cache=EmbeddingCache(search.base_path / CACHE_FOLDER_NAME),
        plugins=[EpochProgress(what, epochs, stream)],
    )
