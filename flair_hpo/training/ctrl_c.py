"""Ctrl-C noted where it would otherwise be lost.

flair's trainer catches the ``KeyboardInterrupt`` of a Ctrl-C and returns as if training had ended, and one
raised inside a garbage-collector callback (a weak reference's, during ``gc.collect()``) is only printed.
Code that holds a :class:`CtrlC` asks it afterwards whether Ctrl-C was pressed.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


class CtrlC:
    """Whether Ctrl-C was pressed while its watch was on."""

    def __init__(self) -> None:
        self.pressed = False

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed, even if its first one was caught on the way."""
        if self.pressed:
            raise KeyboardInterrupt


@contextlib.contextmanager
def ctrl_c_noted() -> Iterator[CtrlC]:
    """Note Ctrl-C while inside, then act as before (the previous handler, or ``KeyboardInterrupt``). Only the
    main thread receives signals; a process that ignores Ctrl-C (started in the background by a shell) keeps
    ignoring it."""
    ctrl_c = CtrlC()
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if previous is None or previous == signal.SIG_IGN:
        yield ctrl_c
        return

    def note(signum: int, frame: Any) -> None:
        ctrl_c.pressed = True
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield ctrl_c
    finally:
        signal.signal(signal.SIGINT, previous)
