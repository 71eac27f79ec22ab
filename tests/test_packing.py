"""The "auto" packing rule, exactly: trials per device by measured peak memory, the cores, out-of-memory."""

from __future__ import annotations

from flair_hpo.executors.devices import is_out_of_memory, leaves_cuda_unusable
from flair_hpo.executors.packing import MEMORY_MARGIN, GpuShare, Packing, ray_fits

GIB = 2**30


def test_the_first_trial_runs_alone_until_it_has_been_measured() -> None:
    packing = Packing({"cuda:0": 80 * GIB}, cores=16)
    assert packing.total() == 1 and packing.place({}) == "cuda:0" and packing.place({"cuda:0": 1}) is None


def test_a_gpu_takes_as_many_trials_as_its_free_memory_holds_with_a_margin() -> None:
    packing = Packing({"cuda:0": 80 * GIB}, cores=64)
    packing.measured(peak_bytes=4 * GIB, cores_busy=0.9)
    assert packing.capacity("cuda:0") == int(80 // (4 * (1 + MEMORY_MARGIN))) == 16
    assert packing.total() == 16
    packing.measured(peak_bytes=10 * GIB, cores_busy=0.5)  # the largest peak counts
    assert packing.total() == 6


def test_the_cores_bound_the_trials_by_their_measured_cpu_use() -> None:
    packing = Packing({"cuda:0": 80 * GIB}, cores=16)
    packing.measured(peak_bytes=1 * GIB, cores_busy=0.7)
    assert packing.capacity("cuda:0") == 66 and packing.total() == 16  # at least one core a trial
    packing.measured(peak_bytes=1 * GIB, cores_busy=3.2)
    assert packing.total() == 5


def test_trials_are_spread_over_gpus_by_the_room_left() -> None:
    packing = Packing({"cuda:0": 24 * GIB, "cuda:1": 48 * GIB}, cores=32)
    packing.measured(peak_bytes=10 * GIB, cores_busy=1.0)
    assert [packing.capacity("cuda:0"), packing.capacity("cuda:1")] == [2, 4]
    running: dict[str, int] = {}
    placed = []
    while (device := packing.place(running)) is not None:
        running[device] = running.get(device, 0) + 1
        placed.append(device)
    assert placed == ["cuda:1", "cuda:1", "cuda:0", "cuda:1", "cuda:0", "cuda:1"]


def test_out_of_memory_beside_others_lowers_that_gpu_and_alone_is_a_failure() -> None:
    packing = Packing({"cuda:0": 80 * GIB, "cuda:1": 80 * GIB}, cores=64)
    packing.measured(peak_bytes=8 * GIB, cores_busy=1.0)
    assert packing.out_of_memory("cuda:0", running_there=5) is True
    assert packing.capacity("cuda:0") == 4 and packing.capacity("cuda:1") == 8
    assert packing.out_of_memory("cuda:0", running_there=1) is False
    assert packing.capacity("cuda:0") == 4


def test_without_a_gpu_one_trial_per_core() -> None:
    packing = Packing({}, cores=2)
    assert packing.devices == ["cpu"] and packing.total() == 2
    assert packing.place({"cpu": 1}) == "cpu" and packing.place({"cpu": 2}) is None
    packing.out_of_memory("cpu", running_there=2)
    assert packing.total() == 1


def test_ray_trials_take_a_whole_gpu_until_measured_then_the_share_their_peak_needs() -> None:
    share = GpuShare()
    assert share.fraction == 1.0
    share.measured(peak_bytes=0, gpu_bytes=0)  # a trial on a CPU says nothing about GPUs
    assert share.fraction == 1.0
    share.measured(peak_bytes=4 * GIB, gpu_bytes=80 * GIB)
    assert share.trials_per_gpu() == int(80 // (4 * (1 + MEMORY_MARGIN))) == 16 and share.fraction == 1 / 16
    share.measured(peak_bytes=10 * GIB, gpu_bytes=40 * GIB)  # the largest peak and the smallest GPU count
    assert share.trials_per_gpu() == 3


def test_ray_out_of_memory_lowers_the_share_below_what_the_trial_shared_and_alone_is_a_failure() -> None:
    share = GpuShare()
    share.measured(peak_bytes=8 * GIB, gpu_bytes=80 * GIB)
    assert share.trials_per_gpu() == 8
    assert share.out_of_memory(1 / 8) is True and share.trials_per_gpu() == 7 and share.fraction == 0.1428
    assert share.out_of_memory(1 / 8) is True and share.trials_per_gpu() == 7  # another trial of the same packing
    share.measured(peak_bytes=1 * GIB, gpu_bytes=80 * GIB)  # a smaller peak never lifts the ceiling
    assert share.trials_per_gpu() == 7
    alone = GpuShare()
    alone.measured(peak_bytes=50 * GIB, gpu_bytes=80 * GIB)
    assert alone.out_of_memory(1.0) is False and alone.fraction == 1.0
    first = GpuShare()  # submitted with a whole GPU before any trial was measured, it ran out of memory alone
    first.measured(peak_bytes=4 * GIB, gpu_bytes=80 * GIB)  # while a small trial's peak allows many per GPU
    assert first.out_of_memory(1.0) is False and first.trials_per_gpu() == 16  # failed, not retried; no collapse


def test_ray_places_as_many_trials_as_the_share_says_and_an_out_of_memory_lowers_it() -> None:
    """Ray counts resources in steps of 1/10000, rounded, and a fraction of a GPU within one GPU: the share is
    the step that places the count packing allows (one fewer where no step does, never more)."""
    assert 1.0 // 0.2 == 4.0 and ray_fits(1.0, 0.2, per_device=True) == 5  # floating point: one trial fewer
    assert ray_fits(1.0, 1 / 7, per_device=True) == 6 and ray_fits(16.0, 1.0) == 16 and ray_fits(0.5, 1.0) == 0
    assert ray_fits(16.0, 0.3) == 53 and ray_fits(16.0, 0.3, per_device=True) == 48  # CPUs pool; GPUs do not
    for trials in range(1, 151):
        share = GpuShare()
        share.measured(peak_bytes=GIB, gpu_bytes=int(trials * GIB * (1 + MEMORY_MARGIN)) + 1)
        assert share.trials_per_gpu() == trials
        placed = ray_fits(1.0, share.fraction, per_device=True)
        assert placed == trials if trials < 100 else trials * 0.97 <= placed <= trials, trials
        assert ray_fits(3.0, share.fraction, per_device=True) == 3 * placed
        if trials > 1:  # a trial that ran out of memory beside the others: one fewer per GPU from now on
            assert share.out_of_memory(share.fraction) is True
            assert ray_fits(1.0, share.fraction, per_device=True) < placed, trials


def test_cuda_running_out_of_memory_is_told_from_other_failures() -> None:
    """The texts torch's allocator, CUDA itself and cuBLAS give when a GPU is full; other CUDA errors are failures."""
    assert is_out_of_memory("OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB\n\nTraceback ...")
    assert is_out_of_memory("AcceleratorError: CUDA error: out of memory\nCUDA kernel errors might be ...")
    assert is_out_of_memory("RuntimeError: CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`")
    assert not is_out_of_memory("AcceleratorError: CUDA error: device-side assert triggered")
    assert not is_out_of_memory("ValueError: the loss is NaN")
    assert leaves_cuda_unusable("AcceleratorError: CUDA error: device-side assert triggered")
    assert not leaves_cuda_unusable("AcceleratorError: CUDA error: out of memory")  # requeued, not a broken worker
    assert not leaves_cuda_unusable("ValueError: the loss is NaN")
