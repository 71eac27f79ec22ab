"""Word embeddings named by a string on the command line, in space files and in autotune; transformers named
there checked."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flair_hpo.errors import ConfigurationError
from flair_hpo.space import Categorical

if TYPE_CHECKING:
    from flair_hpo.tasks import TaskSearchSpace

log = logging.getLogger("flair_hpo")


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
    """Refuse a transformer given as a path that is not a model folder here, or as a name that cannot be one.
    A name (``bert-base-uncased``, ``org/model``) missing from the Hugging Face cache is downloaded by the
    first trial that needs it: said beforehand, since offline such trials fail."""
    from huggingface_hub import try_to_load_from_cache

    path = Path(spec).expanduser()
    looks_like_a_path = spec.startswith(("/", ".", "~")) or spec.count("/") > 1
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigurationError(
                f"transformer folder {spec!r} holds no config.json: it is not a transformers model."
            )
        return
    unknown = f"transformer {spec!r} is not a folder here, nor a model name such as 'bert-base-uncased' or 'org/model'"
    if looks_like_a_path:
        raise ConfigurationError(f"{unknown}.")
    try:
        cached = try_to_load_from_cache(spec, "config.json")
    except ValueError as error:  # HFValidationError: not a name a model can have
        raise ConfigurationError(f"{unknown}: {error}") from None
    if not isinstance(cached, str):
        log.warning(
            "transformer %r is not in the Hugging Face cache: the first trial that needs it downloads it "
            "(offline, trials with it fail)",
            spec,
        )


def check_space_transformers(space: TaskSearchSpace) -> None:
    """:func:`check_transformer` for every transformer a search space names (one name or folder per option)."""
    for parameter in space.task.transformer_fine_tune:
        if parameter not in space.parameters_used:
            continue
        value = space.value_of(parameter)
        for option in value.options if isinstance(value, Categorical) else [value]:
            if not isinstance(option, str):
                raise ConfigurationError(
                    f"{parameter.key} takes one transformer per option (a name or a folder), but got {option!r}."
                )
            check_transformer(option)
