"""A worker process of the local executor: ``python -m flair_hpo.executors.local_worker ADDRESS SEARCH_PID``.

It connects back to the search's process (the authentication key comes in ``FLAIR_HPO_WORKER_KEY``),
receives the corpus and the settings once, then trains one trial after another, sending each run's record
as it ends. Early-stopping questions go to the search's process, which holds the rule. Started as a module
of its own, it never imports the user's script (as multiprocessing's spawn would).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
from multiprocessing.connection import Client, Connection
from typing import Any

KEY_VARIABLE = "FLAIR_HPO_WORKER_KEY"
PR_SET_PDEATHSIG = 1  # prctl(2)


class RuleOverConnection:
    """The search's early-stopping rule, asked over the worker's connection."""

    def __init__(self, connection: Connection, description: str) -> None:
        self.connection = connection
        self.description = description

    def report(self, trial: int, run: int, epoch: int, value: float) -> bool:
        self.connection.send(("report", trial, run, epoch, value))
        return bool(self.connection.recv())

    def __repr__(self) -> str:
        return self.description


def serve(connection: Connection) -> None:
    """Answer the search's messages until it says stop."""
    setup = connection.recv_bytes()  # at once, so that the search's process need not wait for the imports
    import flair
    import torch

    from flair_hpo.executors import corpus_pickling
    from flair_hpo.executors.base import execute
    from flair_hpo.executors.shared_objects import restore
    from flair_hpo.training.embedding_cache import EmbeddingCache
    from flair_hpo.training.frozen_heap import frozen_heap
    from flair_hpo.training.plugins import UsageReporter
    from flair_hpo.training.runner import TrialRunner, free_cuda_cache

    _, corpus, settings, quiet, cache_folder, threads = pickle.loads(setup)
    if threads:
        torch.set_num_threads(threads)
    cache = EmbeddingCache(cache_folder, memory_limit=0) if cache_folder is not None else None  # memory-mapped
    runner = TrialRunner(corpus_pickling.loads(corpus), settings, quiet, cache)
    objects: dict[int, Any] = {}
    with frozen_heap():  # the runner's collections after runs walk what the trials made
        while True:
            message = connection.recv()
            if message[0] == "stop":
                return
            if message[0] == "share":
                objects[message[1]] = pickle.loads(message[2])
                continue
            _, job, rule_description, device = message
            connection.send(("started",))  # trial_timeout counts from here, not from this worker's imports
            job.config = {key: restore(value, objects) for key, value in job.config.items()}
            rule = RuleOverConnection(connection, rule_description) if rule_description is not None else None
            if device is not None:  # chosen by the executor's packing; else flair's own choice
                flair.device = torch.device(device)
            if flair.device.type == "cuda" and torch.cuda.is_initialized():  # a worker's first trial starts at zero
                torch.cuda.reset_peak_memory_stats(flair.device)
            if device is not None and flair.device.type == "cuda":  # what names no GPU (cuBLAS's handle) uses it too
                torch.cuda.set_device(flair.device)

            def usage_reporter() -> list[Any]:
                return [UsageReporter(flair.device, lambda peak, cores: connection.send(("usage", peak, cores)))]

            records = execute(
                runner, job, rule, on_run=lambda record: connection.send(("run", record)), plugins=usage_reporter
            )
            if flair.device.type == "cuda":  # the next trial's peak counts its own memory, not this one's cache
                free_cuda_cache()
            connection.send(("done", records))


def die_with_the_search() -> None:
    """On Linux, have the kernel kill this worker when the search's process ends however it ends (SIGTERM,
    SIGKILL, a crash), so that no worker trains on for a search that is gone."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != int(sys.argv[2]):  # the search ended before the line above
            os._exit(1)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the search's to handle; it stops its workers
    die_with_the_search()
    link = Client(sys.argv[1], authkey=bytes.fromhex(os.environ[KEY_VARIABLE]))
    link.send(("hello", os.getpid()))
    serve(link)
