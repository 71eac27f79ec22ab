"""Per-trial callbacks: the hook for progress display and experiment trackers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from flair_hpo.storage.records import SearchResult, TrialRecord

if TYPE_CHECKING:
    from flair_hpo.search.settings import StudySettings


@dataclass(frozen=True)
class SearchContext:
    """What a callback knows about the search it observes."""

    base_path: Path
    settings: StudySettings
    strategy: str
    seed: int
    resumed_trials: int
    resumed_trained: Optional[int] = None  # of the resumed trials, those trained (not one refused for its size);
    # None: all of them


class SearchCallback:
    """Override any of these; each is called by the orchestrator, in the search's own process."""

    def on_search_start(self, context: SearchContext) -> None:
        """Before the first new trial (after a resumed search replayed its journal)."""

    def on_trial_start(self, trial: TrialRecord) -> None:
        """A trial's configuration is known and its training is about to start."""

    def on_trial_end(self, trial: TrialRecord, best: Optional[TrialRecord]) -> None:
        """A trial completed, failed or was stopped; ``best`` is the best completed trial so far."""

    def on_trial_rescored(self, trial: TrialRecord, best: Optional[TrialRecord]) -> None:
        """A finished trial was trained again with further seeds (a final selection): its score is now the mean
        of all its runs."""

    def on_search_end(self, result: SearchResult) -> None:
        """The search ended (budget, exhaustion or an interruption); outputs are written."""
