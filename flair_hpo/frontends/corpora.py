"""Corpora named on the command line: a flair dataset name, a local folder, or a training file in a folder
(for a folder of several corpora); see :mod:`flair_hpo.frontends.corpus_formats` for the formats read."""

from __future__ import annotations

import contextlib
import difflib
import logging
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import flair.datasets
from flair.data import Corpus

from flair_hpo.errors import ConfigurationError
from flair_hpo.frontends.corpus_formats import (
    ENCODING,
    ColumnFormat,
    CorpusFormat,
    DelimitedFormat,
    FastTextFormat,
    detect_format,
    labels_first,
    read_lines,
)
from flair_hpo.objective import Metric
from flair_hpo.objective.metric_strings import describe_metric
from flair_hpo.tasks import SEQUENCE_TAGGING, TEXT_CLASSIFICATION, ModelTask

log = logging.getLogger("flair_hpo")

DATASET_SPLIT_SEED = 0  # the seed of the splits flair samples for a dataset that lacks them
_SPLIT_MARKERS = {"dev": ("dev", "valid", "testa"), "test": ("testb", "test")}
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
    source: str  # where it came from: files and format, or the dataset name


def _dataset_names() -> list[str]:
    return sorted(name for name in dir(flair.datasets) if name.isupper())


def split_files(folder: Path, train: Optional[Path] = None) -> dict[str, Path]:
    """The train, dev and test files of a folder. Without ``train``, the folder's one file whose name contains
    'train'. Dev (dev, valid, testa) and test (testb, test) files that share its name up to 'train' (``esp.``
    of ``esp.train``) come first, so that a folder of several corpora is read one corpus at a time."""
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix not in {".gz", ".md"}
    )
    if train is None:
        candidates = [path for path in files if "train" in path.name]
        if not candidates:
            raise ConfigurationError(
                f"{str(folder)!r} has no training file: a file whose name contains 'train' is needed "
                f"(found {[p.name for p in files] or 'no files'})."
            )
        if len(candidates) > 1:
            raise ConfigurationError(
                f"{str(folder)!r} holds several training files ({', '.join(p.name for p in candidates)}): "
                f"name the one to use instead of the folder, e.g. {str(candidates[0])!r}."
            )
        train = candidates[0]
    if "train" not in train.name:
        raise ConfigurationError(f"{str(train)!r} is not a training file: its name must contain 'train'.")
    prefix = train.name[: train.name.index("train")]
    found = {"train": train}
    for split in ("dev", "test"):
        matches = []
        for path in files:
            rest = path.name[len(prefix) :] if path.name.startswith(prefix) else path.name
            marker = next((marker for marker in _SPLIT_MARKERS[split] if marker in rest), None)
            if path in found.values() or marker is None or _of_another_corpus(path, marker, train, files):
                continue
            # the training file's kin first, then names that start with the split's name (test.txt before
            # latest_predictions.txt)
            matches.append((not path.name.startswith(prefix), not rest.startswith(marker), path.name, path))
        if matches:
            found[split] = min(matches)[-1]
    return found


def _of_another_corpus(path: Path, marker: str, train: Path, files: list[Path]) -> bool:
    """Whether ``path`` is a split of another corpus of the folder: ``ned.testa`` beside ``ned.train``."""
    other = path.name[: path.name.index(marker)]
    return any(file != train and file.name.startswith(other + "train") for file in files)


def _checked_format(
    files: dict[str, Path], task: Optional[ModelTask], options: dict[str, Any]
) -> tuple[CorpusFormat, list[str]]:
    """The training file's format, checked in every split; notes on splits left out."""
    lines = {split: read_lines(path) for split, path in files.items()}
    corpus_format = detect_format(files["train"], lines["train"], **options)
    notes = []
    for split in ("dev", "test"):
        if split not in files:
            notes.append(f"no {split} file")
        elif isinstance(corpus_format, DelimitedFormat) and not corpus_format.labelled(lines[split]):
            notes.append(f"{files.pop(split).name} has no label column, so it is not used as {split} data")
        else:
            corpus_format = corpus_format.check(files[split], lines[split])
    if isinstance(corpus_format, DelimitedFormat):  # fastText and column files are checked as they are detected
        corpus_format.check(files["train"], lines["train"])
    detected = SEQUENCE_TAGGING if isinstance(corpus_format, ColumnFormat) else TEXT_CLASSIFICATION
    if task is not None and task is not detected:
        raise ConfigurationError(
            f"{files['train']} holds {corpus_format.name} lines, which do not fit the task {task.name}."
        )
    return corpus_format, notes


DOCUMENT_START = "-DOCSTART-"


def _without_document_starts(corpus: Corpus) -> int:
    """Leave out of every split the sentences that are a CoNLL ``-DOCSTART-`` line alone (flair reads each as
    a sentence of one token); returns how many."""
    from torch.utils.data import Subset

    left_out = 0
    for split in ("_train", "_dev", "_test"):
        dataset = getattr(corpus, split)
        if dataset is None:
            continue
        kept = [i for i, sentence in enumerate(dataset) if [t.text for t in sentence] != [DOCUMENT_START]]
        if len(kept) < len(dataset):
            left_out += len(dataset) - len(kept)
            setattr(corpus, split, Subset(dataset, kept))
    return left_out


