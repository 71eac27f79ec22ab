"""An early-stopping rule shared by all Ray workers: one actor holds it, workers and the driver call it."""

from __future__ import annotations

from typing import Any


class RuleHolder:
    """The actor holding the search's early-stopping rule."""

    def __init__(self, rule: Any) -> None:
        self.rule = rule

    def report(self, trial: int, run: int, epoch: int, value: float) -> bool:
        return bool(self.rule.report(trial, run, epoch, value))

    def finish(self, trial: int, completed: bool) -> None:
        self.rule.finish(trial, completed)


class RemoteRule:
    """An early-stopping rule living in a Ray actor, with the rule's own methods."""

    def __init__(self, actor: Any, description: str) -> None:
        self.actor = actor
        self.description = description

    def report(self, trial: int, run: int, epoch: int, value: float) -> bool:
        import ray

        return bool(ray.get(self.actor.report.remote(trial, run, epoch, value)))

    def finish(self, trial: int, completed: bool) -> None:
        import ray

        ray.get(self.actor.finish.remote(trial, completed))

    def describe(self) -> str:
        return self.description

    def __repr__(self) -> str:
        return self.description
