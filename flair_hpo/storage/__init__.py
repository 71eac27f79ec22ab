"""What a search keeps on disk: the journal with its ask/tell event log, the trials table, the base_path lock."""

from flair_hpo.storage.base_path import LOCK_NAME, check_base_path, exclusive_use, prepare_base_path
from flair_hpo.storage.journal import JOURNAL_NAME, Event, Journal
from flair_hpo.storage.records import RunRecord, SearchResult, State, TrialRecord

__all__ = [
    "JOURNAL_NAME",
    "LOCK_NAME",
    "Event",
    "Journal",
    "RunRecord",
    "SearchResult",
    "State",
    "TrialRecord",
    "exclusive_use",
    "check_base_path",
    "prepare_base_path",
]
