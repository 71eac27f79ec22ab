"""The strategies under the import path of flair's tuning tutorial; they live in :mod:`flair_hpo.strategies`."""

from flair_hpo.strategies import (
    EvolutionarySearch,
    GridSearch,
    OptunaSearch,
    RandomSearch,
    SearchStrategy,
    Suggestion,
    TPESearch,
)

__all__ = [
    "EvolutionarySearch",
    "GridSearch",
    "OptunaSearch",
    "RandomSearch",
    "SearchStrategy",
    "Suggestion",
    "TPESearch",
]
