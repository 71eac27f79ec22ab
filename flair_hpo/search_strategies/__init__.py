"""Search strategies: each proposes configurations from a search space and learns from their scores."""

from flair_hpo.search_strategies.base import SearchStrategy, Suggestion
from flair_hpo.search_strategies.evolutionary import EvolutionarySearch
from flair_hpo.search_strategies.grid import GridSearch
from flair_hpo.search_strategies.random_search import RandomSearch
from flair_hpo.search_strategies.tpe import TPESearch

__all__ = ["EvolutionarySearch", "GridSearch", "RandomSearch", "SearchStrategy", "Suggestion", "TPESearch"]
