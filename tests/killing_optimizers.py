"""Optimizers that end or stall the worker process training with them (imported by local worker processes by name)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import torch


class SelfKillingSGD(torch.optim.SGD):
    """SIGKILLs the process that builds it: a worker dying mid-trial."""

    def __init__(self, *args, **kwargs) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class SleepingSGD(torch.optim.SGD):
    """Leaves its process id in the folder named by ``FLAIR_HPO_TEST_SLEEPERS``, then sleeps two minutes: a worker
    stuck in a long step that sends the search nothing."""

    def __init__(self, *args, **kwargs) -> None:
        (Path(os.environ["FLAIR_HPO_TEST_SLEEPERS"]) / str(os.getpid())).touch()
        time.sleep(120)
        super().__init__(*args, **kwargs)
