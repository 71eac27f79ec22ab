"""Errors raised for invalid searches, before any training starts."""

from __future__ import annotations


class ConfigurationError(ValueError):
    """A search space, budget, corpus or output folder that cannot be used as given."""


class JournalMismatchError(ConfigurationError):
    """A journal in ``base_path`` was written by a different search."""


class SearchInProgressError(ConfigurationError):
    """Another search holds the same ``base_path``."""
