"""Whether a search's space and settings can be sent to worker processes that import their classes and functions
by name: checked before a search starts, so that a class defined in the user's script (a space value, a task or
a dataset of its own) fails with a message, not every trial's worker."""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Optional

import torch

from flair_hpo.errors import ConfigurationError
from flair_hpo.space import Categorical, Space

if TYPE_CHECKING:
    from flair_hpo.search.settings import StudySettings


def space_values(space: Space) -> Iterator[Any]:
    """Every option and fixed value of ``space``, lists opened."""
    options = [
        option for distribution in space.distributions.values() if isinstance(distribution, Categorical)
        for option in distribution.options
    ]  # fmt: skip
    yield from _opened([*options, *space.fixed.values()])


def _opened(values: Iterable[Any]) -> Iterator[Any]:
    for value in values:
        if isinstance(value, (list, tuple)):
            yield from _opened(value)
        else:
            yield value


def _not_importable(definition: Any) -> Optional[str]:
    """Why workers could not import ``definition`` (a class or function) by its name; None where they can."""
    module, name = getattr(definition, "__module__", None), getattr(definition, "__qualname__", "")
    if module == "__main__":
        return f"it is defined in the script that runs the search ({name} in __main__), which workers do not import"
    if "<locals>" in name:
        return f"it is defined inside a function ({name}), so it has no name to import it by"
    return None


class _Discarded:
    """Where a pickle that is only looked through goes."""

    def write(self, data: bytes) -> int:
        return len(data)


class _ReferenceFinder(pickle.Pickler):
    """Pickles to nowhere, noting the first class or function inside that workers could not import by name."""

    def __init__(self) -> None:
        super().__init__(_Discarded())
        self.reason: Optional[str] = None

    def reducer_override(self, obj: Any) -> Any:
        if self.reason is None and (isinstance(obj, type) or inspect.isroutine(obj)):
            self.reason = _not_importable(obj)
        return NotImplemented


def _why_not_sendable(value: Any) -> Optional[str]:
    if isinstance(value, torch.nn.Module):  # pickled once the search runs; its classes are checked here
        return next(filter(None, (_not_importable(type(part)) for part in value.modules())), None)
    finder = _ReferenceFinder()
    try:
        finder.dump(value)
    except Exception as error:  # PicklingError, TypeError, AttributeError: each says why
        return finder.reason or f"it cannot be pickled ({type(error).__name__}: {error})"
    return finder.reason


def _dataset_classes(corpus: Any) -> Iterator[type]:
    """The corpus's class and those of its splits' datasets, through subsets and concatenations."""
    yield type(corpus)
    waiting = [corpus.train, corpus.dev, corpus.test]
    while waiting:
        dataset = waiting.pop()
        if dataset is not None:
            yield type(dataset)
            waiting += [getattr(dataset, "dataset", None), *getattr(dataset, "datasets", [])]


def check_sendable(space: Space, settings: StudySettings, corpus: Any, executor_name: str) -> None:
    """Refuse a value of ``space``, the task of ``settings`` or a dataset class of ``corpus`` that worker
    processes could not receive, naming it and why."""
    for value in [*space_values(space), settings.task, *_dataset_classes(corpus)]:
        reason = _why_not_sendable(value)
        if reason is not None:
            raise ConfigurationError(
                f"{value!r} cannot be sent to {executor_name}'s worker processes: {reason}. Define it in a module "
                "of its own that the workers can import (a .py file beside the script, say), or search in this "
                "process with the default executor."
            )
