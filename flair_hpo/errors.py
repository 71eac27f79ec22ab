"""Errors raised for invalid searches, before any training starts."""

from __future__ import annotations

import math
import numbers
from typing import Any


class ConfigurationError(ValueError):
    """A search space, budget, corpus or output folder that cannot be used as given."""


class JournalMismatchError(ConfigurationError):
    """A journal in ``base_path`` was written by a different search."""


class SearchInProgressError(ConfigurationError):
    """Another search holds the same ``base_path``."""


def check_positive(name: str, value: Any, integer: bool = False) -> Any:
    """``value`` if it is a positive number, as an ``int`` where it must be a whole one (2.0 and numpy's
    integers are taken); else a ConfigurationError naming it."""
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value <= 0 or (integer and not float(value).is_integer()):
        kind = "a positive whole number" if integer else "a positive number"
        raise ConfigurationError(f"{name} must be {kind}, but got {value!r}.")
    return int(value) if integer else value
