"""What is left of a trial's job when its worker is lost or it must run again: the runs not yet reported."""

from __future__ import annotations

from pathlib import Path

from flair_hpo.executors.base import TrialJob
from flair_hpo.storage import RunRecord, State


def unreported(job: TrialJob, reported: list[RunRecord]) -> list[tuple[int, Path, int]]:
    """The job's runs whose records have not come back; none once a run did not complete (the job ended there)."""
    if any(record.state is not State.COMPLETED for record in reported):
        return []
    done = {record.run for record in reported}
    return [run for run in job.runs if run[0] not in done]


def remaining(job: TrialJob, reported: list[RunRecord]) -> TrialJob:
    """The job of a trial run again: its runs not yet reported, by the same deadline."""
    return TrialJob(job.number, job.config, unreported(job, reported), job.seconds_left, job.submitted)


def with_failure(job: TrialJob, reported: list[RunRecord], reason: str) -> list[RunRecord]:
    """A trial's runs when its worker was lost: those reported, then the first one not reported, failed for
    ``reason`` (none when the job had ended and only the worker's last message was lost)."""
    left = unreported(job, reported)
    return [*reported, RunRecord(left[0][0], State.FAILED, error=reason)] if left else list(reported)
