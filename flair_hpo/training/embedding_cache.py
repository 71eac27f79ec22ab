"""Embeddings that never change, computed once per study and served to every training run.

An embedding is cached when it never trains and its vectors for a sentence depend on that sentence
alone: word embeddings, frozen transformer word or document embeddings, frozen Flair embeddings, on
their own or inside stacks, pools and RNNs. Its vectors for every sentence of the corpus are computed
once (in evaluation mode, as at prediction time), kept in memory for the search and in
``base_path/embedding-cache`` on disk for a resumed search or a rerun, and handed to flair whenever it
asks for them. Everything that trains is never cached, so flair recomputes it in every batch.

Memory stays bounded: tables beyond ``memory_limit`` bytes stay on disk as memory-mapped ``.npy``
files, read as batches need them, and are written there batch by batch while they are computed.
Files are plain ``.npy`` arrays and a JSON index, loaded without unpickling.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import flair
import numpy as np
import torch
from flair.data import Corpus, Sentence
from flair.embeddings import TokenEmbeddings
from flair.nn import Model

from flair_hpo.training.corpus_checks import sentences as split_sentences
from flair_hpo.training.embedding_specs import describe_embeddings, to_spec
from flair_hpo.training.embedding_tables import EmbeddingTable, private_path, read_table, save_table
from flair_hpo.training.static_embeddings import cacheable_parts, frozen_parts_in_eval_mode, sentence_key

log = logging.getLogger("flair_hpo")

CACHE_FOLDER_NAME = "embedding-cache"
COMPUTE_BATCH_SIZE = 32


def default_memory_limit() -> int:
    """A quarter of this machine's physical memory."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    except (ValueError, OSError, AttributeError):
        return 4 * 1024**3


@dataclass
class _CorpusKeys:
    corpus_id: int
    sentences: list[Sentence]
    unique: dict[str, Sentence]
    fingerprint: str


