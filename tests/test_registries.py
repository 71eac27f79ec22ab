"""Strategies, early-stopping rules and tasks are registries: the CLI, autotune and error messages read them."""

from __future__ import annotations

import click
import pytest

from flair_hpo import Orchestrator, autotune
from flair_hpo.early_stopping import EARLY_STOPPING, rule_names
from flair_hpo.errors import ConfigurationError
from flair_hpo.frontends.cli import main
from flair_hpo.strategies import STRATEGIES, RandomSearch
from flair_hpo.tasks import TEXT_CLASSIFICATION, task_names
from flair_hpo.testing.fake_executor import toy_corpus


def _choices(command: str, option: str) -> list[str]:
    parameter = next(p for p in main.commands[command].params if p.name == option)
    assert isinstance(parameter.type, click.Choice)
    return list(parameter.type.choices)


def test_the_command_line_offers_what_the_registries_hold() -> None:
    assert _choices("tune", "strategy") == STRATEGIES.names() and "tpe" in STRATEGIES.names()
    assert _choices("tune", "early_stopping") == rule_names() == ["none", *EARLY_STOPPING.names()]
    assert _choices("tune", "task")[:2] == task_names()[:2] == ["tagging", "classification"]
    assert _choices("find-lr", "task")[:2] == ["tagging", "classification"]


def test_a_registered_strategy_is_named_by_autotune_errors(monkeypatch, tmp_path) -> None:
    class Mine(RandomSearch):
        pass

    monkeypatch.setitem(STRATEGIES._entries, "mine", Mine)
    assert STRATEGIES.get("mine") is Mine
    with pytest.raises(ConfigurationError, match=r"strategy must be one of \[.*'mine'\], but got 'nope'"):
        autotune(toy_corpus(), strategy="nope", output=tmp_path / "a")
    with pytest.raises(
        ConfigurationError,
        match=r"early_stopping must be one of \['none', 'asha', 'hyperband', 'median'\], but got 'x'",
    ):
        autotune(toy_corpus(), early_stopping="x", output=tmp_path / "b")


def test_a_bad_early_stopping_rule_is_refused_naming_the_registered_ones(tmp_path) -> None:
    names = ", ".join(rule.__name__ for rule in EARLY_STOPPING)
    with pytest.raises(ConfigurationError, match=f"rule from flair_hpo.early_stopping \\({names}\\)"):
        Orchestrator(
            toy_corpus(), tmp_path, TEXT_CLASSIFICATION.new_search_space(), RandomSearch(), early_stopping="asha"
        )
