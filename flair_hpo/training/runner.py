"""Trains one configuration once with flair's ModelTrainer and scores it."""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import signal
import threading
import time
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
from flair_hpo.storage.records import RunRecord, State
from flair_hpo.training.corpus_checks import sentences
from flair_hpo.training.embedding_cache import EmbeddingCache
from flair_hpo.training.plugins import (
    DeadlinePlugin,
    DeadlineReached,
    EarlyStoppingPlugin,
    ScoreRecorder,
    StoppedEarly,
)
from flair_hpo.training.static_embeddings import frozen_parts_in_eval_mode
from flair_hpo.training.trainer_arguments import training_arguments

log = logging.getLogger("flair_hpo")


@contextlib.contextmanager
def _sigint_watch() -> Iterator[list[bool]]:
    """Notes a Ctrl-C during training: flair's trainer catches it and returns as if training had ended."""
    fired = [False]
    if threading.current_thread() is not threading.main_thread():
        yield fired
        return
    previous = signal.getsignal(signal.SIGINT)

    def note(signum: int, frame: Any) -> None:
        fired[0] = True
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield fired
    finally:
        signal.signal(signal.SIGINT, previous)


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


class ModelTooLarge(Exception):
    """A configuration's saved model would exceed the size limit."""


def saved_size(model: Model) -> int:
    """The bytes flair's ``model.save`` writes for this model."""
    buffer = io.BytesIO()
    torch.save(model._get_state_dict(), buffer, pickle_protocol=4)
    return buffer.tell()


def format_bytes(size: float) -> str:
    """``20.0M`` for 20,000,000 bytes (powers of 1000, as fastText's ``-autotune-modelsize``)."""
    for unit in ("B", "K", "M"):
        if size < 1000:
            return f"{size:.1f}{unit}" if unit != "B" else f"{int(size)}B"
        size /= 1000
    return f"{size:.1f}G"


def check_model_size(model: Model, limit: Optional[int]) -> None:
    if limit is not None and (size := saved_size(model)) > limit:
        raise ModelTooLarge(
            f"the saved model would take {format_bytes(size)}, more than the limit of {format_bytes(limit)}"
        )


def clear_embeddings(corpus: Corpus) -> None:
    """Forget embeddings stored on the corpus's sentences, so that no run sees another's."""
    sentences: Iterable[Sentence] = corpus.get_all_sentences()  # type: ignore[assignment]
    for sentence in sentences:
        sentence.clear_embeddings()


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
        self.labels = corpus.make_label_dictionary(settings.label, add_unk=settings.task.add_unknown_label)

    def build(self, config: dict[str, Any]) -> Model:
        """A freshly initialised model of this configuration."""
        return self.settings.task.build_model(config, self.settings, self.labels)

    def train(
        self, config: dict[str, Any], folder: Path, seed: int, plugins: Sequence[Any] = (), train_with_dev: bool = False
    ) -> tuple[Model, dict]:
        """Train a fresh model of this configuration with flair's ModelTrainer; returns it and flair's results.
        A model larger than the settings' size limit is refused before training."""
        clear_embeddings(self.corpus)
        flair.set_seed(seed)
        model = self.build(config)
        check_model_size(model, self.settings.max_model_bytes)
        cached = (
            self.embedding_cache.serving(model, self.corpus)
            if self.embedding_cache
            else frozen_parts_in_eval_mode(model)
        )
        with _quiet_flair_console(self.quiet), cached:
            values = ModelTrainer(model, self.corpus).train(
                folder,
                plugins=list(plugins),
                use_final_model_for_eval=True,
                train_with_dev=train_with_dev,
                save_final_model=self.save_models,
                **training_arguments(config, self.settings),
            )
        if isinstance(self.settings.metric, CustomMetric) and self.corpus.test is not None:
            values["test_score"] = self.settings.metric.score(model, sentences(self.corpus.test), self.settings.label)
        return model, values

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
        try:
            with _sigint_watch() as interrupted:
                _, values = self.train(config, folder, seed, observers)
            if interrupted[0]:
                raise KeyboardInterrupt
            record.state, record.test_score = State.COMPLETED, values.get("test_score")
            record.model_path = folder / "final-model.pt" if self.save_models else None
        except DeadlineReached:
            record.state = State.STOPPED
        except StoppedEarly:
            record.state = State.STOPPED_EARLY
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # a failed run is a result: out of memory, NaN loss, bad combination
            log.warning("run %d failed: %s: %s", run, type(error).__name__, error)
            record.state, record.error = State.FAILED, f"{type(error).__name__}: {error}"
        finally:
            clear_embeddings(self.corpus)
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        record.duration = time.monotonic() - started
        record.dev_scores, record.dev_losses = recorder.dev_scores, recorder.dev_losses
        record.score = objective.run_score(record.dev_scores, record.dev_losses)
        if record.state is State.COMPLETED and record.score is None:
            record.state, record.error = State.FAILED, "no dev evaluation was recorded"
        return record
