"""One embedding's vectors for every distinct sentence of a corpus, and its files: a plain ``.npy`` array and a
JSON index of where each sentence's rows are, each written atomically and read without unpickling."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch


@dataclass
class EmbeddingTable:
    """The vectors of one embedding for every distinct sentence of a corpus."""

    vectors: Union[np.ndarray, torch.Tensor]  # (rows, dimensions); a memory map when it stays on disk
    offsets: dict[str, tuple[int, int]]  # sentence key -> (first row, number of rows)
    per_token: bool

    @property
    def in_memory(self) -> bool:
        return isinstance(self.vectors, torch.Tensor)

    @property
    def nbytes(self) -> int:
        return int(self.vectors.shape[0] * self.vectors.shape[1] * 4)

    def rows(self, index: np.ndarray) -> torch.Tensor:
        if isinstance(self.vectors, torch.Tensor):
            return self.vectors[torch.from_numpy(index)]
        return torch.from_numpy(np.asarray(self.vectors[index]))


def read_table(files: tuple[Path, Path], embedding_length: int) -> EmbeddingTable:
    """The table in ``files``, memory-mapped (read without unpickling); ValueError where it does not match its index."""
    array_file, index_file = files
    index = json.loads(index_file.read_text(encoding="utf-8"))
    vectors = np.load(array_file, mmap_mode="r", allow_pickle=False)
    if vectors.shape != (index["rows"], embedding_length):
        raise ValueError(f"shape {vectors.shape} does not match its index")
    offsets = {key: (start, count) for key, start, count in index["offsets"]}
    return EmbeddingTable(vectors, offsets, index["per_token"])


def private_path(final: Path, suffix: str) -> Path:
    """A file name of this writer alone, beside ``final``, to be renamed onto it when complete."""
    return final.with_suffix(f".{os.getpid()}-{uuid.uuid4().hex[:8]}.partial{suffix}")


def save_table(
    files: tuple[Path, Path],
    partial: Optional[Path],
    vectors: np.ndarray,
    offsets: dict[str, tuple[int, int]],
    per_token: bool,
    description: str,
    in_memory: bool,
) -> None:
    """Write the table and then its index, each atomically: a crash leaves no half-written table behind, and
    trials in parallel that compute the same table each write their own files (the last rename wins)."""
    array_file, index_file = files
    array_file.parent.mkdir(parents=True, exist_ok=True)
    if in_memory:
        partial = private_path(array_file, ".npy")
        np.save(partial, vectors, allow_pickle=False)
    else:
        vectors.flush()  # type: ignore[attr-defined]
    assert partial is not None
    os.replace(partial, array_file)
    index = {
        "description": description,
        "per_token": per_token,
        "rows": int(vectors.shape[0]),
        "offsets": [[key, start, count] for key, (start, count) in offsets.items()],
    }
    temporary = private_path(index_file, ".json")
    temporary.write_text(json.dumps(index), encoding="utf-8")
    os.replace(temporary, index_file)
