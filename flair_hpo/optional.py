"""Optional dependencies fail when their feature is used, with the command that installs them."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{module} is needed for this feature: pip install 'flair-hpo[{extra}]'") from None
