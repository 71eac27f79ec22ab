"""One search at a time per ``base_path``: an advisory lock held while a search runs."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from flair_hpo.errors import SearchInProgressError

LOCK_NAME = ".search.lock"


@contextlib.contextmanager
def exclusive_use(base_path: Path) -> Iterator[None]:
    """Hold ``base_path`` for this process; another search already holding it is an error.
    The operating system releases the lock when the process ends, however it ends."""
    path = base_path / LOCK_NAME
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise SearchInProgressError(
            f"another search is running in {base_path} (process {holder}); wait for it to end or use another base_path."
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
