"""On a CUDA GPU: the local executor packing trials ("auto"), the embedding cache, fine-tuning a transformer,
and a trial that really runs out of GPU memory being requeued. Skipped without CUDA (CI has none).

    FLAIR_HPO_DATA=$PWD/.gpu/data python3 -m pytest -m gpu tests/test_gpu.py   # on the GPU machine
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
from timeline import Timeline

from flair_hpo import LocalExecutor, Orchestrator
from flair_hpo import parameters as p
from flair_hpo.strategies import GridSearch
from flair_hpo.tasks import SequenceTaggerSearchSpace, TextClassifierSearchSpace

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.training,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]
TESTS = Path(__file__).resolve().parent


def _logs(base_path: Path) -> list[str]:
    return [path.read_text() for path in sorted(base_path.glob("trials/*/run-*/training.log"))]


def test_auto_packs_several_tagger_trials_on_the_gpu(wnut, glove, tmp_path) -> None:
    space = SequenceTaggerSearchSpace(tag_type="ner")
    space.add_max_epochs_per_training_run(2)
    space.add_parameter(p.SequenceTagger.EMBEDDINGS, options=[glove])
    space.add_parameter(p.SequenceTagger.HIDDEN_SIZE, options=[64, 128, 256])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1])
    timeline, executor = Timeline(), LocalExecutor("auto")
    result = Orchestrator(wnut, tmp_path, space, GridSearch(), callbacks=[timeline], executor=executor).optimize()
    assert [t.state.value for t in result.trials] == ["completed"] * 6
    assert executor.packing is not None and executor.packing.peak_bytes > 0
    assert timeline.most_at_once() >= 2
    assert all("compute on device: cuda" in log for log in _logs(tmp_path))


def test_ray_auto_packs_several_tagger_trials_on_the_gpu(wnut, glove, tmp_path) -> None:
    pytest.importorskip("ray")
    from flair_hpo.executors import RayExecutor

    space = SequenceTaggerSearchSpace(tag_type="ner")
    space.add_max_epochs_per_training_run(2)
    space.add_parameter(p.SequenceTagger.EMBEDDINGS, options=[glove])
    space.add_parameter(p.SequenceTagger.HIDDEN_SIZE, options=[64, 128, 256])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1])
    timeline, executor = Timeline(), RayExecutor(num_cpus=8)
    result = Orchestrator(wnut, tmp_path, space, GridSearch(), callbacks=[timeline], executor=executor).optimize()
    assert [t.state.value for t in result.trials] == ["completed"] * 6
    assert executor.gpu_share is not None and executor.gpu_share.peak_bytes > 0 and executor.gpu_share.fraction < 1
    assert timeline.most_at_once() >= 2


def test_the_embedding_cache_serves_on_the_gpu(trec, glove, tmp_path) -> None:
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.2])
    orchestrator = Orchestrator(trec, tmp_path, space, GridSearch())
    result = orchestrator.optimize()
    assert [t.state.value for t in result.trials] == ["completed", "completed"]
    assert len(orchestrator.embedding_cache.computed) == 1
    assert all("compute on device: cuda" in log for log in _logs(tmp_path))


def _random_bert(folder: Path) -> str:
    """A small randomly initialised BERT with a real uncased vocabulary (no download)."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    candidates = [Path(os.environ.get("FLAIR_HPO_BERT_VOCAB", "")), TESTS.parent / ".gpu" / "vocab.txt"]
    vocab = next((path for path in candidates if path.is_file()), None)
    if vocab is None:
        pytest.skip("no BERT vocab.txt: set FLAIR_HPO_BERT_VOCAB or copy one to .gpu/vocab.txt")
    config = BertConfig(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024)
    BertModel(config).save_pretrained(folder)
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(folder)
    return str(folder)


def test_a_transformer_is_fine_tuned_on_the_gpu(trec, tmp_path) -> None:
    from flair_hpo.tasks import TEXT_CLASSIFICATION

    space = TEXT_CLASSIFICATION.fine_tuning_space(_random_bert(tmp_path / "bert"))
    space.label_type = "question_class"
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[3e-5, 5e-5])
    space.add_budget(p.Budget.RUNS, 2)
    result = Orchestrator(trec, tmp_path / "search", space, GridSearch(), executor=LocalExecutor("auto")).optimize()
    assert [t.state.value for t in result.trials] == ["completed", "completed"]
    logs = _logs(tmp_path / "search")
    assert all("Recipe | fine_tune: optimizer AdamW" in log and "compute on device: cuda" in log for log in logs)


def test_a_trial_out_of_gpu_memory_beside_another_is_requeued(trec, glove, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    sys.path.insert(0, str(TESTS))
    from out_of_memory import OutOfMemoryEmbeddings

    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_max_epochs_per_training_run(3)
    space.add_parameter(
        p.DocumentPoolEmbeddings.WORD_EMBEDDINGS,
        options=[[glove, OutOfMemoryEmbeddings(str(tmp_path / "marker"), 1)], [glove]],
    )
    executor = LocalExecutor("auto")
    monkeypatch.setattr("flair_hpo.executors.packing.Packing.total", lambda self: 2)  # both at once from the start
    monkeypatch.setattr("flair_hpo.executors.packing.Packing.capacity", lambda self, device: 1 if self.lowered else 2)
    result = Orchestrator(trec, tmp_path / "search", space, GridSearch(), executor=executor).optimize()
    assert [t.state.value for t in result.trials] == ["completed", "completed"]
    assert (tmp_path / "marker").read_text() == "1"  # a real CUDA out-of-memory, then run again
    assert executor.packing is not None and executor.packing.lowered == {"cuda:0": 1}


def test_a_module_on_the_gpu_is_sent_to_workers_from_the_cpu() -> None:
    """torch restores a pickled tensor where it was: sent from a GPU, every worker would hold a copy there."""
    import pickle

    from flair_hpo.executors.shared_objects import SharedObjects

    module = torch.nn.Linear(4, 2).to("cuda:0")
    shared = SharedObjects()
    shared.stand_in(module)
    received = pickle.loads(shared.pickled[0])
    assert received.weight.device.type == "cpu" and module.weight.device == torch.device("cuda:0")
