"""What this machine offers trials: free memory per GPU and CPU cores; and which failures mean a GPU was full."""

from __future__ import annotations

import os


def gpu_free_bytes() -> dict[str, int]:
    """Free memory of every visible GPU (``cuda:0`` ...); empty without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return {}
    return {f"cuda:{index}": int(torch.cuda.mem_get_info(index)[0]) for index in range(torch.cuda.device_count())}


def cpu_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


OUT_OF_MEMORY_MESSAGES = (
    "CUDA out of memory",  # torch's caching allocator (torch.OutOfMemoryError)
    "CUDA error: out of memory",  # CUDA itself, e.g. a context created on a full GPU (torch.AcceleratorError)
    "CUBLAS_STATUS_ALLOC_FAILED",  # cuBLAS could not allocate its workspace
)


def is_out_of_memory(error: str) -> bool:
    """Whether a failed run's error (``Type: message`` and traceback) is CUDA running out of memory."""
    return error.startswith("OutOfMemoryError") or any(text in error for text in OUT_OF_MEMORY_MESSAGES)


def leaves_cuda_unusable(error: str) -> bool:
    """Whether a failed run's error is a CUDA error after which its process cannot use the GPU again (a
    device-side assert, an illegal memory access: CUDA keeps the error for the process's life)."""
    return "CUDA error" in error and not is_out_of_memory(error)