class EmbeddingCache:
    """Computes each cacheable embedding once per corpus and serves its vectors to flair.

    ``folder`` keeps the tables on disk (None: memory only, and tables over the limit are not cached);
    ``memory_limit`` bounds the bytes of tables held in memory (default: a quarter of physical memory).
    """

    def __init__(self, folder: Optional[Path] = None, memory_limit: Optional[int] = None) -> None:
        self.folder = folder
        self.memory_limit = default_memory_limit() if memory_limit is None else memory_limit
        self._tables: dict[str, EmbeddingTable] = {}
        self._keys: Optional[_CorpusKeys] = None
        self.computed: list[str] = []  # descriptions of the tables computed, in order
        self.loaded: list[str] = []  # descriptions of the tables read from disk

    # -- public ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def serving(self, model: Model, corpus: Corpus) -> Iterator[list[Any]]:
        """Within the block, flair takes the cacheable embeddings of ``model`` from the cache."""
        with frozen_parts_in_eval_mode(model) as parts:
            tables = [self._table(part, corpus) for part in parts]
            served = [(part, table) for part, table in zip(parts, tables) if table is not None]
            for part, table in served:
                part._add_embeddings_internal = self._server(part, table)
            try:
                yield [part for part, _ in served]
            finally:
                for part, _ in served:
                    del part._add_embeddings_internal

    def prepare(self, values: Sequence[Any], corpus: Corpus) -> None:
        """Compute (or read) now the tables of every cacheable part of these embeddings, so that worker
        processes find them on disk."""
        for value in values:
            for part in cacheable_parts(value):
                self._table(part, corpus)

    @property
    def bytes_in_memory(self) -> int:
        return sum(table.nbytes for table in self._tables.values() if table.in_memory)

    def tables_in_memory(self) -> int:
        return sum(1 for table in self._tables.values() if table.in_memory)

    # -- building tables ---------------------------------------------------------------------------

    def _corpus_keys(self, corpus: Corpus) -> _CorpusKeys:
        if self._keys is None or self._keys.corpus_id != id(corpus):
            everything = [s for split in (corpus.train, corpus.dev, corpus.test) for s in split_sentences(split)]
            unique: dict[str, Sentence] = {}
            for sentence in everything:
                unique.setdefault(sentence_key(sentence), sentence)
            fingerprint = hashlib.sha256("\n".join(sorted(unique)).encode()).hexdigest()
            self._keys = _CorpusKeys(id(corpus), everything, unique, fingerprint)
        return self._keys

    def _table(self, embeddings: Any, corpus: Corpus) -> Optional[EmbeddingTable]:
        keys = self._corpus_keys(corpus)
        identity = json.dumps(
            {"embeddings": to_spec(embeddings), "length": embeddings.embedding_length, "corpus": keys.fingerprint},
            sort_keys=True,
        )
        name = hashlib.sha256(identity.encode()).hexdigest()[:20]
        if name not in self._tables:
            table = self._load(name, embeddings) or self._compute(name, embeddings, keys)
            if table is None:
                return None
            self._tables[name] = table
        return self._tables[name]

    def _files(self, name: str) -> Optional[tuple[Path, Path]]:
        return None if self.folder is None else (self.folder / f"{name}.npy", self.folder / f"{name}.json")

    def _fits(self, nbytes: int) -> bool:
        return self.bytes_in_memory + nbytes <= self.memory_limit

    def _load(self, name: str, embeddings: Any) -> Optional[EmbeddingTable]:
        files = self._files(name)
        if files is None or not files[0].exists() or not files[1].exists():
            return None
        try:
            table = read_table(files, embeddings.embedding_length)
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("embedding cache %s is unreadable (%s); computing it again", files[0], error)
            return None
        if self._fits(table.nbytes):
            table.vectors = torch.from_numpy(np.array(table.vectors))
        self.loaded.append(describe_embeddings(embeddings))
        return table

    def _compute(self, name: str, embeddings: Any, keys: _CorpusKeys) -> Optional[EmbeddingTable]:
        per_token = isinstance(embeddings, TokenEmbeddings)
        offsets: dict[str, tuple[int, int]] = {}
        rows = 0
        for key, sentence in keys.unique.items():
            count = len(sentence) if per_token else 1
            offsets[key] = (rows, count)
            rows += count
        shape = (rows, embeddings.embedding_length)
        nbytes = rows * embeddings.embedding_length * 4
        files = self._files(name)
        in_memory = self._fits(nbytes)
        if files is None and not in_memory:
            log.warning("%s does not fit the embedding cache's memory limit and has no folder; not cached", embeddings)
            return None
        description = describe_embeddings(embeddings)
        log.info("computing %s for %d distinct sentences once for the whole search", description, len(offsets))
        partial = private_path(files[0], ".npy") if files else None
        if in_memory:
            vectors: np.ndarray = np.empty(shape, dtype=np.float32)
        else:
            assert partial is not None
            partial.parent.mkdir(parents=True, exist_ok=True)
            vectors = np.lib.format.open_memmap(partial, mode="w+", dtype=np.float32, shape=shape)
        self._fill(embeddings, keys.unique, offsets, vectors, per_token)
        if files is not None:
            try:
                save_table(files, partial, vectors, offsets, per_token, description, in_memory)
            except OSError as error:  # a full disk costs a later search the table, never this trial
                log.warning(
                    "embedding cache %s could not be written (%s); serving it from this process", files[0], error
                )
            else:
                if not in_memory:
                    vectors = np.load(files[0], mmap_mode="r", allow_pickle=False)
        self.computed.append(description)
        table_vectors: Union[np.ndarray, torch.Tensor] = torch.from_numpy(vectors) if in_memory else vectors
        return EmbeddingTable(table_vectors, offsets, per_token)

    @staticmethod
    def _fill(
        embeddings: Any,
        unique: dict[str, Sentence],
        offsets: dict[str, tuple[int, int]],
        vectors: np.ndarray,
        per_token: bool,
    ) -> None:
        """Embed every distinct sentence in batches of similar length and copy the vectors into ``vectors``."""
        ordered = sorted(unique.items(), key=lambda item: len(item[1]))
        with torch.no_grad():
            for start in range(0, len(ordered), COMPUTE_BATCH_SIZE):
                batch = ordered[start : start + COMPUTE_BATCH_SIZE]
                batch_sentences = [sentence for _, sentence in batch]
                for sentence in batch_sentences:
                    sentence.clear_embeddings([embeddings.name])
                embeddings._add_embeddings_internal(batch_sentences)
                for key, sentence in batch:
                    first, count = offsets[key]
                    if per_token:
                        block = torch.stack([token.get_embedding([embeddings.name]) for token in sentence])
                    else:
                        block = sentence.get_embedding([embeddings.name]).unsqueeze(0)
                    vectors[first : first + count] = block.detach().float().cpu().numpy()
                    sentence.clear_embeddings([embeddings.name])

    # -- serving -----------------------------------------------------------------------------------

    @staticmethod
    def _server(embeddings: Any, table: EmbeddingTable) -> Any:
        original = type(embeddings)._add_embeddings_internal.__get__(embeddings)

        def add_embeddings(sentences: Sequence[Sentence]) -> None:
            known: list[tuple[Sentence, int]] = []
            index: list[np.ndarray] = []
            missing: list[Sentence] = []
            for sentence in sentences:
                location = table.offsets.get(sentence_key(sentence))
                if location is None:
                    missing.append(sentence)
                else:
                    known.append((sentence, location[1]))
                    index.append(np.arange(location[0], location[0] + location[1]))
            if known:
                block = table.rows(np.concatenate(index)).to(flair.device)
                name = embeddings.name
                for (sentence, _), vectors in zip(known, torch.split(block, [count for _, count in known])):
                    if table.per_token:
                        for token, vector in zip(sentence, vectors):
                            token.set_embedding(name, vector)
                    else:
                        sentence.set_embedding(name, vectors[0])
            if missing:
                original(list(missing))

        return add_embeddings
