"""Training recipes: which flair method, optimizer and schedule a configuration trains with, and the checks
of recipe parameters before training."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from flair_hpo import parameters as p
from flair_hpo.errors import ConfigurationError
from flair_hpo.search.settings import StudySettings
from flair_hpo.tasks import SEQUENCE_TAGGING, TEXT_CLASSIFICATION, TextClassifierSearchSpace
from flair_hpo.tasks.recipe_checks import can_fine_tune
from flair_hpo.training.trainer_arguments import training_call

SETTINGS = StudySettings(TEXT_CLASSIFICATION, label_type="class", max_epochs=3)


def test_a_configuration_without_a_recipe_trains_as_before_with_flairs_train() -> None:
    call = training_call({"learning_rate": 0.1, "anneal_factor": 0.3}, SETTINGS, Path("run"))
    assert call.recipe == "train" and call.schedule == "anneal_on_plateau" and call.plugins == []
    assert call.arguments["optimizer"] is torch.optim.SGD and call.arguments["anneal_factor"] == 0.3
    assert "attach_default_scheduler" not in call.arguments  # flair attaches its own annealing


def test_the_fine_tuning_recipe_is_flairs_fine_tune_with_adamw_and_its_warmup() -> None:
    config = {"recipe": "fine_tune", "learning_rate": 3e-5, "warmup_fraction": 0.2, "weight_decay": 0.01}
    call = training_call(config, SETTINGS, Path("run"))
    assert call.recipe == "fine_tune" and call.schedule == "linear" and call.plugins == []
    assert call.arguments["optimizer"] is torch.optim.AdamW
    assert call.arguments["warmup_fraction"] == 0.2 and call.arguments["weight_decay"] == 0.01
    assert call.arguments["max_epochs"] == 3 and call.arguments["learning_rate"] == 3e-5


def test_arguments_of_another_schedule_are_left_out_and_logged(caplog) -> None:
    config = {"recipe": "fine_tune", "anneal_factor": 0.5, "patience": 2, "momentum": 0.9}
    with caplog.at_level(logging.INFO, logger="flair_hpo"):
        call = training_call(config, SETTINGS, Path("run"))
    assert not {"anneal_factor", "patience", "momentum"} & set(call.arguments)  # AdamW would be given them
    assert "anneal_factor=0.5 is not used: the linear schedule does not read it" in caplog.text
    assert "momentum=0.9 is not used: AdamW does not take it" in caplog.text


def test_a_schedule_other_than_the_recipes_replaces_flairs_default() -> None:
    from flair.trainers.plugins import AnnealingPlugin, LinearSchedulerPlugin

    linear = training_call({"scheduler": "linear", "warmup_fraction": 0.3}, SETTINGS, Path("run"))
    assert linear.recipe == "train" and linear.arguments["attach_default_scheduler"] is False
    assert [type(plugin) for plugin in linear.plugins] == [LinearSchedulerPlugin]
    assert linear.plugins[0].warmup_fraction == 0.3 and "warmup_fraction" not in linear.arguments

    annealed = training_call(
        {"recipe": "fine_tune", "scheduler": "anneal_on_plateau", "patience": 1}, SETTINGS, Path("r")
    )
    assert [type(plugin) for plugin in annealed.plugins] == [AnnealingPlugin]
    assert annealed.plugins[0].patience == 1 and annealed.plugins[0].anneal_factor == 0.5  # flair's default

    constant = training_call({"recipe": "fine_tune", "scheduler": "constant"}, SETTINGS, Path("run"))
    assert constant.plugins == [] and constant.arguments["attach_default_scheduler"] is False


def test_recipe_and_schedule_are_searchable_choices() -> None:
    space = TextClassifierSearchSpace()
    space.add_parameter(p.ModelTrainer.RECIPE, options=["train", "fine_tune"])
    space.add_parameter(p.ModelTrainer.SCHEDULER, options=["linear", "constant"])
    space.add_parameter(p.ModelTrainer.WARMUP_FRACTION, low=0.0, high=0.3)
    with pytest.raises(
        ConfigurationError,
        match=r"scheduler must be one of \['anneal_on_plateau', 'linear', 'constant'\], but got 'cosine'",
    ):
        space.add_parameter(p.ModelTrainer.SCHEDULER, options=["cosine"])
    with pytest.raises(
        ConfigurationError, match=r"recipe is chosen from options=\['train', 'fine_tune'\], not a range"
    ):
        space.add_parameter(p.ModelTrainer.RECIPE, low=0, high=1)
    with pytest.raises(ConfigurationError, match=r"warmup_fraction .* but got -0.1"):
        space.add_parameter(p.ModelTrainer.WARMUP_FRACTION, low=-0.1, high=0.2)
    with pytest.raises(ConfigurationError, match=r"warmup_fraction .* but got 1.0"):
        space.set_fixed(p.ModelTrainer.WARMUP_FRACTION, 1.0)


class Pretrained:
    """Stands in for flair word embeddings made with ``fine_tune=True``."""

    fine_tune = True


def transformer_space(fine_tune_options: list[bool]) -> TextClassifierSearchSpace:
    space = TextClassifierSearchSpace(label_type="class")
    space.add_parameter(p.TransformerDocumentEmbeddings.MODEL, options=["a-model"])
    space.add_parameter(p.TransformerDocumentEmbeddings.FINE_TUNE, options=fine_tune_options)
    space.set_fixed(p.ModelTrainer.RECIPE, "fine_tune")
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[5e-5])
    return space


def test_the_fine_tuning_recipe_needs_something_to_fine_tune() -> None:
    with pytest.raises(ConfigurationError, match="every transformer is frozen"):
        transformer_space([False]).to_space()
    assert can_fine_tune(transformer_space([False, True]))  # frozen and fine-tuned in one space
    transformer_space([False, True]).to_space()

    unset = TextClassifierSearchSpace(label_type="class")
    unset.add_parameter(p.TransformerDocumentEmbeddings.MODEL, options=["a-model"])
    assert can_fine_tune(unset)  # flair fine-tunes a transformer unless told otherwise

    pooled = TextClassifierSearchSpace(label_type="class")
    pooled.add_word_embeddings(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[["glove"]])
    assert not can_fine_tune(pooled)
    pooled.add_word_embeddings(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[["glove"], [Pretrained()]])
    assert can_fine_tune(pooled)


def test_an_sgd_sized_learning_rate_with_the_fine_tuning_recipe_is_warned_about() -> None:
    import warnings

    space = transformer_space([True])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[1e-5, 0.01])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        space.to_space()  # 0.01 with AdamW is high, but fine-tuned GloVe under an RNN may take it
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.15, 0.2])  # flair's tutorial, for SGD
    with pytest.warns(UserWarning, match=r"a learning rate of 0.2 with the fine_tune recipe .* \(1e-5 to 1e-4\)"):
        space.to_space()
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=2.0, log=True)
    with pytest.warns(UserWarning, match=r"a learning rate of 2 with the fine_tune recipe .* \(1e-5 to 1e-4\)"):
        space.to_space()
    space.set_fixed(p.ModelTrainer.RECIPE, "train")
    space.to_space()  # the train recipe's learning rates are not fine-tuning's


def test_a_fine_tuning_learning_rate_from_a_normal_distribution_is_taken_unchecked() -> None:
    from hyperopt import hp

    space = transformer_space([True])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, hp.lognormal, mu=-10.4, sigma=0.5)  # about 3e-5
    assert "learning_rate" in space.to_space().describe()  # its bounds are unknown: no warning, no error


def test_the_fine_tuning_spaces_search_what_practitioners_search() -> None:
    for task in (TEXT_CLASSIFICATION, SEQUENCE_TAGGING):
        space = task.fine_tuning_space("a-model")
        described = space.to_space().describe()
        assert described["recipe"] == "fixed fine_tune" and space.max_epochs == 4
        assert described["learning_rate"] == "loguniform(1e-05, 0.0001)"
        assert described["mini_batch_size"] == "choice(16, 32)"
        assert {"warmup_fraction", "weight_decay"} <= set(described)
        assert any(key.endswith(".fine_tune") and value == "fixed True" for key, value in described.items())
