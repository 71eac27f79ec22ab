"""Corpora named on the command line: a flair dataset name, or a local folder in column or fastText format."""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import flair.datasets
from flair.data import Corpus

from flair_hpo.errors import ConfigurationError
from flair_hpo.tasks import SEQUENCE_TAGGING, TEXT_CLASSIFICATION, ModelTask

log = logging.getLogger("flair_hpo")

_SPLIT_MARKERS = {"train": ("train",), "dev": ("dev", "valid", "testa"), "test": ("testb", "test")}
_KNOWN_TASKS = {
    "TREC_6": TEXT_CLASSIFICATION,
    "TREC_50": TEXT_CLASSIFICATION,
    "WNUT_17": SEQUENCE_TAGGING,
}


@dataclass
class LoadedCorpus:
    corpus: Corpus
    task: ModelTask
    label_type: Optional[str]
    name: str


def _dataset_names() -> list[str]:
    return sorted(name for name in dir(flair.datasets) if name.isupper())


def split_files(folder: Path) -> dict[str, Path]:
    """The train, dev and test files of a folder, found by the markers in their names (dev: dev, valid, testa)."""
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix not in {".gz", ".md"}
    )
    found: dict[str, Path] = {}
    for split, markers in _SPLIT_MARKERS.items():
        for path in files:
            if path not in found.values() and any(marker in path.name for marker in markers):
                found[split] = path
                break
    if "train" not in found:
        raise ConfigurationError(
            f"{str(folder)!r} has no training file: a file whose name contains 'train' is needed "
            f"(found {[p.name for p in files] or 'no files'})."
        )
    return found


def _check_readable(path: Path) -> None:
    """A corpus file must be UTF-8 text that this process may read."""
    try:
        with path.open(encoding="utf-8") as handle:
            for _ in handle:
                pass
    except UnicodeDecodeError as error:
        raise ConfigurationError(
            f"{str(path)!r} is not UTF-8 text (byte {error.object[error.start]:#x} at position {error.start}); "
            "corpus files must be UTF-8."
        ) from None
    except OSError as error:
        raise ConfigurationError(f"{str(path)!r} cannot be read: {error.strerror or error}.") from None


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return next((line.strip() for line in handle if line.strip() and not line.startswith("-DOCSTART-")), "")


def load_folder(folder: Path, task: Optional[ModelTask], label_type: Optional[str]) -> LoadedCorpus:
    """fastText ``__label__`` files make a classification corpus; anything else a column corpus whose last column is the tag."""
    files = split_files(folder)
    for path in files.values():
        _check_readable(path)
    first = _first_line(files["train"])
    fasttext_format = first.startswith("__label__")
    detected = TEXT_CLASSIFICATION if fasttext_format else SEQUENCE_TAGGING
    if task is not None and task is not detected:
        kind = "fastText '__label__' lines" if fasttext_format else "column lines"
        raise ConfigurationError(f"{str(folder)!r} holds {kind}, which do not fit the task {task.name}.")
    names: dict[str, Any] = {f"{split}_file": path.name for split, path in files.items()}
    if fasttext_format:
        label_type = label_type or "class"
        corpus: Corpus = flair.datasets.ClassificationCorpus(folder, label_type=label_type, **names)
    else:
        label_type = label_type or "ner"
        columns = len(first.split())
        if columns < 2:
            raise ConfigurationError(
                f"{files['train']} is neither fastText '__label__' lines nor columns of token and tag."
            )
        corpus = flair.datasets.ColumnCorpus(folder, {0: "text", columns - 1: label_type}, **names)
    return LoadedCorpus(corpus, detected, label_type, folder.name)


def load_corpus(spec: str, task: Optional[ModelTask] = None, label_type: Optional[str] = None) -> LoadedCorpus:
    """A corpus from a local folder, or from a flair dataset name such as ``trec_6`` or ``wnut_17``."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return load_folder(path, task, label_type)
    name = spec.upper()
    dataset = getattr(flair.datasets, name, None)
    if not isinstance(dataset, type) or not issubclass(dataset, Corpus):
        close = difflib.get_close_matches(name, _dataset_names(), n=3)
        hint = f"; did you mean {', '.join(n.lower() for n in close)}?" if close else ""
        raise ConfigurationError(f"{spec!r} is neither a folder nor a flair dataset name{hint}")
    if task is None:
        if name not in _KNOWN_TASKS:
            raise ConfigurationError(f"say which task {spec!r} is for: --task classification or --task tagging.")
        task = _KNOWN_TASKS[name]
    try:
        corpus = dataset()
    except Exception as error:  # flair downloads what it does not find in its cache
        raise ConfigurationError(
            f"flair could not load {spec!r} ({type(error).__name__}: {error}); is it in flair's cache?"
        ) from None
    return LoadedCorpus(corpus, task, label_type, spec.lower())
