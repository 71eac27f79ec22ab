"""Ctrl-C noted where it would otherwise be lost.

flair's trainer catches the ``KeyboardInterrupt`` of a Ctrl-C and returns as if training had ended, and an
exception raised inside a garbage-collector callback (a weak reference's, during ``gc.collect()``) is only
printed. Inside :func:`ctrl_c_noted`, what Ctrl-C raised is kept and raised again where it was lost; inside
:func:`ctrl_c_exits`, Ctrl-C exits.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any, Optional


class CtrlC:
    """What Ctrl-C raised while its watch was on (``KeyboardInterrupt``, or a previous handler's exception)."""

    def __init__(self) -> None:
        self.raised: Optional[BaseException] = None

    @property
    def pressed(self) -> bool:
        return self.raised is not None

    def check(self) -> None:
        """Raise what Ctrl-C raised, if it was pressed, even if that was caught on the way."""
        if self.raised is not None:
            raise self.raised.with_traceback(None)


def _handler_to_follow() -> Any:
    """Ctrl-C's handler now, or None where it is not ours to change: outside the main thread (which alone
    receives signals), where it is not Python's, or where the process ignores Ctrl-C (a command started in
    the background by a shell)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    handler = signal.getsignal(signal.SIGINT)
    return None if handler == signal.SIG_IGN else handler


@contextlib.contextmanager
def _handled_by(handler: Any) -> Iterator[None]:
    """Ctrl-C goes to ``handler`` while inside."""
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def ctrl_c_noted() -> Iterator[CtrlC]:
    """Note what Ctrl-C raises while inside (the previous handler's exception, or ``KeyboardInterrupt``), and
    raise it on leaving if it was caught on the way. A process that ignores Ctrl-C keeps ignoring it."""
    ctrl_c = CtrlC()
    previous = _handler_to_follow()
    if previous is None:
        yield ctrl_c
        return

    def note(signum: int, frame: Any) -> None:
        try:
            if not callable(previous):
                raise KeyboardInterrupt
            previous(signum, frame)
        except BaseException as raised:
            ctrl_c.raised = raised
            raise

    with _handled_by(note):
        yield ctrl_c
    ctrl_c.check()


@contextlib.contextmanager
def ctrl_c_exits(status: int = 130) -> Iterator[None]:
    """Ctrl-C exits with ``status`` (``SystemExit``), even where that was caught on the way."""
    if _handler_to_follow() is None:
        yield
        return

    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(status)

    with _handled_by(leave), ctrl_c_noted():
        yield
