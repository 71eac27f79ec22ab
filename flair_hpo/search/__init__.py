"""The search: the orchestrator's loop, its journal checks and replay, its outputs, callbacks and progress line.

``Orchestrator`` is imported on first use: the settings here are read by tasks and training code that
the orchestrator itself imports.
"""

from __future__ import annotations

from typing import Any

from flair_hpo.search.callbacks import SearchCallback, SearchContext
from flair_hpo.search.settings import Budget, Budgets, StudySettings

__all__ = ["Budget", "Budgets", "Orchestrator", "SearchCallback", "SearchContext", "StudySettings"]


def __getattr__(name: str) -> Any:
    if name == "Orchestrator":
        from flair_hpo.search.orchestrator import Orchestrator

        return Orchestrator
    raise AttributeError(f"module 'flair_hpo.search' has no attribute {name!r}")
