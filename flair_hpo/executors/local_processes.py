"""The local executor's worker processes: fresh interpreters (``python -m flair_hpo.executors.local_worker``)
that connect back over a Unix socket with a secret key and receive the search's set-up; replaced when one
dies or overruns, stopped with the search."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any, Optional

from flair_hpo.executors.base import TrialJob
from flair_hpo.executors.local_worker import KEY_VARIABLE
from flair_hpo.storage import RunRecord

START_SECONDS = 120.0  # for a worker process to start and connect (before it imports flair)


@dataclass
class Worker:
    """A worker process and what it is doing for the executor."""

    process: subprocess.Popen[bytes]
    connection: Connection
    received: set[int] = field(default_factory=set)  # shared objects it holds
    job: Optional[TrialJob] = None
    rule: Any = None
    started: Optional[float] = None  # when its trial began training (after the worker's imports)
    attempts: int = 0
    reported: list[RunRecord] = field(default_factory=list)
    device: Optional[str] = None  # where its trial trains, when the executor packs trials ("auto")
    out_of_memory: Optional[RunRecord] = None  # its trial's run that ran out of GPU memory, held back


class WorkerProcesses:
    """Starts workers that each receive ``setup`` (pickled) as soon as they connect, with ``threads`` threads
    for torch and the libraries beside it (tokenizers, OpenMP, MKL); replaces and stops them."""

    def __init__(self, setup: bytes, threads: int) -> None:
        self.setup, self.threads = setup, threads
        self._key = secrets.token_bytes(32)
        self.folder = Path(tempfile.mkdtemp(prefix="flair-hpo-workers-"))
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(START_SECONDS)  # the listener's accept gives up after this
        try:
            self.listener = Listener(str(self.folder / "socket"), family="AF_UNIX", authkey=self._key)
        finally:
            socket.setdefaulttimeout(previous)

    def start(self, count: int) -> list[Worker]:
        """Start ``count`` workers together (their imports overlap) and wait until each has connected and
        received the set-up."""
        threads = str(self.threads)
        limits = {"TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        search_path = os.pathsep.join(os.path.abspath(entry) for entry in sys.path)  # "" is the working folder
        environment = {**limits, **os.environ, "PYTHONPATH": search_path, KEY_VARIABLE: self._key.hex()}
        command = [
            sys.executable,
            "-m",
            "flair_hpo.executors.local_worker",
            str(self.listener.address),
            str(os.getpid()),
        ]
        processes = {}
        for _ in range(count):
            process = subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL)
            processes[process.pid] = process
        workers: list[Worker] = []
        try:
            while len(workers) < count:
                connection = self.listener.accept()
                _, pid = connection.recv()
                connection.send_bytes(self.setup)  # read before the worker imports flair: this does not wait
                workers.append(Worker(processes[pid], connection))
        except OSError as error:  # a timeout included
            for process in processes.values():
                process.kill()
            raise RuntimeError(f"local worker processes did not start within {START_SECONDS:.0f} s: {error}") from None
        return workers

    def replace(self, worker: Worker) -> Worker:
        """Kill a worker; a fresh one for its place."""
        worker.process.kill()
        worker.process.wait()
        worker.connection.close()
        return self.start(1)[0]

    def stop(self, workers: list[Worker]) -> None:
        """Idle workers are told to stop, busy ones killed; then the listener and its folder go, even if
        waiting for the workers was interrupted."""
        try:
            for worker in workers:
                try:
                    if worker.job is None:
                        worker.connection.send(("stop",))
                    else:
                        worker.process.kill()
                except OSError:
                    worker.process.kill()
            for worker in workers:
                try:
                    worker.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
                    worker.process.wait()
                worker.connection.close()
        finally:
            self.listener.close()  # removes its socket file
            shutil.rmtree(self.folder, ignore_errors=True)
