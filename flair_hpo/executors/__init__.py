"""Where trials run: in the search's own process, in worker processes on this machine, or on a Ray cluster.

Executors are imported on first use, so that a worker process starts without importing flair first.
"""

from __future__ import annotations

import importlib
from typing import Any

from flair_hpo.executors.base import Executor, SearchSetup, TrialJob

_EXECUTORS = {
    "InProcessExecutor": "flair_hpo.executors.in_process",
    "LocalExecutor": "flair_hpo.executors.local",
    "RayExecutor": "flair_hpo.executors.ray_executor",
}

__all__ = ["Executor", "InProcessExecutor", "LocalExecutor", "RayExecutor", "SearchSetup", "TrialJob"]


def __getattr__(name: str) -> Any:
    if name in _EXECUTORS:
        return getattr(importlib.import_module(_EXECUTORS[name]), name)
    raise AttributeError(f"module 'flair_hpo.executors' has no attribute {name!r}")
