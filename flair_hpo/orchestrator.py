"""The orchestrator under the import path of flair's tuning tutorial; it lives in :mod:`flair_hpo.search`."""

from flair_hpo.search.orchestrator import Orchestrator

__all__ = ["Orchestrator"]
