"""A corpus sent to worker processes: labels, spans and the links between sentences survive, and a corpus
of linked sentences pickles without deep recursion (Python 3.12 caps C recursion whatever the limit)."""

from __future__ import annotations

import sys

import pytest

from flair_hpo.executors import corpus_pickling

pytestmark = pytest.mark.training


def test_a_tagging_corpus_with_linked_sentences_round_trips_at_a_low_recursion_limit(wnut, monkeypatch) -> None:
    linked = [s for s in wnut.train if s._previous_sentence is not None and s._next_sentence is not None]
    assert linked, "WNUT-17's sentences are linked to their neighbours"
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # far fewer frames than the chain of linked sentences is long
    monkeypatch.setattr(sys, "setrecursionlimit", lambda limit: None)  # as on Python 3.12, raising it cannot help
    try:
        restored = corpus_pickling.loads(corpus_pickling.dumps(wnut))
    finally:
        monkeypatch.undo()
        sys.setrecursionlimit(previous)
    assert [s.to_tagged_string("ner") for s in restored.train] == [s.to_tagged_string("ner") for s in wnut.train]
    assert [str(span) for s in restored.test for span in s.get_spans("ner")] == [
        str(span) for s in wnut.test for span in s.get_spans("ner")
    ]
    index = wnut.train.indices[0] if hasattr(wnut.train, "indices") else 0
    original, copy = wnut.train.dataset[index], restored.train.dataset[index]
    assert copy._previous_sentence.to_tokenized_string() == original._previous_sentence.to_tokenized_string()
    assert copy._next_sentence._previous_sentence is copy


def test_pickling_a_corpus_leaves_pickle_itself_unchanged(wnut) -> None:
    import copyreg

    from flair.data import Sentence, Span

    corpus_pickling.dumps(wnut)
    assert Sentence not in copyreg.dispatch_table and Span not in copyreg.dispatch_table
