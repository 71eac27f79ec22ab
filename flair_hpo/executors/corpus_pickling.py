"""A corpus as bytes for worker processes.

flair's spans and relations are made through ``__new__`` with arguments (a sentence keeps one object per
span), which pickle cannot call; they are rebuilt from their attributes instead. Sentences of a dataset
are linked to their neighbours (``_previous_sentence``, ``_next_sentence``, flair's document context):
pickled as they are, a corpus would nest one sentence inside the next, deeper than Python 3.12's C stack
limit allows whatever the recursion limit. The links are left out of each sentence and sent beside the
corpus as a flat list instead.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from collections.abc import Iterator
from typing import Any

LINKS = ("_previous_sentence", "_next_sentence")


def _rebuild(cls: type) -> Any:
    return object.__new__(cls)


def _reduce(part: Any) -> tuple[Any, ...]:
    return _rebuild, (type(part),), dict(vars(part))


def _reduce_sentence(sentence: Any) -> tuple[Any, ...]:
    state = {name: value for name, value in vars(sentence).items() if name not in LINKS}
    return _rebuild, (type(sentence),), state


def _linked_sentences(corpus: Any) -> Iterator[Any]:
    """Every sentence of the corpus, and every sentence reachable from one through its links."""
    seen: set[int] = set()
    for split in (corpus.train, corpus.dev, corpus.test):
        for start in split or []:
            waiting = [start]
            while waiting:
                sentence = waiting.pop()
                if sentence is None or id(sentence) in seen:
                    continue
                seen.add(id(sentence))
                yield sentence
                waiting += [getattr(sentence, name, None) for name in LINKS]


def dumps(corpus: Any) -> bytes:
    """The corpus (sentences, tokens, span and relation labels, the links between sentences) as bytes."""
    from flair.data import Relation, Sentence, Span

    links = [(sentence, *(getattr(sentence, name, None) for name in LINKS)) for sentence in _linked_sentences(corpus)]
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, Span: _reduce, Relation: _reduce, Sentence: _reduce_sentence}
    pickler.dump((corpus, links))
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """A corpus from :func:`dumps`."""
    corpus, links = pickle.loads(data)
    for sentence, *neighbours in links:
        for name, neighbour in zip(LINKS, neighbours):
            setattr(sentence, name, neighbour)
    return corpus
