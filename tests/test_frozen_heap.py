"""Collections after runs walk only what the search made (``frozen_heap``), and still free every run's model."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Iterator

from flair.trainers.plugins import TrainerPlugin

from flair_hpo.search.settings import StudySettings
from flair_hpo.tasks import TEXT_CLASSIFICATION
from flair_hpo.training.frozen_heap import frozen_heap
from flair_hpo.training.runner import TrialRunner


class Node:
    """An object that can be made part of a reference cycle."""

    link: object = None


def cycle() -> Node:
    node = Node()
    node.link = node
    return node


@contextlib.contextmanager
def automatic_collection_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_collections_inside_walk_only_what_the_block_made() -> None:
    with automatic_collection_off():
        older_garbage = weakref.ref(cycle())
        older = cycle()
        older_dying_inside = weakref.ref(older)
        with frozen_heap():
            assert older_garbage() is None  # collected in full on entering
            newer_garbage = weakref.ref(cycle())
            del older
            gc.collect()
            assert newer_garbage() is None  # made inside: collected
            assert older_dying_inside() is not None  # made before: left out of the collection
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert older_dying_inside() is None  # the first full collection after the block frees it


def test_a_heap_frozen_already_is_left_frozen() -> None:
    gc.freeze()
    try:
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_searches_in_several_threads_share_one_freeze_and_none_has_its_objects_frozen() -> None:
    first, second, third = contextlib.ExitStack(), contextlib.ExitStack(), contextlib.ExitStack()
    with automatic_collection_off():
        first.enter_context(frozen_heap())
        second.enter_context(frozen_heap())
        second_garbage = cycle()  # the second search's model, in flight
        first.close()  # the first search ends while the second runs
        third.enter_context(frozen_heap())  # a third starts: it must not freeze the second's objects
        garbage = weakref.ref(second_garbage)
        del second_garbage
        gc.collect()  # the second search's collection after its run
        assert garbage() is None
        second.close()
        assert gc.get_freeze_count() > 0  # the third still runs
        third.close()
        assert gc.get_freeze_count() == 0


class ModelWatch(TrainerPlugin):
    """Keeps a weak reference to each run's model."""

    def __init__(self, models: list[weakref.ref]) -> None:
        super().__init__()
        self.models = models

    @TrainerPlugin.hook
    def after_setup(self, **kw: object) -> None:
        self.models.append(weakref.ref(self.model))


def test_each_runs_model_is_freed_by_its_own_collection_in_a_frozen_heap(trec, glove, tmp_path) -> None:
    """The run's plugins (this test's watch too) are detached from flair's trainer as the run ends, so that the
    model, trainer and optimizer are garbage when the run collects: on a GPU, the next trial in the same
    worker then starts with none of this one's memory."""
    settings = StudySettings(TEXT_CLASSIFICATION, label_type="question_class", max_epochs=1)
    runner = TrialRunner(trec, settings, save_models=False)
    config = {"document_embeddings": "DocumentPoolEmbeddings", "DocumentPoolEmbeddings.embeddings": [glove]}
    config |= {"learning_rate": 0.1, "mini_batch_size": 32}
    models: list[weakref.ref] = []
    with automatic_collection_off(), frozen_heap():
        for run in range(3):
            record = runner.run(config, run, tmp_path / str(run), seed=run, plugins=[ModelWatch(models)])
            assert record.state.value == "completed", record.error
            assert models[-1]() is None, f"run {run}'s model outlived the run"
        assert len(models) == 3
