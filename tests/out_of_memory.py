"""Token embeddings that make a trial run out of GPU memory the first ``times`` times they embed, to test
how an executor handles it: on a GPU by really asking for more memory than it has, elsewhere by raising
torch's CUDA out-of-memory error. A count in ``marker`` (a file) carries over between worker processes.
Also embeddings that fail with a CUDA error other than out-of-memory, as a device-side assert does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flair
import torch
from flair.embeddings import TokenEmbeddings
from flair.embeddings.base import register_embeddings


@register_embeddings
class OutOfMemoryEmbeddings(TokenEmbeddings):
    """One constant feature per token; the first ``times`` embedding calls run out of GPU memory."""

    def __init__(self, marker: str, times: int = 1) -> None:
        self.name = "out-of-memory"
        self.static_embeddings = False
        super().__init__()
        self.marker, self.times = marker, times

    @property
    def embedding_length(self) -> int:
        return 1

    def to_params(self) -> dict[str, Any]:
        return {"marker": self.marker, "times": self.times}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> OutOfMemoryEmbeddings:
        return cls(params["marker"], params["times"])

    def _add_embeddings_internal(self, sentences: list[Any]) -> list[Any]:
        path = Path(self.marker)
        count = int(path.read_text()) if path.exists() else 0
        if count < self.times:
            path.write_text(str(count + 1))
            if flair.device.type == "cuda":
                free, _ = torch.cuda.mem_get_info(flair.device)
                torch.empty(2 * free, dtype=torch.uint8, device=flair.device)  # more than the GPU has
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (raised by OutOfMemoryEmbeddings on a CPU)")
        for sentence in sentences:
            for token in sentence:
                token.set_embedding(self.name, torch.ones(1, device=flair.device))
        return sentences


@register_embeddings
class CudaErrorEmbeddings(OutOfMemoryEmbeddings):
    """Fails as a device-side assert does (raised as such on a CPU too) the first ``times`` times."""

    def _add_embeddings_internal(self, sentences: list[Any]) -> list[Any]:
        path = Path(self.marker)
        count = int(path.read_text()) if path.exists() else 0
        if count < self.times:
            path.write_text(str(count + 1))
            raise RuntimeError("CUDA error: device-side assert triggered (raised by CudaErrorEmbeddings)")
        return super()._add_embeddings_internal(sentences)
