"""The learning-rate finder on a default model of a corpus, for ``flair-hpo find-lr``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Optional, Union

from flair.visual.training_curves import Plotter

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.frontends.corpora import load_corpus
from flair_hpo.frontends.learning_rate_finder import FINE_TUNING_RANGE, TRAINING_RANGE, ModelTrainer
from flair_hpo.frontends.word_embeddings import check_transformer, load_word_embeddings
from flair_hpo.search.settings import StudySettings
from flair_hpo.tasks import get_task
from flair_hpo.training.corpus_checks import label_dictionary, resolve_label_type
from flair_hpo.training.recipes import DEFAULT_RECIPE, FINE_TUNING_RECIPE, RECIPES
from flair_hpo.training.trainer_arguments import resolve_optimizer

FINE_TUNING_ITERATIONS = 60  # a tenth of a small grid of short fine-tunings (benchmarks/fine_tuning_lr_finder.py)


def find_learning_rate_for(
    corpus: str,
    output: Path,
    task: Optional[str] = None,
    label_type: Optional[str] = None,
    embeddings: str = "glove",
    transformer: Optional[str] = None,
    fine_tune: bool = False,
    optimizer: Optional[str] = None,
    start_learning_rate: Optional[float] = None,
    end_learning_rate: Optional[float] = None,
    iterations: Optional[int] = None,
    mini_batch_size: Optional[int] = None,
    text_column: Optional[Sequence[Union[str, int]]] = None,
    label_column: Union[str, int, None] = None,
) -> tuple[Path, float]:
    """Write ``learning_rate.tsv`` and flair's ``learning_rate.png`` for a default model; returns the TSV and the
    suggestion. ``fine_tune``: the model fine-tunes ``transformer``, under AdamW, with the fine-tuning rule."""
    if fine_tune and transformer is None:
        raise ConfigurationError("the fine-tuning finder needs a transformer to fine-tune: give --transformer.")
    if transformer is not None and not fine_tune:
        raise ConfigurationError(
            f"the finder trains the default model over word embeddings: --transformer {transformer!r} applies with "
            "--fine-tune (to find a fine-tuning learning rate for it); leave it out, or add --fine-tune."
        )
    if transformer is not None:
        check_transformer(transformer)
    start, end = FINE_TUNING_RANGE if fine_tune else TRAINING_RANGE
    start = start if start_learning_rate is None else check_positive("start_learning_rate", start_learning_rate)
    end = end if end_learning_rate is None else check_positive("end_learning_rate", end_learning_rate)
    if start >= end:
        raise ConfigurationError(
            f"the ramp must rise: start_learning_rate < end_learning_rate must hold, but got ({start:g}, {end:g})."
        )
    steps = FINE_TUNING_ITERATIONS if fine_tune else 100
    steps = steps if iterations is None else check_positive("iterations", iterations, integer=True)
    batch = 16 if fine_tune else 32
    batch = batch if mini_batch_size is None else check_positive("mini_batch_size", mini_batch_size, integer=True)
    loaded = load_corpus(
        corpus,
        get_task(task) if task is not None else None,
        label_type,
        text_column=text_column,
        label_column=label_column,
    )
    settings = StudySettings(task=loaded.task, label_type=resolve_label_type(loaded.corpus, loaded.label_type))
    labels = label_dictionary(loaded.corpus, settings.label, loaded.task.add_unknown_label)
    if fine_tune:
        assert transformer is not None
        config = loaded.task.fine_tuning_configuration(transformer)
    else:
        config = loaded.task.finder_configuration(load_word_embeddings(embeddings))
    model = loaded.task.build_model(config, settings, labels)
    trainer = ModelTrainer(model, loaded.corpus)
    recipe = RECIPES.get(FINE_TUNING_RECIPE if fine_tune else DEFAULT_RECIPE)
    tsv = trainer.find_learning_rate(
        output,
        resolve_optimizer(optimizer or recipe.optimizer),
        mini_batch_size=batch,
        start_learning_rate=start,
        end_learning_rate=end,
        iterations=steps,
        fine_tune=fine_tune,
    )
    if trainer.suggested_learning_rate is None:
        raise ConfigurationError(f"the finder recorded too few steps to suggest a learning rate; see {tsv}.")
    Plotter().plot_learning_rate(tsv, skip_first=min(10, steps // 10), skip_last=min(5, steps // 20))
    return tsv, trainer.suggested_learning_rate
