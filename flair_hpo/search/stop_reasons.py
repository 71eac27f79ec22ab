"""Why a search stops asking for trials: a budget used up, or every trial failing the same way."""

from __future__ import annotations

import logging
import re
import time
from typing import Optional

from flair_hpo.search.settings import StudySettings
from flair_hpo.storage import State, TrialRecord
from flair_hpo.strategies import SearchStrategy
from flair_hpo.training.model_size import ModelTooLarge

log = logging.getLogger("flair_hpo")

SAME_FAILURES_TO_STOP = 3
SIZE_REFUSALS_TO_STOP = 20  # a space where 2 configurations in 3 are too large starts so 1 time in 3,300


def time_is_up(deadline: Optional[float]) -> Optional[str]:
    return "the time budget ran out" if deadline is not None and time.monotonic() >= deadline else None


def refused_for_size(trial: TrialRecord) -> bool:
    """Whether the trial was refused, untrained, for the model-size limit."""
    return f"{ModelTooLarge.__name__}: " in (trial.error_summary or "")


def failure_kind(error: str) -> str:
    """An error with its numbers left out: failures that differ only in sizes, indices or times are one kind."""
    return re.sub(r"\d+(?:\.\d+)?", "#", error)


def same_failure(finished: list[TrialRecord]) -> Optional[str]:
    """Why the search should stop when every trial so far (at least ``SAME_FAILURES_TO_STOP``) failed the
    same way (numbers aside): another configuration would only fail again and burn the budget. Trials refused
    for the model-size limit count apart: they cost no training, and other configurations may fit, so the
    search stops for them only once ``SIZE_REFUSALS_TO_STOP`` trials were refused and none was trained."""
    trained = [trial for trial in finished if not refused_for_size(trial)]
    if not trained and len(finished) >= SIZE_REFUSALS_TO_STOP:
        return (
            f"every trial so far ({len(finished)}) was refused for the model-size limit: {finished[-1].error_summary}"
        )
    if len(trained) < SAME_FAILURES_TO_STOP or any(trial.state is not State.FAILED for trial in trained):
        return None
    reasons = {failure_kind(trial.error_summary or "") for trial in trained}
    if len(reasons) > 1:
        return None
    return f"every trial so far ({len(trained)}) failed the same way: {trained[-1].error_summary}"


def stop_reason(
    settings: StudySettings,
    strategy: SearchStrategy,
    finished: list[TrialRecord],
    deadline: Optional[float],
    running: int = 0,
) -> Optional[str]:
    """Why no further trial should be asked for, or None."""
    budgets = settings.budgets
    trained = sum(1 for trial in finished if not refused_for_size(trial))  # a refused trial trained nothing
    if budgets.trials is not None and trained + running >= budgets.trials:
        return f"{budgets.trials} runs done"
    if budgets.epochs is not None and sum(trial.epochs for trial in finished) >= budgets.epochs:
        return f"{budgets.epochs} epochs trained"
    if budgets.generations is not None and strategy.generations_completed >= budgets.generations:
        return f"{budgets.generations} generations done"
    failure = same_failure(finished)
    if failure is not None:
        log.warning("search stopped: %s", failure)
    return time_is_up(deadline) or failure
