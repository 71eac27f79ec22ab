"""How many trials run at once, and on which device, for ``max_concurrent_trials="auto"`` (the local
executor, :class:`Packing`) and for ``resources_per_trial="auto"`` (Ray, :class:`GpuShare`).

On GPUs: the first trial runs alone until it has reported its peak GPU memory; then each GPU takes as many
trials as its free memory holds at the largest peak seen so far plus a margin, and no more trials run than
the CPU cores carry at the CPU use measured. A trial that meets CUDA out-of-memory is requeued and its GPU
takes one trial fewer from then on. Without a GPU: one trial per core, one torch thread each (on a 2-core
machine 2 trials at once trained 1.65x the trials per hour of the best way one at a time over 96 trainings,
1.08x over 8: each worker's start is paid once; benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

CPU = "cpu"
MEMORY_MARGIN = 0.2  # of a trial's measured peak, for what the measurement missed (evaluation, longer batches)


@dataclass
class Packing:
    """The admission rule: ``free_bytes`` per GPU (``cuda:0`` ...) when the search started, and the cores."""

    free_bytes: dict[str, int]
    cores: int
    peak_bytes: int = 0  # the largest peak GPU memory a trial has reported
    cores_per_trial: float = 1.0  # the largest CPU use (cores busy) a trial has reported
    lowered: dict[str, int] = field(default_factory=dict)  # per GPU: at most this many after an out-of-memory

    @property
    def devices(self) -> list[str]:
        return list(self.free_bytes) or [CPU]

    def capacity(self, device: str) -> int:
        """How many trials ``device`` holds at once by what has been measured so far."""
        if device == CPU:
            return max(1, min(self.cores, self.lowered.get(CPU, self.cores)))
        if self.peak_bytes <= 0:
            return 1  # nothing measured yet
        fits = int(self.free_bytes[device] // (self.peak_bytes * (1 + MEMORY_MARGIN)))
        return max(1, min(fits, self.lowered.get(device, fits)))

    def total(self) -> int:
        """How many trials may run at once over every device, bounded by the cores."""
        by_devices = sum(self.capacity(device) for device in self.devices)
        if not self.free_bytes:
            return by_devices
        if self.peak_bytes <= 0:
            return 1  # the first trial runs alone until it has been measured
        return max(1, min(by_devices, math.floor(self.cores / max(self.cores_per_trial, 1e-9))))

    def place(self, running: dict[str, int]) -> Optional[str]:
        """The device for one more trial (the one with most room left), or None when none has room."""
        if sum(running.values()) >= self.total():
            return None
        room = {device: self.capacity(device) - running.get(device, 0) for device in self.devices}
        device = max(room, key=lambda name: room[name])
        return device if room[device] > 0 else None

    def measured(self, peak_bytes: int, cores_busy: float) -> None:
        """A trial reported its peak GPU memory and its CPU use."""
        self.peak_bytes = max(self.peak_bytes, peak_bytes)
        self.cores_per_trial = max(self.cores_per_trial, cores_busy)

    def out_of_memory(self, device: str, running_there: int) -> bool:
        """A trial on ``device`` ran out of memory while ``running_there`` trials ran there; True when it is
        worth running again (it did not run alone)."""
        if running_there <= 1:
            return False
        self.lowered[device] = running_there - 1
        return True


RAY_RESOURCE_UNITS = 10_000  # Ray counts a resource in steps of 1/10000, rounding each quantity to the nearest


def ray_fits(available: float, request: float, per_device: bool = False) -> int:
    """How many requests of ``request`` Ray places in ``available`` of a resource, counted as Ray counts them
    (``1.0 // 0.2`` is 4 in floating point; Ray places 5, and 6 of 1/7). ``per_device`` (GPUs): a fraction of
    one must fit within one device, so fractions are counted per whole unit."""
    units, step = round(available * RAY_RESOURCE_UNITS), max(1, round(request * RAY_RESOURCE_UNITS))
    if step >= RAY_RESOURCE_UNITS or not per_device:
        return units // step
    return units // RAY_RESOURCE_UNITS * (RAY_RESOURCE_UNITS // step) + units % RAY_RESOURCE_UNITS // step


@dataclass
class GpuShare:
    """For Ray's "auto": the share of one GPU a trial requests, so that Ray packs trials on every node's GPUs
    as the local executor does. Until a trial has reported its peak, each trial takes a whole GPU."""

    gpu_bytes: int = 0  # the memory of the smallest GPU a trial reported from
    peak_bytes: int = 0  # the largest peak GPU memory a trial has reported
    ceiling: Optional[int] = None  # trials per GPU at most, after an out-of-memory

    def trials_per_gpu(self) -> int:
        if self.peak_bytes <= 0 or self.gpu_bytes <= 0:
            return 1
        fits = int(self.gpu_bytes // (self.peak_bytes * (1 + MEMORY_MARGIN)))
        return max(1, min(fits, self.ceiling or fits))

    @property
    def fraction(self) -> float:
        """What one trial requests of a GPU (``num_gpus``): ``1 / trials_per_gpu()`` in Ray's steps, so that Ray
        places that many trials on one GPU (1/7 would be counted as 0.1429, and fit 6); from 100 trials on, where
        no step gives that many (none places 110), a few fewer, never more."""
        trials = self.trials_per_gpu()
        step = RAY_RESOURCE_UNITS // trials
        if RAY_RESOURCE_UNITS // step > trials:
            step += 1
        return step / RAY_RESOURCE_UNITS

    def measured(self, peak_bytes: int, gpu_bytes: int) -> None:
        """A trial reported its peak GPU memory and the memory of the GPU it ran on (0, 0 on a CPU)."""
        if peak_bytes > 0 and gpu_bytes > 0:
            self.peak_bytes = max(self.peak_bytes, peak_bytes)
            self.gpu_bytes = min(self.gpu_bytes or gpu_bytes, gpu_bytes)

    def out_of_memory(self, fraction: float) -> bool:
        """A trial that held ``fraction`` of a GPU ran out of its memory; True when it shared the GPU (so at most one
        trial fewer per GPU than it shared with from now on, and the trial is worth running again)."""
        sharing = ray_fits(1.0, fraction, per_device=True) if fraction > 0 else 1  # as Ray placed them
        if sharing <= 1:
            return False
        self.ceiling = min(self.ceiling or sharing, sharing - 1)
        return True
