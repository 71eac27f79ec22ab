"""A corpus as bytes for worker processes. flair's spans and relations are made through ``__new__`` with
arguments (a sentence keeps one object per span), which pickle cannot call; they are rebuilt from their
attributes instead. A sentence and its tokens refer to each other, so pickling recurses deeply."""

from __future__ import annotations

import contextlib
import copyreg
import pickle
import sys
from collections.abc import Iterator
from typing import Any

RECURSION_LIMIT = 100_000


def _rebuild(cls: type) -> Any:
    return object.__new__(cls)


def _reduce(part: Any) -> tuple[Any, ...]:
    return _rebuild, (type(part),), dict(vars(part))


@contextlib.contextmanager
def _deep_recursion() -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def dumps(corpus: Any) -> bytes:
    """The corpus (sentences, tokens, span and relation labels) as bytes."""
    from flair.data import Relation, Span

    for kind in (Span, Relation):
        copyreg.pickle(kind, _reduce)
    with _deep_recursion():
        return pickle.dumps(corpus)


def loads(data: bytes) -> Any:
    """A corpus from :func:`dumps`."""
    with _deep_recursion():
        return pickle.loads(data)
