"""Fine-tuning searches end to end with all-MiniLM-L6-v2 on TREC-6 and WNUT-17 slices: flair's fine-tuning
recipe in the training log, frozen and fine-tuned transformers in one space, the embedding cache never serving
a fine-tuned transformer, and the fine-tuning learning-rate finder."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from flair_hpo import Orchestrator, autotune
from flair_hpo import parameters as p
from flair_hpo.frontends.cli import main
from flair_hpo.search.settings import Budget
from flair_hpo.storage import State
from flair_hpo.strategies import GridSearch, RandomSearch
from flair_hpo.tasks import SEQUENCE_TAGGING, TextClassifierSearchSpace
from flair_hpo.trainers import suggest_fine_tuning_learning_rate
from flair_hpo.training.embedding_cache import EmbeddingCache

pytestmark = pytest.mark.training

FINE_TUNING_LOG = ("Recipe | fine_tune: optimizer AdamW", "LinearScheduler | warmup_fraction")


def training_logs(base_path: Path) -> list[str]:
    return [path.read_text() for path in sorted(base_path.glob("trials/*/run-*/training.log"))]


def test_autotune_fine_tunes_a_transformer_classifier_with_flairs_recipe(trec, minilm: str, tmp_path: Path) -> None:
    from flair.embeddings import TransformerDocumentEmbeddings

    result = autotune(
        trec,
        transformer=minilm,
        fine_tune=True,
        max_trials=2,
        max_epochs=1,
        final_seeds=1,
        duration="10m",
        output=tmp_path,
        seed=1,
    )
    assert [trial.state for trial in result.search.trials] == [State.COMPLETED, State.COMPLETED]
    assert result.search.best_parameters["recipe"] == "fine_tune"
    assert 1e-5 <= result.search.best_parameters["learning_rate"] <= 1e-4
    logs = training_logs(tmp_path)
    assert len(logs) == 2 and all(marker in log for log in logs for marker in FINE_TUNING_LOG)

    pretrained = TransformerDocumentEmbeddings(minilm, fine_tune=False).model.state_dict()
    tuned = result.model.embeddings.model.state_dict()
    name = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(pretrained[name], tuned[name])  # the transformer itself was trained


def test_a_transformer_tagger_is_fine_tuned_on_wnut(wnut, minilm: str, tmp_path: Path) -> None:
    space = SEQUENCE_TAGGING.fine_tuning_space(minilm)
    space.add_tag_type("ner")
    space.add_max_epochs_per_training_run(1)
    space.add_budget(Budget.RUNS, 1)
    result = Orchestrator(wnut, tmp_path, space, RandomSearch(seed=0)).optimize()
    assert result.trials[0].state is State.COMPLETED
    assert all(marker in training_logs(tmp_path)[0] for marker in FINE_TUNING_LOG)
    assert result.best_parameters["use_rnn"] is False and result.best_parameters["recipe"] == "fine_tune"


class SpyCache(EmbeddingCache):
    """Records, for every run, whether the model's transformer was fine-tuned and how many parts were served."""

    served: list[tuple[bool, int]]

    @contextlib.contextmanager
    def serving(self, model, corpus):
        with super().serving(model, corpus) as parts:
            self.served.append((model.embeddings.fine_tune, len(parts)))
            yield parts


def test_frozen_and_fine_tuned_transformers_in_one_space_and_the_cache_serves_only_the_frozen(
    trec, minilm: str, tmp_path: Path
) -> None:
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_parameter(p.TransformerDocumentEmbeddings.MODEL, options=[minilm])
    space.add_parameter(p.TransformerDocumentEmbeddings.FINE_TUNE, options=[False, True])  # frozen first
    space.set_fixed(p.ModelTrainer.RECIPE, "fine_tune")
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[5e-5])
    space.add_max_epochs_per_training_run(1)
    cache = SpyCache(tmp_path / "cache")
    cache.served = []
    result = Orchestrator(trec, tmp_path / "search", space, GridSearch(), embedding_cache=cache).optimize()

    assert [trial.state for trial in result.trials] == [State.COMPLETED] * 2
    assert cache.served == [(False, 1), (True, 0)]  # the frozen one served, the fine-tuned one never
    assert len(cache.computed) + len(cache.loaded) == 1  # one table: the frozen transformer's
    assert all(marker in log for log in training_logs(tmp_path / "search") for marker in FINE_TUNING_LOG)


def test_the_fine_tuning_rule_suggests_a_tenth_of_the_lowest_loss() -> None:
    rates = list(np.logspace(-6, -2, 41))
    losses = [2.0 - min(np.log10(r) + 6, 3.0) * 0.5 if r <= 1e-3 else 0.5 + (np.log10(r) + 3) * 4 for r in rates]
    assert suggest_fine_tuning_learning_rate(rates, losses, smoothing_factor=0.0) == pytest.approx(1e-4)


def test_a_loss_still_falling_at_the_end_of_the_ramp_gets_the_steepest_drop() -> None:
    rates = list(np.logspace(-6, -2, 41))
    losses = [2.0 - float(np.tanh(2 * (np.log10(r) + 4))) - 0.01 * (np.log10(r) + 6) for r in rates]
    assert int(np.argmin(losses)) == len(rates) - 1  # lowest at the last iteration: no turn upwards
    assert suggest_fine_tuning_learning_rate(rates, losses, smoothing_factor=0.0) == pytest.approx(1e-4)


def test_find_lr_fine_tune_command(flair_cache, minilm: str, tmp_path: Path) -> None:
    outcome = CliRunner().invoke(
        main,
        ["find-lr", "trec_6", "--fine-tune", "--transformer", minilm, "--output", str(tmp_path), "--iterations", "12"],
    )
    assert outcome.exit_code == 0, outcome.output
    rows = [line.split("\t") for line in (tmp_path / "learning_rate.tsv").read_text().splitlines()[1:]]
    rates, losses = [float(row[2]) for row in rows], [float(row[3]) for row in rows]
    assert rates[0] == pytest.approx(1e-6 * (1e-2 / 1e-6) ** (1 / 12)) and max(rates) <= 1e-2 * 1.0001
    suggestion = float(outcome.output.split("suggested learning rate: ")[1])
    expected = suggest_fine_tuning_learning_rate(rates, losses)  # the rule, on the curve the command wrote
    assert suggestion == pytest.approx(expected, rel=1e-2)  # printed to 3 digits
    assert (tmp_path / "learning_rate.png").is_file()
