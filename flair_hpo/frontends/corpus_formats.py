"""The file formats a corpus folder may hold, detected from its training file and checked in every split.

- fastText: ``__label__`` words on each line (flair's ``ClassificationCorpus``); labels anywhere in the line.
- columns: a token and its tag per line, sentences separated by blank lines (flair's ``ColumnCorpus``).
- CSV/TSV (``.csv``, ``.tsv``): a text and a label column (flair's ``CSVClassificationCorpus``), found by
  their header names or given by name or position.

Files are read as UTF-8 with or without a byte-order mark. Nothing is guessed silently: a split that does not
match the training file's format is an error naming the file and line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from flair_hpo.errors import ConfigurationError

ENCODING = "utf-8-sig"  # UTF-8; a byte-order mark at the start is dropped
FASTTEXT_PREFIX = "__label__"
TEXT_COLUMN_NAMES = ("text", "sentence", "question", "review", "content", "document", "tweet")
LABEL_COLUMN_NAMES = ("label", "labels", "class", "category", "sentiment", "target", "intent")
Column = Union[str, int]


def read_lines(path: Path) -> list[str]:
    """The file's lines; a clear error when it is not UTF-8 text this process may read."""
    try:
        return path.read_text(encoding=ENCODING).splitlines()
    except UnicodeDecodeError as error:
        raise ConfigurationError(
            f"{str(path)!r} is not UTF-8 text (byte {error.object[error.start]:#x} at position {error.start}); "
            "corpus files must be UTF-8."
        ) from None
    except OSError as error:
        raise ConfigurationError(f"{str(path)!r} cannot be read: {error.strerror or error}.") from None


def _content(lines: Sequence[str]) -> Iterator[tuple[int, str]]:
    """Numbered lines that hold data: not blank, not a ``-DOCSTART-`` or ``# `` comment line."""
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.startswith(("-DOCSTART-", "# ")):
            yield number, line


@dataclass(frozen=True)
class FastTextFormat:
    """``__label__`` words and text; ``labels_lead`` is False when some line has labels after its text."""

    labels_lead: bool = True
    name = "fastText (__label__)"

    def check(self, path: Path, lines: Sequence[str]) -> FastTextFormat:
        """This format with the labels' place in ``lines`` taken into account."""
        lead = self.labels_lead
        for number, line in _content(lines):
            words = line.split()
            if not any(word.startswith(FASTTEXT_PREFIX) for word in words):
                raise ConfigurationError(
                    f"{path}:{number}: no {FASTTEXT_PREFIX} label on this line, but the training file is in fastText format."
                )
            lead = lead and words[0].startswith(FASTTEXT_PREFIX)
        return FastTextFormat(lead)


def labels_first(line: str) -> str:
    """A fastText line with its ``__label__`` words moved to the front, as flair reads them."""
    words = line.split()
    return " ".join(
        [w for w in words if w.startswith(FASTTEXT_PREFIX)] + [w for w in words if not w.startswith(FASTTEXT_PREFIX)]
    )


@dataclass(frozen=True)
class ColumnFormat:
    """Whitespace-separated columns: the token first, the tag last."""

    columns: int
    name = "columns (token ... tag)"

    def check(self, path: Path, lines: Sequence[str]) -> ColumnFormat:
        for number, line in _content(lines):
            found = len(line.split())
            if found != self.columns:
                raise ConfigurationError(
                    f"{path}:{number}: {found} columns, but the training file has {self.columns} (token ... tag): "
                    f"is a tag written with a space, or is this file of another format? The line: {line.strip()!r}"
                )
        return self


@dataclass(frozen=True)
class DelimitedFormat:
    """CSV or TSV rows with one or more text columns and a label column (positions from 0)."""

    delimiter: str
    header: Optional[tuple[str, ...]]
    text_columns: tuple[int, ...]
    label_column: int

    @property
    def name(self) -> str:
        kind = "TSV" if self.delimiter == "\t" else "CSV"
        return f"{kind}, text column {self._names(self.text_columns)}, label column {self._names((self.label_column,))}"

    def _names(self, columns: Sequence[int]) -> str:
        return ", ".join(repr(self.header[c]) if self.header else str(c) for c in columns)

    @property
    def dialect(self) -> dict[str, Any]:
        """The ``csv`` reader's options (TSV files are read unquoted, as GLUE writes them)."""
        if self.delimiter == "\t":
            return {"delimiter": "\t", "quoting": csv.QUOTE_NONE}
        return {"delimiter": ","}

    def rows(self, lines: Sequence[str]) -> list[list[str]]:
        return list(csv.reader(lines, **self.dialect))  # type: ignore[arg-type]

    def labelled(self, lines: Sequence[str]) -> bool:
        """False for a file whose header lacks the label column (GLUE's test files are unlabelled)."""
        if self.header is None or not lines:
            return True
        return self.header[self.label_column] in self.rows(lines[:1])[0]

    def check(self, path: Path, lines: Sequence[str]) -> DelimitedFormat:
        rows = self.rows(lines)
        if self.header is not None and rows:
            if tuple(rows[0]) != self.header:
                raise ConfigurationError(
                    f"{path}: its header {rows[0]} differs from the training file's {list(self.header)}."
                )
            rows = rows[1:]
        needed = max(self.label_column, *self.text_columns) + 1
        for number, row in enumerate(rows, start=2 if self.header else 1):
            if row and (len(row) < needed or not row[self.label_column].strip()):
                raise ConfigurationError(
                    f"{path}:{number}: {len(row)} fields, and the label column {self._names((self.label_column,))} "
                    f"must hold a label (the training file's rows have {needed} fields at least)."
                )
            if row and not any(row[column].strip() for column in self.text_columns):
                raise ConfigurationError(
                    f"{path}:{number}: the text column {self._names(self.text_columns)} is empty; a sentence needs "
                    "text (remove the row)."
                )
        return self


