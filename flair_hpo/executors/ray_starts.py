"""When Ray tasks begin: each task tells one actor as it starts, and the driver times ``trial_timeout`` from the
moment it first hears of it, on its own clock. A task waiting for cluster resources is not timed yet, and no two
machines' clocks are compared."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any, Optional


class StartBoard:
    """The actor: the tokens of the tasks that began since the driver last asked."""

    def __init__(self) -> None:
        self._begun: list[int] = []

    def begun(self, token: int) -> None:
        self._begun.append(token)

    def take(self) -> list[int]:
        taken, self._begun = self._begun, []
        return taken


class StartTimes:
    """The driver's side: when each task was first heard to have begun (again, after Ray retried it)."""

    def __init__(self, ray: Any) -> None:
        self._ray = ray
        self.board = ray.remote(StartBoard).options(num_cpus=0).remote()
        self._since: dict[int, float] = {}

    def update(self, running: Collection[int]) -> None:
        """Hear which of the running tasks began, and forget the tasks that no longer run."""
        now = time.monotonic()
        self._since = {token: since for token, since in self._since.items() if token in running}
        for token in self._ray.get(self.board.take.remote()):
            if token in running:
                self._since[token] = now

    def running_for(self, token: int) -> Optional[float]:
        """Seconds since the task began; None while it waits to begin."""
        since = self._since.get(token)
        return None if since is None else time.monotonic() - since
