"""The task search spaces under the import path of flair's tuning tutorial; they live in :mod:`flair_hpo.tasks`."""

from flair_hpo.tasks import SequenceTaggerSearchSpace, TaskSearchSpace, TextClassifierSearchSpace

__all__ = ["SequenceTaggerSearchSpace", "TaskSearchSpace", "TextClassifierSearchSpace"]
