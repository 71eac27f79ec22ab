"""Processes forked from a server that imported flair once, for the tests that start a search, SIGKILL it and start
it again many times: a fresh interpreter would pay flair's import (about 6 s here) at every start. A forked
process shares nothing with the one killed before it but the imported modules, as a new interpreter would."""

from __future__ import annotations

import multiprocessing
from multiprocessing.process import BaseProcess
from typing import Any, Callable

PRELOADED = ["flair", "flair_hpo", "flair_hpo.testing.fake_executor"]


def start(target: Callable[..., Any], *args: Any) -> BaseProcess:
    """``target(*args)`` in a process forked from the server (started with the first call); ``exitcode`` is 0 when
    it returned, 1 when it raised, -9 when it was SIGKILLed."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    process = context.Process(target=target, args=args)
    process.start()
    return process


def run(target: Callable[..., Any], *args: Any) -> int:
    """``target(*args)`` to its end in a forked process; its exit code."""
    process = start(target, *args)
    process.join()
    assert process.exitcode is not None
    return process.exitcode
