"""The size limit on saved models (fastText's ``-autotune-modelsize``), checked per model and for a whole space."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

import torch
from flair.nn import Model

from flair_hpo.errors import ConfigurationError
from flair_hpo.training.embedding_specs import describe_embeddings

if TYPE_CHECKING:
    from flair_hpo.tasks import TaskSearchSpace


class ModelTooLarge(Exception):
    """A configuration's saved model would exceed the size limit."""


def saved_size(model: Model) -> int:
    """The bytes flair's ``model.save`` writes for this model."""
    buffer = io.BytesIO()
    torch.save(model._get_state_dict(), buffer, pickle_protocol=4)
    return buffer.tell()


def format_bytes(size: float) -> str:
    """``20.0M`` for 20,000,000 bytes (powers of 1000, as fastText's ``-autotune-modelsize``)."""
    for unit in ("B", "K", "M"):
        if size < 1000:
            return f"{size:.1f}{unit}" if unit != "B" else f"{int(size)}B"
        size /= 1000
    return f"{size:.1f}G"


def check_model_size(model: Model, limit: Optional[int]) -> None:
    if limit is not None and (size := saved_size(model)) > limit:
        shown = (format_bytes(size), format_bytes(limit))
        if shown[0] == shown[1]:  # close to the limit: rounded, both would read the same
            shown = (f"{size:,} bytes", f"{limit:,}")
        raise ModelTooLarge(f"the saved model would take {shown[0]}, more than the limit of {shown[1]}")


def embeddings_bytes(embeddings: Sequence[Any]) -> int:
    """The bytes of the tensors a stack of embeddings saves."""
    return sum(t.numel() * t.element_size() for e in embeddings for t in e.state_dict().values())


def check_space_fits(search_space: TaskSearchSpace, limit: Optional[int]) -> None:
    """Refuse, before any training, a limit that no configuration can meet: when every configuration carries
    word embeddings that alone take more than the limit."""
    if limit is None:
        return
    options = search_space.word_embedding_options()
    if options is None:
        return
    sizes = {", ".join(map(describe_embeddings, option)): embeddings_bytes(option) for option in options}
    name, smallest = min(sizes.items(), key=lambda item: item[1])
    if smallest > limit:
        raise ConfigurationError(
            f"no configuration fits the model-size limit of {format_bytes(limit)}: every one carries word embeddings, "
            f"and the smallest, {name}, alone take {format_bytes(smallest)}; raise the limit or search smaller embeddings."
        )
