"""Whether another thread, as another command would, can take a search's folder now."""

from __future__ import annotations

import threading
from pathlib import Path

from flair_hpo.errors import SearchInProgressError
from flair_hpo.storage import exclusive_use


def another_thread_takes(folder: Path) -> str:
    """``"taken"`` when a thread other than this one can hold ``folder``, ``"refused"`` when it is held."""
    outcome: list[str] = []

    def take() -> None:
        try:
            with exclusive_use(folder):
                outcome.append("taken")
        except SearchInProgressError:
            outcome.append("refused")

    thread = threading.Thread(target=take)
    thread.start()
    thread.join()
    return outcome[0]
