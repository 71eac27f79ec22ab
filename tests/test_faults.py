"""Faults survived: SIGKILL at random moments, two searches on one base_path, a crash inside a journal write."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import weakref
from pathlib import Path

import fault_search
import parallel_fake_search
import preloaded
import pytest
from folder_lock import another_thread_takes

from flair_hpo.errors import SearchInProgressError
from flair_hpo.storage import JOURNAL_NAME, Journal, RunRecord, State, TrialRecord, exclusive_use
from flair_hpo.training.ctrl_c import (
    Terminated,
    ctrl_c_exits,
    ctrl_c_noted,
    second_ctrl_c_exits,
    sigterm_stops,
)


def _finished(base_path: Path) -> dict[int, tuple]:
    if not (base_path / JOURNAL_NAME).exists():
        return {}
    journal = Journal(base_path / JOURNAL_NAME, read_only=True)
    try:
        return {t.number: (t.point, t.score) for t in journal.trials() if t.state.finished}
    except sqlite3.OperationalError:  # killed after creating the file, before its tables: nothing finished yet
        return {}
    finally:
        journal.close()


def _lines_starting(events: Path, word: str) -> list[str]:
    return (
        [line.split()[1] for line in events.read_text().splitlines() if line.startswith(word)]
        if events.exists()
        else []
    )


def test_a_search_killed_at_random_moments_resumes_without_losing_or_repeating_a_trial(flair_cache, tmp_path) -> None:
    assert preloaded.run(fault_search.main, tmp_path / "uninterrupted", flair_cache, tmp_path / "events-0") == 0
    uninterrupted = _finished(tmp_path / "uninterrupted")

    base, events = tmp_path / "killed", tmp_path / "events"
    delays = random.Random(7)
    seen: dict[int, tuple] = {}
    for kill in (True, True, True, False):  # killed at a random moment after a trial starts, then left to finish
        started = len(_lines_starting(events, "start"))
        process = preloaded.start(fault_search.main, base, flair_cache, events)
        if kill:
            while process.is_alive() and len(_lines_starting(events, "start")) == started:
                time.sleep(0.05)
            time.sleep(delays.uniform(0.0, 1.0))  # inside a trial's training, its journal writes or the next trial
            process.kill()
        process.join()
        now = _finished(base)
        assert all(now.get(number) == record for number, record in seen.items())  # nothing finished is lost
        seen = now
    assert process.exitcode == 0

    ended = _lines_starting(events, "end")
    assert len(ended) == len(set(ended)) and set(ended) <= {str(n) for n in range(fault_search.TRIALS)}  # none twice
    assert sorted(seen) == sorted(uninterrupted) == list(range(fault_search.TRIALS))
    assert [seen[n][0] for n in sorted(seen)] == [uninterrupted[n][0] for n in sorted(seen)]
    assert [seen[n][1] for n in sorted(seen)] == pytest.approx([uninterrupted[n][1] for n in sorted(seen)])


def test_a_second_search_on_the_same_base_path_is_refused_and_the_journal_stays_intact(tmp_path) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    journal.save_trial(TrialRecord(0, {"a": 1}, {"a": "1"}, State.COMPLETED, score=0.5))
    journal.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from flair_hpo.storage import exclusive_use\n"
         "with exclusive_use(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(
                SearchInProgressError, match=rf"another search is running in {tmp_path} \(process {holder.pid}\)"
            ),
            exclusive_use(tmp_path),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    with exclusive_use(tmp_path):  # the lock died with its process
        pass
    assert [t.score for t in Journal(tmp_path / JOURNAL_NAME, read_only=True).trials()] == [0.5]


CRASH_IN_WRITE = """
import os, sys
from pathlib import Path
from flair_hpo.storage import Journal
from flair_hpo.storage import RunRecord, State, TrialRecord

class CrashAfterExecute:
    def __init__(self, connection): self.connection = connection
    def __enter__(self): return self.connection.__enter__()
    def __exit__(self, *exc): return self.connection.__exit__(*exc)
    def execute(self, *args):
        self.connection.execute(*args)
        os._exit(9)  # the row is written, the transaction not committed

journal = Journal(Path(sys.argv[1]))
journal.save_trial(TrialRecord(0, {"a": 1}, {"a": "1"}, State.COMPLETED, score=0.5))
journal._connection = CrashAfterExecute(journal._connection)
journal.save_trial(TrialRecord(1, {"a": 2}, {"a": "2"}, State.COMPLETED, score=0.9))
"""

WRITE_FOREVER = """
import sys
from pathlib import Path
from flair_hpo.storage import Journal
from flair_hpo.storage import RunRecord, State, TrialRecord

journal = Journal(Path(sys.argv[1]))
number = 0
while True:
    trial = TrialRecord(number, {"a": number}, {"a": str(number)}, State.COMPLETED, score=number / 1e6)
    journal.save_trial(trial)
    journal.save_run(number, RunRecord(0, State.COMPLETED, [0.1] * 50, [0.2] * 50, score=0.1))
    number += 1