def load_folder(
    folder: Path,
    task: Optional[ModelTask],
    label_type: Optional[str],
    train: Optional[Path] = None,
    **options: Any,
) -> LoadedCorpus:
    """A corpus from the files of ``folder`` (or its corpus whose training file is ``train``); ``options``:
    ``text_column`` and ``label_column`` of CSV/TSV files."""
    files = split_files(folder, train)
    corpus_format, notes = _checked_format(files, task, options)
    names: dict[str, Any] = {f"{split}_file": path.name for split, path in files.items()}
    common: dict[str, Any] = {"encoding": ENCODING, "sample_missing_splits": False, **names}
    corpus: Corpus
    if isinstance(corpus_format, FastTextFormat):
        label_type = label_type or "class"
        corpus = _fasttext_corpus(folder, files, corpus_format, label_type, common)
    elif isinstance(corpus_format, DelimitedFormat):
        label_type = label_type or "class"
        column_map = {column: "text" for column in corpus_format.text_columns}
        column_map[corpus_format.label_column] = "label"
        corpus = flair.datasets.CSVClassificationCorpus(
            folder, column_map, label_type=label_type, skip_header=corpus_format.header is not None,
            in_memory=True, **corpus_format.dialect, **common,
        )  # fmt: skip
    else:
        label_type = label_type or "ner"
        corpus = flair.datasets.ColumnCorpus(
            folder, {0: "text", corpus_format.columns - 1: label_type}, autofind_splits=False, **common
        )
        if left_out := _without_document_starts(corpus):
            notes.append(f"{left_out:,} {DOCUMENT_START} lines left out (document separators, not sentences)")
    split_names = ", ".join(f"{split} {path.name}" for split, path in files.items())
    source = f"{folder}: {split_names}; format {corpus_format.name}" + "".join(f"; {note}" for note in notes)
    task = SEQUENCE_TAGGING if isinstance(corpus_format, ColumnFormat) else TEXT_CLASSIFICATION
    return LoadedCorpus(corpus, task, label_type, folder.name, source)


def _fasttext_corpus(
    folder: Path, files: dict[str, Path], corpus_format: FastTextFormat, label_type: str, common: dict[str, Any]
) -> Corpus:
    """flair reads ``__label__`` words only at the start of a line: files with labels elsewhere are read from
    copies with the labels moved to the front. ``common``: flair's corpus options, file names included."""
    if corpus_format.labels_lead:
        return flair.datasets.ClassificationCorpus(folder, label_type=label_type, **common)
    with tempfile.TemporaryDirectory() as copy:
        for path in files.values():
            lines = [labels_first(line) for line in read_lines(path)]
            (Path(copy) / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        log.warning("%s: __label__ words after the text were moved to the front, as flair reads them", folder)
        return flair.datasets.ClassificationCorpus(copy, label_type=label_type, **common)


def load_corpus(
    spec: str, task: Optional[ModelTask] = None, label_type: Optional[str] = None, **options: Any
) -> LoadedCorpus:
    """A corpus from a local folder, a training file in a folder, or a flair dataset name such as ``trec_6``.
    ``options``: ``text_column`` and ``label_column`` of CSV/TSV files."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return load_folder(path, task, label_type, **options)
    if path.is_file():
        return load_folder(path.parent, task, label_type, train=path, **options)
    name = spec.upper()
    dataset = getattr(flair.datasets, name, None)
    if not isinstance(dataset, type) or not issubclass(dataset, Corpus):
        close = difflib.get_close_matches(name, _dataset_names(), n=3)
        hint = f"; did you mean {', '.join(n.lower() for n in close)}?" if close else ""
        raise ConfigurationError(f"{spec!r} is neither a folder nor a flair dataset name{hint}")
    if any(value is not None for value in options.values()):
        raise ConfigurationError(
            f"--text-column and --label-column apply to .csv and .tsv files, not to the flair dataset {spec!r}."
        )
    if task is None:
        if name not in _KNOWN_TASKS:
            raise ConfigurationError(f"say which task {spec!r} is for: --task classification or --task tagging.")
        task = _KNOWN_TASKS[name]
    try:
        with _fixed_random_splits():
            corpus = dataset()
    except Exception as error:  # flair downloads what it does not find in its cache
        raise ConfigurationError(
            f"flair could not load {spec!r} ({type(error).__name__}: {error}); is it in flair's cache?"
        ) from None
    return LoadedCorpus(corpus, task, label_type, spec.lower(), f"flair dataset {name}")


@contextlib.contextmanager
def _fixed_random_splits() -> Iterator[None]:
    """flair samples a dataset's missing splits (TREC-6's dev data) with Python's global random: seeded here, so
    that a name is the same corpus in every process and a search on it resumes."""
    state = random.getstate()
    random.seed(DATASET_SPLIT_SEED)
    try:
        yield
    finally:
        random.setstate(state)


def describe_corpus(
    source: str,
    corpus: Corpus,
    task: ModelTask,
    label_type: str,
    labels: list[str],
    multi_label: bool,
    metric: Metric,
) -> str:
    """What a search will train on, printed before it starts."""
    counts = ", ".join(
        f"{split} {len(data):,}" if data else f"{split} none"
        for split, data in (("train", corpus.train), ("dev", corpus.dev), ("test", corpus.test))
    )
    if not corpus.dev:
        counts += " (10% of train is split off as dev data for selection)"
    kind = "multi-label" if multi_label else "one label each"
    shown = ", ".join(labels[:10]) + (f", ... ({len(labels)} in all)" if len(labels) > 10 else "")
    return (
        f"corpus: {source}\n"
        f"  sentences: {counts}\n"
        f"  task {task.name}, label type {label_type!r}, {len(labels)} labels ({kind}): {shown}\n"
        f"  selection metric: {describe_metric(metric, multi_label)}"
    )
