"""Embeddings as JSON specifications, so that the best configuration can be saved and rebuilt,
and as short descriptions for outputs and journal fingerprints."""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import Any

from flair_hpo.errors import ConfigurationError

SPEC_MARKER = "__embeddings__"
_SKIPPED_ARGUMENTS = {"__class__", "kwargs", "self"}


def _constructor_arguments(embeddings: Any) -> dict[str, Any]:
    """The JSON-safe constructor arguments flair recorded, where they differ from the defaults."""
    recorded = getattr(embeddings, "instance_parameters", None) or {}
    try:
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(type(embeddings).__init__).parameters.items()
        }
    except (TypeError, ValueError):
        defaults = {}
    return {
        name: value
        for name, value in recorded.items()
        if name not in _SKIPPED_ARGUMENTS
        and isinstance(value, (str, int, float, bool))
        and not (name in defaults and defaults[name] == value)
    }


def _short(value: Any) -> str:
    if isinstance(value, str) and ("/" in value or "\\" in value):
        parts = Path(value).parts
        return "/".join(parts[-2:]) if parts[-1] in {"model", "models"} else parts[-1]
    return repr(value)


def _is_stack(embeddings: Any) -> bool:
    return type(embeddings).__name__ == "StackedEmbeddings"


def describe_embeddings(embeddings: Any) -> str:
    """``WordEmbeddings('glove.6B.50d.top50k.gensim')``, ``[A, B]`` for stacks; ``<Class>`` for other objects."""
    if _is_stack(embeddings):
        return "Stacked[" + ", ".join(describe_embeddings(e) for e in embeddings.embeddings) + "]"
    arguments = _constructor_arguments(embeddings)
    if not hasattr(embeddings, "instance_parameters"):
        return f"<{type(embeddings).__name__}>"
    main = [_short(arguments.pop(name)) for name in ("embeddings", "model") if name in arguments]
    rest = [f"{name}={_short(value)}" for name, value in sorted(arguments.items())]
    return f"{type(embeddings).__name__}({', '.join(main + rest)})"


def to_spec(value: Any) -> Any:
    """A JSON-safe form of a parameter value; embeddings become specifications, classes their names."""
    if isinstance(value, (list, tuple)):
        return [to_spec(item) for item in value]
    if isinstance(value, type):
        return {SPEC_MARKER: "class", "module": value.__module__, "name": value.__qualname__}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if _is_stack(value):
        return {SPEC_MARKER: "StackedEmbeddings", "embeddings": [to_spec(e) for e in value.embeddings]}
    return {
        SPEC_MARKER: type(value).__name__,
        "module": type(value).__module__,
        "arguments": _constructor_arguments(value),
        "description": describe_embeddings(value),
    }


def from_spec(spec: Any) -> Any:
    """Rebuild a value written by :func:`to_spec` (embeddings are constructed again through flair)."""
    if isinstance(spec, list):
        return [from_spec(item) for item in spec]
    if not isinstance(spec, dict) or SPEC_MARKER not in spec:
        return spec
    kind = spec[SPEC_MARKER]
    if kind == "class":
        return _import(spec["module"], spec["name"])
    if kind == "StackedEmbeddings":
        from flair.embeddings import StackedEmbeddings

        return StackedEmbeddings(from_spec(spec["embeddings"]))
    if not spec["module"].startswith("flair."):
        raise ConfigurationError(
            f"cannot rebuild {spec.get('description', kind)}: only flair's own embeddings can be rebuilt from JSON."
        )
    return _import(spec["module"], kind)(**spec["arguments"])


def _import(module: str, name: str) -> Any:
    import importlib

    allowed = ("flair.", "torch.optim")
    if not module.startswith(allowed):
        raise ConfigurationError(f"refusing to import {module}.{name}: only flair and torch.optim classes are rebuilt.")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def fresh_copy(embeddings: Any) -> Any:
    """The same embeddings object when it never trains; a copy otherwise, so no trial trains another's weights."""
    if isinstance(embeddings, (list, tuple)):
        return [fresh_copy(e) for e in embeddings]
    return embeddings if getattr(embeddings, "static_embeddings", False) else copy.deepcopy(embeddings)
