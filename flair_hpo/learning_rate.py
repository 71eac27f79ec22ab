"""The learning-rate finder on a default model of a corpus, for ``flair-hpo find-lr``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from flair.visual.training_curves import Plotter

from flair_hpo.corpora import load_corpus
from flair_hpo.default_spaces import load_word_embeddings
from flair_hpo.errors import ConfigurationError
from flair_hpo.settings import StudySettings, Task, parse_task
from flair_hpo.trainers import ModelTrainer
from flair_hpo.training.corpus_checks import resolve_label_type
from flair_hpo.training.model_factory import DOCUMENT_EMBEDDINGS_KEY, build_model, resolve_optimizer


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
    loaded = load_corpus(corpus, parse_task(task), label_type)
    settings = StudySettings(task=loaded.task, label_type=resolve_label_type(loaded.corpus, loaded.label_type))
    word_embeddings = load_word_embeddings(embeddings)
    if loaded.task is Task.SEQUENCE_TAGGING:
        config = {"embeddings": word_embeddings}
    else:
        config = {
            DOCUMENT_EMBEDDINGS_KEY: "DocumentRNNEmbeddings",
            "DocumentRNNEmbeddings.embeddings": [word_embeddings],
        }
    add_unk = loaded.task is Task.TEXT_CLASSIFICATION
    model = build_model(config, settings, loaded.corpus.make_label_dictionary(settings.label, add_unk=add_unk))
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
