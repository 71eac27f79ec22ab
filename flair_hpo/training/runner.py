"""Trains one configuration once with flair's ModelTrainer and scores it."""

from __future__ import annotations

import contextlib
import gc
import logging
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

import flair
import torch
from flair.data import Corpus, Sentence
from flair.nn import Model
from flair.trainers import ModelTrainer

from flair_hpo.early_stopping import EarlyStopping
from flair_hpo.objective import CustomMetric
from flair_hpo.search.settings import StudySettings
from flair_hpo.storage.records import ERROR_FILE_NAME, RUN_MODEL_NAME, RunRecord, State
from flair_hpo.training.corpus_checks import label_dictionary, sentences
from flair_hpo.training.ctrl_c import ctrl_c_noted
from flair_hpo.training.embedding_cache import EmbeddingCache
from flair_hpo.training.model_size import check_model_size
from flair_hpo.training.plugins import (
    DeadlinePlugin,
    DeadlineReached,
    EarlyStoppingPlugin,
    LostCtrlCPlugin,
    ScoreRecorder,
    StoppedEarly,
)
from flair_hpo.training.static_embeddings import frozen_parts_in_eval_mode
from flair_hpo.training.trainer_arguments import training_call

log = logging.getLogger("flair_hpo")


@contextlib.contextmanager
def _quiet_flair_console(quiet: bool) -> Iterator[None]:
    """Hide flair's per-epoch console output (its training.log in the run folder keeps everything)."""
    handlers = [h for h in logging.getLogger("flair").handlers if type(h) is logging.StreamHandler] if quiet else []
    levels = [h.level for h in handlers]
    for handler in handlers:
        handler.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels):
            handler.setLevel(level)


def clear_embeddings(corpus: Corpus) -> None:
    """Forget embeddings stored on the corpus's sentences, so that no run sees another's."""
    sentences: Iterable[Sentence] = corpus.get_all_sentences()  # type: ignore[assignment]
    for sentence in sentences:
        sentence.clear_embeddings()


def _error_with_traceback(error: Exception, folder: Path) -> str:
    """``Type: message`` and the traceback after it, also written to the run folder's ``error.txt``."""
    text = f"{type(error).__name__}: {error}\n\n" + "".join(traceback.format_exception(error))
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ERROR_FILE_NAME).write_text(text, encoding="utf-8")
    return text


def _save_reached_weights(model: Model, folder: Path) -> None:
    """The weights a run stopped by the deadline reached, kept in case no trial completes."""
    model.save(folder / RUN_MODEL_NAME)


