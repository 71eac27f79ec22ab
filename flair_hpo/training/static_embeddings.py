"""Which embeddings never change: word embeddings and frozen transformer or Flair embeddings, found inside
stacks, pools and RNNs; and how a sentence is keyed so that equal keys get equal vectors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from flair.data import Sentence
from flair.embeddings import (
    BytePairEmbeddings,
    FastTextEmbeddings,
    FlairEmbeddings,
    TransformerDocumentEmbeddings,
    TransformerWordEmbeddings,
    WordEmbeddings,
)
from flair.nn import Model

_DETERMINISTIC_WHEN_FROZEN = (
    WordEmbeddings,
    FastTextEmbeddings,
    BytePairEmbeddings,
    FlairEmbeddings,
    TransformerWordEmbeddings,
    TransformerDocumentEmbeddings,
)


def is_cacheable(embeddings: Any) -> bool:
    """True for embeddings whose vectors never change and depend only on the sentence they embed."""
    return (
        isinstance(embeddings, _DETERMINISTIC_WHEN_FROZEN)
        and bool(getattr(embeddings, "static_embeddings", False))
        and not getattr(embeddings, "fine_tune", False)
        and not getattr(embeddings, "context_length", 0)
    )


def cacheable_parts(embeddings: Any) -> list[Any]:
    """The cacheable embeddings inside a model's embeddings (through stacks, pools and RNNs), in order."""
    if is_cacheable(embeddings):
        return [embeddings]
    inner = getattr(embeddings, "embeddings", None)
    if isinstance(inner, (list, tuple)):
        return [part for item in inner for part in cacheable_parts(item)]
    if isinstance(inner, torch.nn.Module):
        return cacheable_parts(inner)
    return []


@contextlib.contextmanager
def frozen_parts_in_eval_mode(model: Model) -> Iterator[list[Any]]:
    """Keep the cacheable embeddings of ``model`` in evaluation mode while it trains.

    flair switches a frozen transformer to training mode with its model, so its internal dropout changes
    the features in every epoch; held in evaluation mode, a frozen embedding is the fixed function the
    cache stores, and a run gives the same result with and without the cache.
    """
    parts = cacheable_parts(getattr(model, "embeddings", None))
    for part in parts:
        part.eval()
        part.train = _stay_in_eval_mode.__get__(part)
    try:
        yield parts
    finally:
        for part in parts:
            del part.train


def _stay_in_eval_mode(module: torch.nn.Module, mode: bool = True) -> torch.nn.Module:
    return torch.nn.Module.train(module, False)


def sentence_key(sentence: Sentence) -> str:
    """The tokens of a sentence and the spaces between them: equal keys get equal static vectors."""
    return "\x1f".join(f"{token.text}\x1e{token.whitespace_after}" for token in sentence)