CorpusFormat = Union[FastTextFormat, ColumnFormat, DelimitedFormat]


def _column_index(column: Column, header: Optional[Sequence[str]], option: str) -> int:
    if isinstance(column, int) or str(column).isdigit():
        return int(column)
    if header is None or column not in header:
        raise ConfigurationError(f"{option} {column!r} is not a column of the header {list(header or [])}.")
    return list(header).index(str(column))


def _named_column(
    path: Path, first: Sequence[str], header: Optional[Sequence[str]], role: str, names: tuple[str, ...]
) -> int:
    """The position of the first header cell that is one of ``names`` (the ``role`` column: text or label)."""
    found = [i for i, cell in enumerate(header or ()) if cell.strip().lower() in names]
    if not found:
        raise ConfigurationError(
            f"{path}: say which column holds the {role} (--{role}-column NAME or position); "
            f"its first row is {list(first)}, and no header name is one of {list(names)}."
        )
    return found[0]


def _label_of_a_header(rows: Sequence[Sequence[str]], label_column: Optional[Column]) -> bool:
    """True when the first row looks like column names (single words, not numbers) and its cell in the label
    column (given by position) is a label of no other row, while the other rows' labels repeat."""
    if label_column is None or not str(label_column).isdigit() or len(rows) < 3:
        return False
    position, first = int(label_column), rows[0]
    labels = [row[position].strip() for row in rows[1:] if len(row) > position]
    names = all(cell.strip() and len(cell.split()) == 1 and not _is_number(cell) for cell in first)
    return (
        names
        and bool(labels)
        and len(first) > position
        and first[position].strip() not in labels
        and len(set(labels)) < len(labels)
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _delimited(
    path: Path, lines: Sequence[str], text_column: Optional[Sequence[Column]], label_column: Optional[Column]
) -> DelimitedFormat:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    probe = DelimitedFormat(delimiter, None, (0,), 0)
    first = probe.rows(lines[:1])[0] if lines else []
    given = [*(text_column or []), label_column]
    known = set(TEXT_COLUMN_NAMES + LABEL_COLUMN_NAMES) | {
        str(c) for c in given if c is not None and not str(c).isdigit()
    }
    named = any(cell.strip().lower() in known or cell in known for cell in first)
    header = tuple(first) if named or _label_of_a_header(probe.rows(lines), label_column) else None
    if text_column is None:
        texts: tuple[int, ...] = (_named_column(path, first, header, "text", TEXT_COLUMN_NAMES),)
    else:
        texts = tuple(_column_index(c, header, "--text-column") for c in text_column)
    if label_column is None:
        label = _named_column(path, first, header, "label", LABEL_COLUMN_NAMES)
    else:
        label = _column_index(label_column, header, "--label-column")
    for option, positions in (("--text-column", texts), ("--label-column", (label,))):
        outside = [position for position in positions if position >= len(first)]
        if outside:
            raise ConfigurationError(
                f"{option} {outside[0]} is not a column of {path.name}: its first row has {len(first)} "
                f"(positions 0 to {len(first) - 1}): {first}."
            )
    return DelimitedFormat(delimiter, header, texts, label)


def detect_format(
    train: Path,
    lines: Sequence[str],
    text_column: Optional[Sequence[Column]] = None,
    label_column: Optional[Column] = None,
) -> CorpusFormat:
    """The format of the training file, from its name (``.csv``, ``.tsv``) and its lines."""
    if train.suffix.lower() in (".csv", ".tsv"):
        return _delimited(train, lines, text_column, label_column)
    if text_column is not None or label_column is not None:
        raise ConfigurationError(f"--text-column and --label-column apply to .csv and .tsv files, not to {train.name}.")
    first = next((line for _, line in _content(lines)), "")
    if any(word.startswith(FASTTEXT_PREFIX) for word in first.split()):
        return FastTextFormat().check(train, lines)
    columns = len(first.split())
    if columns < 2:
        raise ConfigurationError(
            f"{train} is neither fastText '__label__' lines, nor columns of token and tag, nor a .csv/.tsv file; "
            f"its first line: {first!r}"
        )
    return ColumnFormat(columns).check(train, lines)