class TrialRunner:
    """Runs training runs of configurations on one corpus; the label dictionary is built once.
    With an ``embedding_cache``, embeddings that never change are computed once and served to every run."""

    def __init__(
        self,
        corpus: Corpus,
        settings: StudySettings,
        quiet: bool = True,
        embedding_cache: Optional[EmbeddingCache] = None,
        save_models: bool = True,
    ) -> None:
        self.corpus = corpus
        self.save_models = save_models
        self.settings = settings
        self.quiet = quiet
        self.embedding_cache = embedding_cache
        self.labels = label_dictionary(corpus, settings.label, settings.task.add_unknown_label)

    def build(self, config: dict[str, Any]) -> Model:
        """A freshly initialised model of this configuration."""
        return self.settings.task.build_model(config, self.settings, self.labels)

    def fresh_model(self, config: dict[str, Any], seed: int) -> Model:
        """A model of this configuration initialised with ``seed``; one over the size limit is refused."""
        clear_embeddings(self.corpus)
        flair.set_seed(seed)
        model = self.build(config)
        check_model_size(model, self.settings.max_model_bytes)
        return model

    def train(
        self, config: dict[str, Any], folder: Path, seed: int, plugins: Sequence[Any] = (), train_with_dev: bool = False
    ) -> tuple[Model, dict]:
        """Train a fresh model of this configuration with flair's ModelTrainer; returns it and flair's results.
        A model larger than the settings' size limit is refused before training."""
        model = self.fresh_model(config, seed)
        return model, self.fit(model, config, folder, plugins, train_with_dev)

    def fit(
        self,
        model: Model,
        config: dict[str, Any],
        folder: Path,
        plugins: Sequence[Any] = (),
        train_with_dev: bool = False,
    ) -> dict:
        """Train ``model`` with flair's ModelTrainer, by the configuration's recipe; returns flair's results."""
        cached = (
            self.embedding_cache.serving(model, self.corpus)
            if self.embedding_cache
            else frozen_parts_in_eval_mode(model)
        )
        call = training_call(config, self.settings, folder)
        with _quiet_flair_console(self.quiet), cached:
            values = call.run(
                ModelTrainer(model, self.corpus),
                folder,
                list(plugins),
                use_final_model_for_eval=True,
                train_with_dev=train_with_dev,
                save_final_model=self.save_models,
            )
        if not sentences(self.corpus.test):
            values["test_score"] = None  # flair reports 0 without test data
        elif isinstance(self.settings.metric, CustomMetric):
            values["test_score"] = self.settings.metric.score(model, sentences(self.corpus.test), self.settings.label)
        return values

    def run(
        self,
        config: dict[str, Any],
        run: int,
        folder: Path,
        seed: int,
        deadline: Optional[float] = None,
        plugins: Sequence[Any] = (),
        early_stopping: Optional[EarlyStopping] = None,
        trial: int = 0,
    ) -> RunRecord:
        """Train and score one run; failures, the deadline and early stopping are recorded, never raised.
        Ctrl-C is re-raised. ``plugins`` are further trainer plugins; ``early_stopping`` hears this run's
        objective after every epoch as ``trial``'s."""
        recorder = ScoreRecorder(self.settings.metric, self.settings.label, self.settings.embeddings_storage_mode)
        objective = self.settings.objective
        observers: list[Any] = [recorder, *plugins]
        if early_stopping is not None:
            observers.append(EarlyStoppingPlugin(early_stopping, trial, run, recorder, objective))
        if deadline is not None:
            observers.append(DeadlinePlugin(deadline))
        record = RunRecord(run=run, state=State.RUNNING)
        started = time.monotonic()
        model: Optional[Model] = None
        with (
            ctrl_c_noted() as ctrl_c
        ):  # raises Ctrl-C's interrupt after cleaning up, though flair ends training quietly
            observers.append(LostCtrlCPlugin(ctrl_c))
            try:
                model = self.fresh_model(config, seed)
                values = self.fit(model, config, folder, observers)
                record.state, record.test_score = State.COMPLETED, values.get("test_score")
            except DeadlineReached:
                record.state = State.STOPPED
                if model is not None and self.save_models and recorder.epochs_evaluated:
                    _save_reached_weights(model, folder)
            except StoppedEarly:
                record.state = State.STOPPED_EARLY
            except Exception as error:  # a failed run is a result: out of memory, NaN loss, bad combination
                log.warning("run %d failed: %s: %s", run + 1, type(error).__name__, error)
                record.state, record.error = State.FAILED, _error_with_traceback(error, folder)
            finally:
                for observer in observers:  # flair's trainer keeps its plugins; ours must not keep the trainer
                    if observer.pluggable is not None:
                        observer.detach()
                model = None  # the model, trainer and optimizer are garbage now, freed by this collection
                clear_embeddings(self.corpus)
                gc.collect()
                free_cuda_cache()
        record.duration = time.monotonic() - started
        record.dev_scores, record.dev_losses = recorder.dev_scores, recorder.dev_losses
        record.score = objective.run_score(record.dev_scores, record.dev_losses)
        if record.state is State.COMPLETED and record.score is None:
            record.state, record.error = State.FAILED, "no dev evaluation was recorded"
        return record


def free_cuda_cache() -> None:
    """Give CUDA's cached memory back. After a CUDA error that stays with the process (a device-side assert)
    this fails too; the run's record, which holds the first error, is what must get out, so it is logged."""
    if not torch.cuda.is_available():
        return
    try:
        torch.cuda.empty_cache()
    except RuntimeError as error:
        log.warning("CUDA's cached memory could not be freed: %s", error)
