"""Ctrl-C noted where it would otherwise be lost.

flair's trainer catches the ``KeyboardInterrupt`` of a Ctrl-C and returns as if training had ended, and an
exception raised inside a garbage-collector callback (a weak reference's, during ``gc.collect()``) is only
printed. Inside :func:`ctrl_c_noted`, what Ctrl-C raised is kept, not printed, and raised again where it was lost; inside
:func:`ctrl_c_exits`, Ctrl-C exits, and inside :func:`second_ctrl_c_exits` every Ctrl-C after the first. Inside
:func:`sigterm_stops`, SIGTERM (a batch scheduler ending a job)
raises :class:`Terminated`, which stops a search as a Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any, Optional


class Terminated(BaseException):
    """SIGTERM: stop the search as Ctrl-C does, but at once. Not a ``KeyboardInterrupt``, which flair's trainer
    catches to save and test the model it was training."""


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


def _handler_to_follow(signum: int) -> Any:
    """The signal's handler now, or None where it is not ours to note: outside the main thread (which alone
    receives signals), where Ctrl-C is not Python's or is ignored (a command started in the background by a
    shell), and where SIGTERM does not raise (only :func:`sigterm_stops` makes it)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    handler = signal.getsignal(signum)
    if signum == signal.SIGTERM:
        return handler if callable(handler) else None
    return None if handler == signal.SIG_IGN else handler


@contextlib.contextmanager
def _handled_by(signum: int, handler: Any) -> Iterator[None]:
    """The signal goes to ``handler`` while inside."""
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)


@contextlib.contextmanager
def ctrl_c_noted() -> Iterator[CtrlC]:
    """Note what Ctrl-C (or SIGTERM inside :func:`sigterm_stops`) raises while inside (the previous handler's
    exception, or ``KeyboardInterrupt``), and raise it on leaving if it was caught on the way. A process that
    ignores Ctrl-C keeps ignoring it."""
    ctrl_c = CtrlC()
    followed: dict[int, Any] = {
        signum: handler
        for signum in (signal.SIGINT, signal.SIGTERM)
        if (handler := _handler_to_follow(signum)) is not None
    }

    def note(signum: int, frame: Any) -> None:
        previous = followed[signum]
        try:
            if not callable(previous):
                raise KeyboardInterrupt
            previous(signum, frame)
        except BaseException as raised:
            ctrl_c.raised = raised
            raise

    with contextlib.ExitStack() as handled:
        for signum in followed:
            handled.enter_context(_handled_by(signum, note))
        if followed:  # nothing is noted where Ctrl-C and SIGTERM are not followed (outside the main thread)
            handled.enter_context(_not_printed_when_noted(ctrl_c))
        yield ctrl_c
    ctrl_c.check()


@contextlib.contextmanager
def _not_printed_when_noted(ctrl_c: CtrlC) -> Iterator[None]:
    """Python prints what a garbage-collector callback raised ("Exception ignored in ..."): not the noted
    Ctrl-C, which is raised again on leaving."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if ctrl_c.raised is None or unraisable.exc_value is not ctrl_c.raised:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


@contextlib.contextmanager
def ctrl_c_exits(status: int = 130) -> Iterator[None]:
    """Ctrl-C exits with ``status`` (``SystemExit``), even where that was caught on the way."""
    if _handler_to_follow(signal.SIGINT) is None:
        yield
        return

    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(status)

    with _handled_by(signal.SIGINT, leave), ctrl_c_noted():
        yield


@contextlib.contextmanager
def second_ctrl_c_exits(status: int = 130) -> Iterator[None]:
    """The first Ctrl-C while inside interrupts as usual (``KeyboardInterrupt``); any later one exits with
    ``status`` (``SystemExit``), however far the first one's clean-up has got."""
    if _handler_to_follow(signal.SIGINT) is None:
        yield
        return
    pressed = False

    def interrupt_then_exit(signum: int, frame: Any) -> None:
        nonlocal pressed
        if pressed:
            raise SystemExit(status)
        pressed = True
        raise KeyboardInterrupt

    with _handled_by(signal.SIGINT, interrupt_then_exit):
        yield


@contextlib.contextmanager
def sigterm_stops() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while inside (in the main thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise Terminated

    with _handled_by(signal.SIGTERM, stop):
        yield
