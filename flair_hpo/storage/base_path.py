"""A search's folder: proved writable before anything runs, and held by one search at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Union

from flair_hpo.errors import ConfigurationError, SearchInProgressError

LOCK_NAME = ".search.lock"


def check_base_path(base_path: Union[str, Path]) -> Path:
    """Say why ``base_path`` could not be created and written, creating nothing: a bad request is refused
    without leaving a folder behind."""
    path = Path(base_path)
    existing = next(folder for folder in (path, *path.parents) if folder.exists() or folder == folder.parent)
    if not existing.is_dir():
        raise ConfigurationError(f"base_path {str(path)!r} cannot be written: {str(existing)!r} is not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigurationError(f"base_path {str(path)!r} cannot be written: {str(existing)!r} is not writable.")
    return path


def prepare_base_path(base_path: Union[str, Path]) -> Path:
    """Create ``base_path`` and prove it writable, or say why it cannot be used."""
    path = Path(base_path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ConfigurationError(f"base_path {str(path)!r} cannot be written: {error.strerror or error}.") from None
    return path


_HELD: dict[tuple[Path, int], tuple[list[int], contextlib.ExitStack]] = {}  # (folder, thread) -> holds, the lock


@contextlib.contextmanager
def exclusive_use(base_path: Path) -> Iterator[None]:
    """Hold ``base_path`` for this process; another search already holding it is an error. A thread that
    holds it already holds it once more, and the lock goes when the last hold ends, in whatever order (a
    command keeps its search's folder until its final model is made). The operating system releases the
    lock when the process ends, however it ends."""
    key = (Path(base_path).resolve(), threading.get_ident())
    if key not in _HELD:
        lock = contextlib.ExitStack()
        lock.enter_context(_locked(base_path))
        _HELD[key] = ([0], lock)
    holds = _HELD[key][0]
    holds[0] += 1
    try:
        yield
    finally:
        holds[0] -= 1
        if holds[0] == 0:
            _HELD.pop(key)[1].close()


@contextlib.contextmanager
def _locked(base_path: Path) -> Iterator[None]:
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