"""


def test_a_thread_holding_the_base_path_holds_it_again_and_the_lock_goes_with_the_last_hold(tmp_path) -> None:
    """A command holds its search's folder around the search's own hold and beyond it; another thread (as
    another command would) is refused until the last hold ends, whichever ends first."""
    search, command = exclusive_use(tmp_path), exclusive_use(tmp_path)
    search.__enter__()
    command.__enter__()
    search.__exit__(None, None, None)  # the search ends first; the command still holds the folder
    assert another_thread_takes(tmp_path) == "refused"
    command.__exit__(None, None, None)
    assert another_thread_takes(tmp_path) == "taken"


def test_the_journal_survives_a_crash_in_the_middle_of_a_write(tmp_path) -> None:
    path = tmp_path / JOURNAL_NAME
    assert subprocess.run([sys.executable, "-c", CRASH_IN_WRITE, str(path)]).returncode == 9
    trials = Journal(path, read_only=True).trials()
    assert [(t.number, t.score) for t in trials] == [(0, 0.5)]  # the uncommitted trial left no trace

    busy = tmp_path / "busy.sqlite"
    writer = subprocess.Popen([sys.executable, "-c", WRITE_FOREVER, str(busy)])
    time.sleep(6)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    with sqlite3.connect(busy) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    trials = Journal(busy, read_only=True).trials()
    assert len(trials) > 10
    assert all(t.score == t.number / 1e6 for t in trials)
    assert all(len(t.runs) == 1 and len(t.runs[0].dev_scores) == 50 for t in trials[:-1])  # the last may lack its run


def test_a_journal_whose_writer_was_killed_while_creating_its_tables_reads_as_empty_and_is_completed(
    tmp_path,
) -> None:
    """A search killed between creating the journal's file and its last table (the tables of older versions were
    created one statement at a time) left nothing else: readers see an empty journal, the next writer completes it."""
    path = tmp_path / JOURNAL_NAME
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE study (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    reader = Journal(path, read_only=True)
    assert (reader.metadata(), reader.trials(), reader.events()) == ({}, [], [])
    reader.close()
    (tmp_path / "empty.sqlite").touch()  # killed right after the file was created
    assert Journal(tmp_path / "empty.sqlite", read_only=True).trials() == []
    journal = Journal(path)
    journal.save_trial(TrialRecord(0, {"a": 1}, {"a": "1"}, State.COMPLETED, score=0.1))
    journal.save_run(0, RunRecord(0, State.COMPLETED, [0.1], [0.2], score=0.1))
    assert [run.score for run in Journal(path, read_only=True).trials()[0].runs] == [0.1]


def test_a_journal_written_before_runs_recorded_their_node_is_read_and_extended(tmp_path) -> None:
    path = tmp_path / JOURNAL_NAME
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE study (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE trials (number INTEGER PRIMARY KEY, point TEXT NOT NULL, parameters TEXT NOT NULL,"
            " state TEXT NOT NULL, score REAL, score_std REAL, objective REAL, test_score REAL, duration REAL, error TEXT);"
            "CREATE TABLE runs (trial INTEGER NOT NULL, run INTEGER NOT NULL, state TEXT NOT NULL, dev_scores TEXT NOT NULL,"
            " dev_losses TEXT NOT NULL, score REAL, test_score REAL, duration REAL, error TEXT, PRIMARY KEY (trial, run));"
            "INSERT INTO trials VALUES (0, '{\"a\": 1}', '{\"a\": \"1\"}', 'completed', 0.5, 0.0, 0.5, NULL, 1.0, NULL);"
            "INSERT INTO runs VALUES (0, 0, 'completed', '[0.5]', '[1.0]', 0.5, NULL, 1.0, NULL);"
        )
    assert Journal(path, read_only=True).trials()[0].runs[0].node is None
    journal = Journal(path)
    journal.save_run(1, RunRecord(0, State.COMPLETED, [0.1], [0.2], score=0.1))
    assert [t.runs[0].score for t in [journal.trials()[0]]] == [0.5]
    journal.close()


def _told_in_order(base_path: Path) -> list[int]:
    journal = Journal(base_path / JOURNAL_NAME, read_only=True)
    try:
        return [event.trial for event in journal.events() if event.kind == "tell"]
    finally:
        journal.close()


def test_parallel_searches_killed_at_random_moments_resume_exactly(tmp_path) -> None:
    """Grid, random, TPE and evolutionary search, two trials at a time with very different costs (so they
    finish out of order): SIGKILL at random moments, resume, repeat; compare with uninterrupted searches."""
    killed, log = tmp_path / "killed", tmp_path / "log"
    assert preloaded.run(parallel_fake_search.search_all, tmp_path / "whole", tmp_path / "whole-log", 0.0) == 0
    delays = random.Random(11)
    kills, seen = 0, {name: {} for name in parallel_fake_search.STRATEGIES}
    for _ in range(30):
        lines_before = len(log.read_text().splitlines()) if log.exists() else 0
        process = preloaded.start(parallel_fake_search.search_all, killed, log, 0.05)
        while process.is_alive() and (not log.exists() or len(log.read_text().splitlines()) == lines_before):
            time.sleep(0.02)  # until the first search has started: then kill somewhere within the searches
        process.join(timeout=delays.uniform(0.0, 2.0))
        if process.is_alive():
            process.kill()
            process.join()
            kills += 1
        for name in parallel_fake_search.STRATEGIES:
            now = _finished(killed / name)
            assert all(now.get(n) == record for n, record in seen[name].items())  # nothing finished is lost
            seen[name] = now
        if process.exitcode == 0 or all(len(trials) == parallel_fake_search.TRIALS for trials in seen.values()):
            break
    assert preloaded.run(parallel_fake_search.search_all, killed, log, 0.05) == 0 and kills >= 2  # resumes to the end

    finished_at_start: dict[str, set[int]] = {}
    for line in log.read_text().splitlines():
        name, kind, value = (line.split(" ", 2) + [""])[:3]
        if kind == "start":
            finished_at_start[name] = {int(n) for n in value.split(",") if n}
        else:
            assert int(value) not in finished_at_start[name], f"{name}: trial {value} ran again after it finished"
    for name in parallel_fake_search.STRATEGIES:
        whole = _finished(tmp_path / "whole" / name)
        # the same points and scores
        assert sorted(whole) == list(range(parallel_fake_search.TRIALS)) and _finished(killed / name) == whole, name
        assert _told_in_order(killed / name) == _told_in_order(tmp_path / "whole" / name), name  # same order


@pytest.mark.parametrize("ignored", [False, True], ids=["ctrl-c-handled", "ctrl-c-ignored"])
def test_ctrl_c_is_noted_unless_the_process_ignores_it(ignored: bool) -> None:
    handler = signal.SIG_IGN if ignored else signal.default_int_handler
    previous = signal.signal(signal.SIGINT, handler)
    try:
        raised = False
        try:
            with ctrl_c_noted() as ctrl_c:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)  # the handler runs in the main thread at its next instruction
        except KeyboardInterrupt:
            raised = True
        assert ctrl_c.pressed is raised is not ignored
        assert signal.getsignal(signal.SIGINT) is handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_first_ctrl_c_interrupts_and_any_later_one_exits() -> None:
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as exited, second_ctrl_c_exits():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
        except KeyboardInterrupt:  # the first stops the search; its clean-up is under way
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
    assert exited.value.code == 130 and signal.getsignal(signal.SIGINT) is handler


def test_sigterm_is_noted_as_a_ctrl_c_only_where_it_is_made_to_stop_the_search() -> None:
    """Inside sigterm_stops, a SIGTERM caught on the way is raised again on leaving; elsewhere SIGTERM keeps its
    own handler."""
    default = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), sigterm_stops(), ctrl_c_noted() as ctrl_c:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)
        except Terminated:  # caught on the way
            pass
    assert isinstance(ctrl_c.raised, Terminated) and signal.getsignal(signal.SIGTERM) is default
    with ctrl_c_noted():
        assert signal.getsignal(signal.SIGTERM) is default


@pytest.mark.parametrize(
    ("watch", "raised"), [(ctrl_c_noted, KeyboardInterrupt), (ctrl_c_exits, SystemExit)], ids=["noted", "exits"]
)
def test_a_ctrl_c_swallowed_in_a_garbage_collector_callback_is_raised_on_leaving_not_printed(
    watch, raised, monkeypatch
) -> None:
    def callback(_: weakref.ref) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # what Ctrl-C raises is raised here, and Python only prints it

    class Model:
        pass

    printed: list[BaseException] = []  # what Python would print as "Exception ignored in ..."
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: printed.append(unraisable.exc_value))
    handler = signal.getsignal(signal.SIGINT)
    swallowed = False
    with pytest.raises(raised) as caught, watch():
        model = Model()
        reference = weakref.ref(model, callback)
        del model
        swallowed = True  # nothing reached this frame
    assert swallowed and reference() is None
    assert raised is KeyboardInterrupt or caught.value.code == 130
    assert signal.getsignal(signal.SIGINT) is handler and printed == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the lost one, printed
def test_a_ctrl_c_lost_in_a_garbage_collector_callback_stops_training_after_the_next_batch() -> None:
    """Python only prints what a weak reference's callback raises: the Ctrl-C is noted there, and the plugin
    raises it after the batch, where flair's trainer takes it as any Ctrl-C."""
    import weakref

    from flair_hpo.training.plugins import LostCtrlCPlugin

    class Model:
        pass

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), ctrl_c_noted() as ctrl_c:
            plugin = LostCtrlCPlugin(ctrl_c)
            plugin.check_ctrl_c()  # nothing pressed yet
            dropped = Model()
            weakref.finalize(dropped, lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(0.2)))
            del dropped  # the callback runs now; its KeyboardInterrupt is printed, not raised here
            assert ctrl_c.pressed
            with pytest.raises(KeyboardInterrupt):
                plugin.check_ctrl_c()
    finally:
        signal.signal(signal.SIGINT, previous)
