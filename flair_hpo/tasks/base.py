"""The interface of a model type (a *task*): what it searches, how it builds its model, which labels fit it.

A task is one module: its parameter enums, its :class:`~flair_hpo.tasks.search_space.TaskSearchSpace` subclass,
a :class:`ModelTask` subclass, and one call of :func:`register_task`. Nothing else in the package names a
task: the orchestrator, the classic selectors, autotune, the CLI and the journal read the registry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Optional, TypeVar, Union

from flair_hpo.errors import ConfigurationError
from flair_hpo.registry import Registry
from flair_hpo.tasks.parameters import HyperParameter

if TYPE_CHECKING:
    from flair.data import Corpus, Dictionary, Sentence
    from flair.nn import Model

    from flair_hpo.search.settings import StudySettings
    from flair_hpo.tasks.search_space import TaskSearchSpace


class ModelTask(ABC):
    """One model type that configurations can be built and trained for."""

    name: ClassVar[str]  # in journals, settings and best_parameters.json: "text_classification"
    short_name: ClassVar[str]  # on the command line: "classification"
    label_kind: ClassVar[str]  # what its labels are, in words: "sentence labels"
    parameter_groups: ClassVar[tuple[type[HyperParameter], ...]]  # the enums whose parameters fit it
    word_embedding_parameters: ClassVar[frozenset[HyperParameter]] = frozenset()  # those taking word embeddings
    classic_parameters: ClassVar[Mapping[str, HyperParameter]]  # the classic API's Parameter names -> parameters
    transformer_fine_tune: ClassVar[Mapping[HyperParameter, HyperParameter]] = {}  # transformer model -> fine_tune
    named_choices: ClassVar[Mapping[HyperParameter, tuple[str, ...]]] = {}  # the values flair takes for a parameter
    add_unknown_label: ClassVar[bool] = False  # whether its label dictionary has an <unk> entry
    gives_probabilities: ClassVar[bool] = False  # whether its predictions carry a probability per label

    @property
    @abstractmethod
    def model_class(self) -> type[Model]:
        """The flair model class it trains (its ``load`` reads a saved model)."""

    @abstractmethod
    def new_search_space(self, label_type: Optional[str] = None) -> TaskSearchSpace:
        """An empty search space of this task."""

    @abstractmethod
    def build_model(self, config: dict[str, Any], settings: StudySettings, labels: Dictionary) -> Model:
        """A freshly initialised model of this configuration."""

    @abstractmethod
    def fits_label(self, sentence: Sentence, label: Any) -> bool:
        """Whether a label found on a training sentence is the kind this task learns."""

    def is_multi_label(self, corpus: Corpus, label_type: str) -> bool:
        """Whether its models for this corpus must predict several labels per data point."""
        return False

    @abstractmethod
    def default_space(self, word_embeddings: Any, transformer: Optional[str] = None) -> TaskSearchSpace:
        """The space autotune searches when none is given: over ``word_embeddings`` (and a frozen ``transformer``)."""

    @abstractmethod
    def finder_configuration(self, word_embeddings: Any) -> dict[str, Any]:
        """The configuration of the default model the learning-rate finder trains."""

    def fine_tuning_space(self, transformer: str) -> TaskSearchSpace:
        """The space autotune searches to fine-tune ``transformer`` with flair's fine-tuning recipe."""
        raise ConfigurationError(f"{self.name} has no fine-tuning search space; give a search space instead.")

    def fine_tuning_configuration(self, transformer: str) -> dict[str, Any]:
        """The configuration of a model fine-tuning ``transformer`` (for the fine-tuning learning-rate finder)."""
        raise ConfigurationError(f"{self.name} cannot fine-tune a transformer.")

    def __repr__(self) -> str:
        return f"<task {self.name}>"


TASKS: Registry[ModelTask] = Registry("task")
AnyTask = TypeVar("AnyTask", bound=ModelTask)


def register_task(task: AnyTask) -> AnyTask:
    """Make ``task`` known by its name and short name to searches, journals, autotune and the CLI."""
    TASKS.add(task.name, task)
    return task


def get_task(name: Union[str, ModelTask]) -> ModelTask:
    """A registered task by its name (``text_classification``) or short name (``classification``)."""
    if isinstance(name, ModelTask):
        return name
    for task in TASKS:
        if name in (task.name, task.short_name):
            return task
    valid = sorted(name for task in TASKS for name in (task.short_name, task.name))
    raise ConfigurationError(f"task must be one of {valid}, but got {name!r}.")


def task_for_labels(corpus: Corpus, label_type: str, preferred: Optional[ModelTask] = None) -> ModelTask:
    """The task that learns the corpus's ``label_type`` labels: ``preferred`` if it fits them, else the first
    registered task that does."""
    sentences: Any = corpus.train or []
    for sentence in sentences:
        labels = sentence.get_labels(label_type)
        if labels:
            for task in [preferred] if preferred is not None and preferred.fits_label(sentence, labels[0]) else TASKS:
                if task.fits_label(sentence, labels[0]):
                    return task
            raise ConfigurationError(
                f"no task learns labels like the corpus's {label_type!r} labels; tasks: {task_names()}."
            )
    raise ConfigurationError(f"no training sentence carries a {label_type!r} label.")


def task_of_corpus(corpus: Corpus, label_type: str, requested: Optional[ModelTask] = None) -> ModelTask:
    """The task that learns the corpus's ``label_type`` labels; a ``requested`` task must be that one."""
    task = task_for_labels(corpus, label_type, preferred=requested)
    if requested is not None and task is not requested:
        raise ConfigurationError(
            f"the corpus's {label_type!r} labels are {task.label_kind}, which fit {task.name}, not {requested.name}: "
            f"search a {type(task.new_search_space()).__name__} on it, or name a label type of {requested.label_kind}."
        )
    return task


def task_names() -> list[str]:
    """The short names of every registered task, as the command line takes them."""
    return [task.short_name for task in TASKS]
