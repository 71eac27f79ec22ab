"""The early-stopping contract (flair_hpo.testing.early_stopping_contract) for every registered rule."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("flair_hpo.testing.early_stopping_contract")  # before the import: readable failures

from flair_hpo.early_stopping import EARLY_STOPPING  # noqa: E402
from flair_hpo.testing.early_stopping_contract import *  # noqa: E402, F403
from flair_hpo.testing.early_stopping_contract import RuleFactory  # noqa: E402

RULES = [pytest.param((name, grace), id=f"{name}-grace{grace}") for name in EARLY_STOPPING.names() for grace in (1, 2)]


@pytest.fixture(params=RULES)
def rule_factory(request: pytest.FixtureRequest) -> RuleFactory:
    """The rule registered as ``name``, with its defaults (a grace period of 1 epoch) or a longer grace period."""
    name, grace = request.param
    rule = EARLY_STOPPING.get(name)
    return rule if grace == 1 else lambda: rule(grace_epochs=grace)
