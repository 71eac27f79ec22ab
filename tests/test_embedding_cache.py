"""The embedding cache: computed once per study, identical results, never stale, bounded memory."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from flair.data import Sentence
from flair.embeddings import DocumentRNNEmbeddings, TransformerDocumentEmbeddings
from hyperopt import hp

from flair_hpo import Orchestrator
from flair_hpo import parameters as p
from flair_hpo.search.settings import StudySettings
from flair_hpo.strategies import RandomSearch
from flair_hpo.tasks import TEXT_CLASSIFICATION, TextClassifierSearchSpace
from flair_hpo.training.embedding_cache import EmbeddingCache
from flair_hpo.training.runner import TrialRunner
from flair_hpo.training.static_embeddings import cacheable_parts, is_cacheable

SETTINGS = StudySettings(TEXT_CLASSIFICATION, label_type="question_class", max_epochs=2)


def _pool(glove) -> dict:
    return {
        "document_embeddings": "DocumentPoolEmbeddings",
        "DocumentPoolEmbeddings.embeddings": [glove],
        "learning_rate": 0.1,
        "mini_batch_size": 16,
    }


def _rnn(glove) -> dict:
    return {
        "document_embeddings": "DocumentRNNEmbeddings",
        "DocumentRNNEmbeddings.embeddings": [glove],
        "DocumentRNNEmbeddings.hidden_size": 16,
        "learning_rate": 0.1,
        "mini_batch_size": 16,
    }


def _frozen_minilm(minilm) -> dict:
    return {
        "document_embeddings": "TransformerDocumentEmbeddings",
        "TransformerDocumentEmbeddings.model": minilm,
        "TransformerDocumentEmbeddings.fine_tune": False,
        "learning_rate": 0.1,
        "mini_batch_size": 16,
    }


def _losses_and_scores(corpus, config, folder, cache):
    record = TrialRunner(corpus, SETTINGS, embedding_cache=cache).run(config, 0, folder, seed=3)
    assert record.state.value == "completed", record.error
    return record.dev_losses, record.dev_scores


@pytest.mark.parametrize("make_config", [_pool, _rnn], ids=["glove-pool", "glove-rnn"])
def test_a_run_gives_the_same_result_with_and_without_the_cache(trec, glove, tmp_path, make_config) -> None:
    config = make_config(glove)
    without = _losses_and_scores(trec, config, tmp_path / "none", None)
    cache = EmbeddingCache(tmp_path / "cache")
    first = _losses_and_scores(trec, config, tmp_path / "first", cache)
    again = _losses_and_scores(trec, config, tmp_path / "again", cache)
    assert first[0] == pytest.approx(without[0], rel=1e-5) and first[1] == without[1]
    assert again[0] == pytest.approx(without[0], rel=1e-5) and again[1] == without[1]
    assert len(cache.computed) == 1


def test_a_frozen_transformer_gives_the_same_result_with_and_without_the_cache(trec, minilm, tmp_path) -> None:
    config = _frozen_minilm(minilm)
    without = _losses_and_scores(trec, config, tmp_path / "none", None)
    cache = EmbeddingCache(tmp_path / "cache")
    cached = _losses_and_scores(trec, config, tmp_path / "cached", cache)
    assert cached[0] == pytest.approx(without[0], rel=1e-4)
    assert cached[1] == pytest.approx(without[1], abs=1e-9)
    assert cache.computed == [cache.computed[0]] and "TransformerDocumentEmbeddings" in cache.computed[0]


def test_only_embeddings_that_never_change_are_cached(glove, minilm) -> None:
    trainable_glove = copy.deepcopy(glove)
    trainable_glove.static_embeddings = True
    trainable_glove.fine_tune = True
    assert is_cacheable(glove)
    assert not is_cacheable(trainable_glove)
    assert not is_cacheable(TransformerDocumentEmbeddings(minilm, fine_tune=True))
    assert is_cacheable(TransformerDocumentEmbeddings(minilm, fine_tune=False))
    frozen_rnn = DocumentRNNEmbeddings([glove], hidden_size=8, fine_tune=False)  # random weights, new each trial
    assert cacheable_parts(frozen_rnn) == [glove]


def test_a_search_computes_each_embedding_once_and_a_rerun_reads_it_from_disk(trec, glove, tmp_path) -> None:
    def search(folder, seed):
        space = TextClassifierSearchSpace(label_type="question_class")
        space.add_max_epochs_per_training_run(1)
        space.add_training_runs(2)
        space.add_budget(p.Budget.RUNS, 3)
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, hp.choice, options=[0.05, 0.1, 0.2])
        space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, hp.choice, options=[[glove]])
        space.add_parameter(p.DocumentPoolEmbeddings.POOLING, hp.choice, options=["mean", "max"])
        orchestrator = Orchestrator(trec, folder, space, RandomSearch(seed=seed))
        result = orchestrator.optimize()
        assert all(trial.state.value == "completed" for trial in result.trials)
        return orchestrator.embedding_cache

    first = search(tmp_path / "search", seed=1)
    assert len(first.computed) == 1 and first.loaded == []  # 3 trials x 2 runs, computed once
    assert list((tmp_path / "search" / "embedding-cache").glob("*.npy"))
    rerun = search(tmp_path / "search", seed=1)  # resumes the finished search: nothing to train
    assert rerun.computed == []
    another = search(tmp_path / "search-2", seed=2)
    assert len(another.computed) == 1
    reread = EmbeddingCache(tmp_path / "search" / "embedding-cache")
    _losses_and_scores(trec, _pool(glove), tmp_path / "reread", reread)
    assert reread.computed == [] and len(reread.loaded) == 1


def test_over_the_memory_limit_vectors_are_served_from_disk_with_the_same_result(trec, glove, tmp_path) -> None:
    config = _rnn(glove)
    in_memory = EmbeddingCache(tmp_path / "memory")
    on_disk = EmbeddingCache(tmp_path / "disk", memory_limit=0)
    assert _losses_and_scores(trec, config, tmp_path / "a", on_disk) == pytest.approx(
        _losses_and_scores(trec, config, tmp_path / "b", in_memory)
    )
    assert in_memory.tables_in_memory() == 1 and on_disk.tables_in_memory() == 0 and on_disk.bytes_in_memory == 0
    without_folder = EmbeddingCache(None, memory_limit=0)
    _losses_and_scores(trec, config, tmp_path / "c", without_folder)
    assert without_folder.computed == []  # nothing kept: flair computes the vectors as usual


def test_an_unreadable_cache_file_is_computed_again(trec, glove, tmp_path) -> None:
    folder = tmp_path / "cache"
    _losses_and_scores(trec, _pool(glove), tmp_path / "a", EmbeddingCache(folder))
    (array,) = folder.glob("*.npy")
    array.write_bytes(b"not an array")
    cache = EmbeddingCache(folder)
    _losses_and_scores(trec, _pool(glove), tmp_path / "b", cache)
    assert cache.loaded == [] and len(cache.computed) == 1


def test_two_trials_that_write_the_same_table_at_once_both_succeed(trec, glove, tmp_path, monkeypatch) -> None:
    """Parallel trials on a fresh search compute the same table together; one's renames must not take the other's
    files away. Here a second writer writes the whole table between the first one's writing and renaming."""
    import flair_hpo.training.embedding_cache as cache_module
    import flair_hpo.training.embedding_tables as module

    save, rename, interleaved = module.save_table, module.os.replace, []

    def save_beside_another(files, partial, vectors, offsets, per_token, description, in_memory) -> None:
        def another_writes_first(source, target) -> None:
            if not interleaved:
                interleaved.append(target)
                monkeypatch.setattr(module.os, "replace", rename)
                save(files, None, np.array(vectors), offsets, per_token, description, True)
            rename(source, target)

        monkeypatch.setattr(module.os, "replace", another_writes_first)
        save(files, partial, vectors, offsets, per_token, description, in_memory)

    monkeypatch.setattr(cache_module, "save_table", save_beside_another)
    folder = tmp_path / "cache"
    first = EmbeddingCache(folder)
    _losses_and_scores(trec, _pool(glove), tmp_path / "first", first)
    monkeypatch.undo()
    assert len(first.computed) == 1 and len(interleaved) == 1
    assert [path.name for path in folder.iterdir() if "partial" in path.name] == []
    reread = EmbeddingCache(folder)
    _losses_and_scores(trec, _pool(glove), tmp_path / "reread", reread)
    assert reread.computed == [] and len(reread.loaded) == 1


