"""Word embeddings named by a string, and the search spaces autotune uses when none is given."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Optional

from flair_hpo import parameters as p
from flair_hpo.errors import ConfigurationError
from flair_hpo.search_spaces import SearchSpace, SequenceTaggerSearchSpace, TextClassifierSearchSpace
from flair_hpo.settings import Task


def _has_word2vec_header(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = handle.readline().split()
    return len(first) == 2 and all(part.isdigit() for part in first)


@cache
def load_word_embeddings(spec: str) -> Any:
    """flair ``WordEmbeddings`` from a gensim file, a word2vec/GloVe text file, or a flair name such as ``glove``."""
    from flair.embeddings import WordEmbeddings

    path = Path(spec).expanduser()
    try:
        if path.is_file() and path.suffix in {".txt", ".vec"}:
            return WordEmbeddings(str(path), no_header=not _has_word2vec_header(path))
        return WordEmbeddings(str(path) if path.is_file() else spec)
    except Exception as error:  # flair downloads names it does not find; offline that fails
        raise ConfigurationError(f"cannot load word embeddings {spec!r}: {type(error).__name__}: {error}") from None


def default_search_space(task: Task, embeddings: str, transformer: Optional[str] = None) -> SearchSpace:
    """A sensible space for the task: an RNN (and for classifiers pooling) over ``embeddings``, and a frozen
    ``transformer`` when one is given; learning rate, batch size, hidden size and dropout are searched."""
    glove = load_word_embeddings(embeddings)
    if task is Task.SEQUENCE_TAGGING:
        tagger = SequenceTaggerSearchSpace()
        if transformer is not None:
            tagger.add_parameter(p.TransformerWordEmbeddings.MODEL, options=[transformer])
            tagger.add_parameter(p.TransformerWordEmbeddings.FINE_TUNE, options=[False])
        else:
            tagger.add_parameter(p.SequenceTagger.EMBEDDINGS, options=[glove])
        tagger.add_parameter(p.SequenceTagger.HIDDEN_SIZE, options=[64, 128, 256])
        tagger.add_parameter(p.SequenceTagger.USE_CRF, options=[True, False])
        tagger.add_parameter(p.SequenceTagger.DROPOUT, low=0.0, high=0.5)
        tagger.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.02, high=0.5, log=True)
        tagger.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[16, 32])
        return tagger
    classifier = TextClassifierSearchSpace()
    classifier.add_word_embeddings(p.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    classifier.add_parameter(p.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[64, 128, 256])
    classifier.add_parameter(p.DocumentRNNEmbeddings.DROPOUT, low=0.0, high=0.5)
    classifier.add_word_embeddings(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    classifier.add_parameter(p.DocumentPoolEmbeddings.POOLING, options=["mean", "max"])
    if transformer is not None:
        classifier.add_parameter(p.TransformerDocumentEmbeddings.MODEL, options=[transformer])
        classifier.add_parameter(p.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    classifier.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=0.5, log=True)
    classifier.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[16, 32, 64])
    return classifier
