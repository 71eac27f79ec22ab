"""Opening a search's journal, checking it belongs to this search, and replaying its asks and tells.

Replaying the event log in order puts a fresh strategy (same space and seed) into the state it had when
the search stopped: the same points asked, the same results told in the same order, and the same trials
pending. A pending trial was asked and not finished; it runs again with its journalled point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from flair_hpo.errors import JournalMismatchError
from flair_hpo.storage import JOURNAL_NAME, Journal, State, TrialRecord
from flair_hpo.strategies import SearchStrategy

FORMAT_KEY = "journal_format"
CORPUS_KEY = "corpus"
JOURNAL_FORMAT = 3
FORMAT_CHANGES = {  # format -> what the format before it did otherwise (why its points may not be proposed now)
    2: "stepped ranges and whole-number parameters gave other points",
    3: "strategies never proposed again a configuration an early-stopping rule had stopped",
}


def open_journal(base_path: Path, fingerprint: dict[str, Any], strategy: SearchStrategy) -> Journal:
    """The journal in ``base_path``, new or written by this same search (``fingerprint`` says what must match).
    A strategy created without a seed adopts the journal's."""
    journal = Journal(base_path / JOURNAL_NAME)
    recorded = journal.metadata()
    if not recorded:
        journal.set_metadata({**fingerprint, "seed": strategy.seed, FORMAT_KEY: JOURNAL_FORMAT})
        return journal
    differing = sorted(key for key, value in fingerprint.items() if key in recorded and recorded[key] != value)
    if differing:
        journal.close()
        details = "; ".join(_difference(key, recorded[key], fingerprint[key]) for key in differing)
        raise JournalMismatchError(
            f"{base_path} holds a search whose {', '.join(differing)} {'differs' if len(differing) == 1 else 'differ'} "
            f"from this one: {details}. Resume it "
            "unchanged, or start this search in a new base_path (--output on the command line)."
        )
    journal.set_metadata({key: value for key, value in fingerprint.items() if key not in recorded})
    if recorded["seed"] != strategy.seed:
        if strategy.seed_given:
            journal.close()
            raise JournalMismatchError(
                f"{base_path} holds a search with seed {recorded['seed']}, not {strategy.seed}: resume it with seed "
                f"{recorded['seed']} (or no seed, which adopts the journal's), or start this search in a new base_path."
            )
        strategy.reseed(recorded["seed"])
    return journal


def _difference(key: str, journalled: Any, now: Any) -> str:
    """What differs in one entry of a fingerprint, in words."""
    if key == CORPUS_KEY:
        return (
            "the corpus's training or dev sentences or their labels are not those journalled (a corpus downsampled "
            "without a fixed random_seed is another sample each time, and so is the dev data flair samples for a "
            "dataset without it, such as TREC_6(): load that with sample_missing_splits=False and the search splits "
            "dev data off by its seed; a CoNLL folder's search journalled while its -DOCSTART- lines were read as "
            "sentences, before flair-hpo left them out, is another corpus too)"
        )
    if isinstance(journalled, dict) and isinstance(now, dict):
        changed = [
            f"{entry} is {journalled.get(entry, '(absent)')} in the journal, {now.get(entry, '(absent)')} now"
            for entry in sorted(set(journalled) | set(now))
            if journalled.get(entry) != now.get(entry)
        ]
        return f"{key}: " + ", ".join(changed)
    return f"{key} is {journalled!r} in the journal, {now!r} now"


def journalled_seed(base_path: Path) -> Optional[int]:
    """The seed of the search journalled in ``base_path``; None where there is none."""
    if not (base_path / JOURNAL_NAME).exists():
        return None
    journal = Journal(base_path / JOURNAL_NAME, read_only=True)
    try:
        return journal.metadata().get("seed")
    finally:
        journal.close()


@dataclass
class Replayed:
    """What the journal held: trials told to the strategy (in the order told), and trials still pending."""

    told: list[TrialRecord]
    pending: list[TrialRecord]


def replay(
    journal: Journal, strategy: SearchStrategy, on_tell: Optional[Callable[[TrialRecord], None]] = None
) -> Replayed:
    """Ask and tell ``strategy`` exactly as the journal's event log says, checking every point it proposes."""
    trials = {trial.number: trial for trial in journal.trials()}
    pending: list[int] = []
    told: list[TrialRecord] = []
    for event in journal.events():
        if event.kind == "ask":
            suggestion = strategy.ask()
            if suggestion is None or (suggestion.trial_id, suggestion.point) != (event.trial, event.point):
                raise JournalMismatchError(
                    f"{journal.path.parent} holds trial {event.trial} at {event.point}, which this strategy and seed do "
                    f"not propose there; {_how_to_resume(journal)}"
                )
            if tuple(pending) != event.pending:
                raise JournalMismatchError(
                    f"{journal.path} is inconsistent: trials {list(event.pending)} were pending when trial {event.trial} "
                    f"was asked, but its events leave {pending} pending."
                )
            pending.append(event.trial)
        else:
            strategy.tell(event.trial, event.objective, trials[event.trial].state is State.STOPPED_EARLY)
            pending.remove(event.trial)
            told.append(trials[event.trial])
            if on_tell is not None:
                on_tell(trials[event.trial])
    journal.set_metadata({FORMAT_KEY: JOURNAL_FORMAT})  # every point it holds is one this version proposes
    return Replayed(told, [trials[number] for number in pending])


def _how_to_resume(journal: Journal) -> str:
    written_by = journal.metadata().get(FORMAT_KEY, 1)
    if written_by > JOURNAL_FORMAT:
        return (
            f"the journal was written by a later version of flair-hpo (journal format {written_by}, this one reads "
            f"{JOURNAL_FORMAT}): resume it with that version, or start this search in a new base_path."
        )
    if written_by < JOURNAL_FORMAT:
        changes = "; ".join(FORMAT_CHANGES[version] for version in range(written_by + 1, JOURNAL_FORMAT + 1))
        return (
            f"the journal was written by an earlier version of flair-hpo (journal format {written_by}, now "
            f"{JOURNAL_FORMAT}), in which {changes}: start this search in a new base_path."
        )
    return "resume with the same space, strategy and seed, or use a new base_path."
