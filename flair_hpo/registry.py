"""Named implementations (tasks, strategies, early-stopping rules) that the CLI, autotune and errors read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar, cast

from flair_hpo.errors import ConfigurationError

T = TypeVar("T")
Entry = TypeVar("Entry")


class Registry(Generic[T]):
    """Implementations of one concept by name, in the order they were registered."""

    def __init__(self, concept: str) -> None:
        self.concept = concept
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` under ``name``; registering the same name again replaces it."""
        self._entries[name] = entry
        return entry

    def register(self, name: str) -> Callable[[Entry], Entry]:
        """A decorator registering a class under ``name``; the class itself is returned unchanged."""

        def add(entry: Entry) -> Entry:
            self._entries[name] = cast(T, entry)
            return entry

        return add

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name is an error that lists the valid ones."""
        if name not in self._entries:
            raise ConfigurationError(f"{self.concept} must be one of {self.names()}, but got {name!r}.")
        return self._entries[name]

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(self._entries.values())
