"""The learning-rate finder on a default model of a corpus, for ``flair-hpo find-lr``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from flair.visual.training_curves import Plotter

from flair_hpo.errors import ConfigurationError
from flair_hpo.frontends.corpora import load_corpus
from flair_hpo.frontends.learning_rate_finder import ModelTrainer
from flair_hpo.frontends.word_embeddings import load_word_embeddings
from flair_hpo.search.settings import StudySettings
from flair_hpo.tasks import get_task
from flair_hpo.training.corpus_checks import label_dictionary, resolve_label_type
from flair_hpo.training.trainer_arguments import resolve_optimizer


def find_learning_rate_for(
    corpus: str,
    output: Path,
    task: Optional[str] = None,
    label_type: Optional[str] = None,
    embeddings: str = "glove",
    optimizer: str = "SGD",
    start_learning_rate: float = 1e-7,
    end_learning_rate: float = 10.0,
    iterations: int = 100,
    mini_batch_size: int = 32,
) -> tuple[Path, float]:
    """Write ``learning_rate.tsv`` and flair's ``learning_rate.png`` for a default model; returns the TSV and the suggestion."""
    loaded = load_corpus(corpus, get_task(task) if task is not None else None, label_type)
    settings = StudySettings(task=loaded.task, label_type=resolve_label_type(loaded.corpus, loaded.label_type))
    labels = label_dictionary(loaded.corpus, settings.label, loaded.task.add_unknown_label)
    config = loaded.task.finder_configuration(load_word_embeddings(embeddings))
    model = loaded.task.build_model(config, settings, labels)
    trainer = ModelTrainer(model, loaded.corpus)
    tsv = trainer.find_learning_rate(
        output,
        resolve_optimizer(optimizer),
        mini_batch_size=mini_batch_size,
        start_learning_rate=start_learning_rate,
        end_learning_rate=end_learning_rate,
        iterations=iterations,
    )
    if trainer.suggested_learning_rate is None:
        raise ConfigurationError(f"the finder recorded too few steps to suggest a learning rate; see {tsv}.")
    Plotter().plot_learning_rate(tsv, skip_first=min(10, iterations // 10), skip_last=min(5, iterations // 20))
    return tsv, trainer.suggested_learning_rate
