"""The TREC-6 classifier space of the tabular benchmark: 5 x 5 x 4 x 2 = 200 configurations.

A point maps each key to an option index, as flair-hpo's strategies encode categorical choices; its
configuration number is its mixed-radix index over the keys in sorted order.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TABLE = HERE / "trec6_table.csv"
MAX_EPOCHS = 9
TRAIN_FRACTION = 0.27

OPTIONS: dict[str, list[Any]] = {
    "embeddings": ["glove-mean", "glove-max", "glove-mean-linear", "glove-gru", "minilm-frozen"],
    "learning_rate": [0.001, 0.01, 0.05, 0.2, 1.0],
    "mini_batch_size": [8, 16, 32, 64],
    "optimizer": ["SGD", "AdamW"],
}
KEYS = sorted(OPTIONS)


def configurations() -> list[dict[str, int]]:
    """Every point, in configuration-number order."""
    return [dict(zip(KEYS, indices)) for indices in itertools.product(*(range(len(OPTIONS[k])) for k in KEYS))]


def config_id(point: dict[str, int]) -> int:
    number = 0
    for key in KEYS:
        number = number * len(OPTIONS[key]) + int(point[key])
    return number


def values(point: dict[str, int]) -> dict[str, Any]:
    return {key: OPTIONS[key][int(point[key])] for key in KEYS}


@functools.lru_cache(maxsize=1)
def _glove() -> Any:
    from flair.embeddings import WordEmbeddings

    from local_data import GLOVE_50K

    return WordEmbeddings(str(GLOVE_50K))


def decode(point: dict[str, int]) -> dict[str, Any]:
    """The flair-hpo configuration of a point."""
    from local_data import minilm_path

    chosen = values(point)
    config: dict[str, Any] = {key: chosen[key] for key in ("learning_rate", "mini_batch_size", "optimizer")}
    kind = chosen["embeddings"]
    if kind == "minilm-frozen":
        config["document_embeddings"] = "TransformerDocumentEmbeddings"
        config["TransformerDocumentEmbeddings.model"] = minilm_path()
        config["TransformerDocumentEmbeddings.fine_tune"] = False
    elif kind == "glove-gru":
        config["document_embeddings"] = "DocumentRNNEmbeddings"
        config["DocumentRNNEmbeddings.embeddings"] = [_glove()]
        config["DocumentRNNEmbeddings.hidden_size"] = 64
    else:
        config["document_embeddings"] = "DocumentPoolEmbeddings"
        config["DocumentPoolEmbeddings.embeddings"] = [_glove()]
        config["DocumentPoolEmbeddings.pooling"] = "max" if kind == "glove-max" else "mean"
        config["DocumentPoolEmbeddings.fine_tune_mode"] = "linear" if kind.endswith("linear") else "none"
    return config


def load_corpus() -> Any:
    """TREC-6 with a fixed 27% of its training questions, its 545 dev questions and all 500 test questions."""
    import flair
    from flair.datasets import TREC_6

    flair.set_seed(0)
    return TREC_6().downsample(TRAIN_FRACTION, downsample_dev=False, downsample_test=False)
