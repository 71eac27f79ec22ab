"""The strategies under the import path of flair's tuning tutorial; they live in :mod:`flair_hpo.strategies`."""

from flair_hpo import strategies
from flair_hpo.strategies import *  # noqa: F403

__all__ = [name for name in strategies.__all__ if name != "STRATEGIES"]