def test_a_table_that_cannot_be_written_is_served_from_memory(trec, glove, tmp_path, monkeypatch) -> None:
    import flair_hpo.training.embedding_tables as module

    def disk_full(*arguments, **options) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module.np, "save", disk_full)
    cache = EmbeddingCache(tmp_path / "cache")
    _losses_and_scores(trec, _pool(glove), tmp_path / "run", cache)  # completes
    assert len(cache.computed) == 1 and cache.tables_in_memory() == 1
    assert not list((tmp_path / "cache").glob("*.json"))


def test_sentences_outside_the_corpus_are_embedded_by_flair(trec, glove, tmp_path) -> None:
    runner = TrialRunner(trec, SETTINGS, embedding_cache=EmbeddingCache(tmp_path / "cache"))
    model = runner.build(_pool(glove))
    known, unknown = next(iter(trec.train)), Sentence("a question nobody asked before")
    with runner.embedding_cache.serving(model, trec) as served:
        assert served == [glove]
        model.embeddings.embed([known, unknown])
        served_vectors = [token.get_embedding([glove.name]).clone() for token in [known[0], unknown[0]]]
    for sentence in (known, unknown):
        sentence.clear_embeddings()
    glove.embed([known, unknown])
    assert served_vectors[0].tolist() == known[0].get_embedding([glove.name]).tolist()
    assert served_vectors[1].tolist() == unknown[0].get_embedding([glove.name]).tolist()
    known.clear_embeddings()
    unknown.clear_embeddings()
