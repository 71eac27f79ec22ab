"""Embedding objects of a configuration sent to workers once, from the CPU: a configuration carries a stand-in instead."""

from __future__ import annotations

import contextlib
import functools
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Shared:
    """Stands in a configuration for an object a worker received once."""

    index: int


@contextlib.contextmanager
def picklable(module: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Within the block, ``module`` lacks the per-instance caches flair adds to a used embedding
    (``instance_lru_cache`` wrappers, which do not pickle); they are put back afterwards."""
    caches = [
        (part, name, value)
        for part in module.modules()
        for name, value in list(vars(part).items())
        if isinstance(getattr(value, "__func__", value), functools._lru_cache_wrapper)
    ]
    for part, name, _ in caches:
        del part.__dict__[name]
    try:
        yield module
    finally:
        for part, name, value in caches:
            part.__dict__[name] = value


@contextlib.contextmanager
def on_the_cpu(module: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Within the block, a module whose tensors are all on one GPU has them on the CPU; they are moved back
    afterwards. torch restores a pickled tensor on the device it was pickled from, so a module pickled from
    a GPU would arrive on that GPU in every worker, whichever GPU the worker's trials use."""
    devices = {tensor.device for tensor in [*module.parameters(), *module.buffers()]}
    device = devices.pop() if len(devices) == 1 else None
    if device is None or device.type == "cpu":
        yield module
        return
    module.to("cpu")
    try:
        yield module
    finally:
        module.to(device)


class SharedObjects:
    """The driver's side: every module in a configuration becomes a :class:`Shared` stand-in, pickled once."""

    def __init__(self) -> None:
        self._indices: dict[int, int] = {}
        self.pickled: list[bytes] = []
        self._keep: list[Any] = []  # the objects themselves, so that their ids stay theirs

    def stand_in(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.stand_in(item) for item in value]
        if isinstance(value, torch.nn.Module):
            if id(value) not in self._indices:
                with picklable(value), on_the_cpu(value):
                    self.pickled.append(pickle.dumps(value))
                self._indices[id(value)] = len(self.pickled) - 1
                self._keep.append(value)
            return Shared(self._indices[id(value)])
        return value


def indices(value: Any) -> set[int]:
    """The stand-ins a configuration value holds."""
    if isinstance(value, list):
        return set().union(*(indices(item) for item in value)) if value else set()
    return {value.index} if isinstance(value, Shared) else set()


def restore(value: Any, objects: dict[int, Any]) -> Any:
    """The worker's side: stand-ins replaced by the objects received."""
    if isinstance(value, list):
        return [restore(item, objects) for item in value]
    return objects[value.index] if isinstance(value, Shared) else value
