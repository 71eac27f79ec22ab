"""Search strategies: each proposes configurations from a search space and learns from their scores.

``STRATEGIES`` holds them by the names autotune and the command line take (``tpe``, ``random``, ...)."""

from flair_hpo.strategies.base import STRATEGIES, SearchStrategy, Suggestion
from flair_hpo.strategies.evolutionary import EvolutionarySearch
from flair_hpo.strategies.grid import GridSearch
from flair_hpo.strategies.optuna_sampler import OptunaSearch
from flair_hpo.strategies.random_search import RandomSearch
from flair_hpo.strategies.tpe import TPESearch

__all__ = [
    "STRATEGIES",
    "EvolutionarySearch",
    "GridSearch",
    "OptunaSearch",
    "RandomSearch",
    "SearchStrategy",
    "Suggestion",
    "TPESearch",
]
