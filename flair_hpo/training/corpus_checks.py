"""Checks of the corpus a search runs on, made before any training starts."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from typing import Any, Optional

from flair.data import Corpus, Dictionary, randomly_split_into_two_datasets

from flair_hpo.errors import ConfigurationError

log = logging.getLogger("flair_hpo")


def _size(dataset: Any) -> int:
    return 0 if dataset is None else len(dataset)


def sentences(dataset: Any) -> list[Any]:
    """The sentences of a corpus split (an empty list for a missing split)."""
    return [] if dataset is None else list(dataset)


def label_types(corpus: Corpus) -> Counter[str]:
    """How many training sentences carry each label type."""
    counts: Counter[str] = Counter()
    sentences: Any = corpus.train or []
    for sentence in sentences:
        counts.update(typename for typename, labels in sentence.annotation_layers.items() if labels)
    return counts


def corpus_fingerprint(corpus: Corpus, label_type: Optional[str]) -> str:
    """A digest of the training and dev sentences with their ``label_type`` labels: what a search selects on."""
    digest = hashlib.sha256()
    for split in (corpus.train, corpus.dev):
        for sentence in sentences(split):
            labels = [
                f"{label.data_point.unlabeled_identifier}={label.value}" for label in sentence.get_labels(label_type)
            ]
            digest.update("\x1f".join([sentence.to_tokenized_string(), *labels, "\n"]).encode("utf-8"))
        digest.update(b"\x1d")
    return digest.hexdigest()


def label_dictionary(corpus: Corpus, label_type: str, add_unk: bool = False) -> Dictionary:
    """The labels of every split, not only train's: a label that appears only in dev or test (fastText's cooking
    data has many) would otherwise crash flair's multi-label prediction; the model never predicts it correctly."""
    return corpus.make_label_dictionary(label_type, add_unk=add_unk, add_dev_test=True)


def resolve_label_type(corpus: Corpus, label_type: str | None) -> str:
    """The label type to learn: the given one if the corpus has it, else the corpus's only one."""
    if _size(corpus.train) == 0:
        raise ConfigurationError("the corpus has no training sentences.")
    available = label_types(corpus)
    if label_type is None:
        if len(available) != 1:
            raise ConfigurationError(
                f"say which label type to learn: the corpus has {dict(available) or 'no labels'} (label type: sentences)."
            )
        return next(iter(available))
    if label_type not in available:
        raise ConfigurationError(
            f"label type {label_type!r} is not in the corpus; its training sentences carry {dict(available) or 'no labels'}."
        )
    return label_type


def ensure_dev_split(corpus: Corpus, seed: int) -> None:
    """Selection needs dev data: a corpus without it gets 10% of its training data split off, as flair itself does."""
    if _size(corpus.dev) > 0:
        return
    train: Any = corpus.train
    train_size = _size(train)
    if train_size < 2:
        raise ConfigurationError(
            f"the corpus has no dev data and only {train_size} training sentence(s) to split it from."
        )
    dev_size = max(1, round(train_size / 10))
    corpus._dev, corpus._train = randomly_split_into_two_datasets(train, dev_size, random_seed=seed)
    log.warning(
        "the corpus has no dev data: %d of its %d training sentences were split off as dev data for selection",
        dev_size,
        train_size,
    )
