"""Word embeddings named by a string on the command line, in space files and in autotune; transformers named
there checked."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flair_hpo.errors import ConfigurationError


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


def check_transformer(spec: str) -> None:
    """Refuse a transformer given as a path that is not a model folder here. A name (``bert-base-uncased``,
    ``org/model``) is left to transformers, which loads it from its cache or downloads it."""
    path = Path(spec).expanduser()
    looks_like_a_path = spec.startswith(("/", ".", "~")) or spec.count("/") > 1
    if not path.exists() and looks_like_a_path:
        raise ConfigurationError(
            f"transformer {spec!r} is not a folder here, nor a model name such as 'bert-base-uncased' or 'org/model'."
        )
    if path.is_dir() and not (path / "config.json").is_file():
        raise ConfigurationError(f"transformer folder {spec!r} holds no config.json: it is not a transformers model.")
