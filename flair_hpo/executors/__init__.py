"""Where trials run: in the search's own process, or in parallel on a Ray cluster."""

from flair_hpo.executors.base import Executor, TrialJob
from flair_hpo.executors.in_process import InProcessExecutor
from flair_hpo.executors.ray_executor import RayExecutor

__all__ = ["Executor", "InProcessExecutor", "RayExecutor", "TrialJob"]
