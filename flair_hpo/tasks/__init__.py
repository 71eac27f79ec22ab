"""Model types a search can tune, one module each, and the registry the rest of the package reads.

Adding a model type is one module: its parameter enums, a ``TaskSearchSpace`` subclass, a ``ModelTask``
subclass and a call of :func:`register_task` (see :mod:`flair_hpo.tasks.text_classification`).
"""

from flair_hpo.tasks.base import TASKS, ModelTask, get_task, register_task, task_for_labels, task_names, task_of_corpus
from flair_hpo.tasks.parameters import HyperParameter, ModelTrainer, PrefixedParameter
from flair_hpo.tasks.search_space import TaskSearchSpace
from flair_hpo.tasks.sequence_tagging import SEQUENCE_TAGGING, SequenceTaggerSearchSpace
from flair_hpo.tasks.text_classification import TEXT_CLASSIFICATION, TextClassifierSearchSpace

__all__ = [
    "SEQUENCE_TAGGING",
    "TASKS",
    "TEXT_CLASSIFICATION",
    "HyperParameter",
    "ModelTask",
    "ModelTrainer",
    "PrefixedParameter",
    "TaskSearchSpace",
    "SequenceTaggerSearchSpace",
    "TextClassifierSearchSpace",
    "get_task",
    "register_task",
    "task_for_labels",
    "task_of_corpus",
    "task_names",
]
