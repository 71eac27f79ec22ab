"""The contract every early-stopping rule keeps, as pytest tests on closed-form learning curves.

To run it against a rule, import the tests into a test module and provide the fixture::

    from flair_hpo.testing.early_stopping_contract import *  # noqa: F403

    @pytest.fixture
    def rule_factory() -> RuleFactory:
        return lambda: MyRule(grace_epochs=2)

``rule_factory`` builds a fresh, unbound rule. Curves rise towards a level (higher is better) and trials
train ``MAX_EPOCHS`` epochs; a rule may stop any trial except as the tests below say.
"""

from __future__ import annotations

from typing import Callable

from flair_hpo.early_stopping import EarlyStopping

__all__ = [
    "test_no_trial_is_stopped_before_its_grace_epochs",
    "test_nothing_is_stopped_at_or_after_max_epochs",
    "test_identical_curves_never_stop_a_trial",
    "test_a_trial_best_at_every_epoch_is_never_stopped",
    "test_most_clearly_worse_trials_are_stopped",
    "test_bind_forgets_previous_trials",
    "test_the_same_reports_give_the_same_decisions",
    "test_describe_is_stable_and_names_the_class",
]

RuleFactory = Callable[[], EarlyStopping]
MAX_EPOCHS = 9


def curve(level: float, epochs: int = MAX_EPOCHS) -> list[float]:
    """A learning curve rising towards ``level``: the value after epoch ``e`` is ``level * (1 - 0.5**e)``."""
    return [level * (1 - 0.5**epoch) for epoch in range(1, epochs + 1)]


def feed(rule: EarlyStopping, trial: int, values: list[float], run: int = 0) -> int:
    """Report ``values`` epoch by epoch and finish the trial; the epoch it was stopped after, or 0."""
    for epoch, value in enumerate(values, start=1):
        if rule.report(trial, run, epoch, value):
            rule.finish(trial, completed=False)
            return epoch
    rule.finish(trial, completed=True)
    return 0


def bound(rule_factory: RuleFactory, max_epochs: int = MAX_EPOCHS) -> EarlyStopping:
    rule = rule_factory()
    rule.bind(max_epochs)
    return rule


def good_then_bad(rule: EarlyStopping, good: int = 17, bad: int = 17) -> list[int]:
    """``good`` trials of differing good levels, then ``bad`` far worse ones; the epoch each bad one stopped after."""
    for trial in range(good):
        feed(rule, trial, curve(0.8 + 0.01 * (trial % 7)))
    return [feed(rule, trial, curve(0.05)) for trial in range(good, good + bad)]


def interleaved(rule: EarlyStopping) -> list[bool]:
    """Every decision for trials trained three at a time, epoch by epoch, some of them twice (two runs)."""
    levels = [0.5, 0.9, 0.2, 0.7, 0.1, 0.8, 0.3, 0.6, 0.4, 0.85, 0.15, 0.75]
    decisions, stopped = [], set()
    for first in range(0, len(levels), 3):
        group = range(first, first + 3)
        for run in (0, 1):
            for epoch, _ in enumerate(curve(1.0), start=1):
                for trial in group:
                    if trial not in stopped and (run == 0 or trial % 2 == 0):
                        value = curve(levels[trial] - 0.05 * run)[epoch - 1]
                        decisions.append(rule.report(trial, run, epoch, value))
                        stopped.update([trial] if decisions[-1] else [])
        for trial in group:
            rule.finish(trial, completed=trial not in stopped)
    return decisions


def test_no_trial_is_stopped_before_its_grace_epochs(rule_factory: RuleFactory) -> None:
    rule = bound(rule_factory)
    stops = good_then_bad(rule)
    assert all(epoch == 0 or epoch >= rule.grace_epochs for epoch in stops), stops
    for trial in range(100, 110):  # hopeless from the first epoch: still not stopped during the grace period
        for epoch in range(1, rule.grace_epochs):
            assert not rule.report(trial, 0, epoch, -1.0)


def test_nothing_is_stopped_at_or_after_max_epochs(rule_factory: RuleFactory) -> None:
    rule = bound(rule_factory)
    good_then_bad(rule, bad=0)
    for trial in range(100, 110):  # reported on even after a stop: the decisions from max_epochs on are all False
        decisions = {epoch: rule.report(trial, 0, epoch, -1.0) for epoch in range(1, MAX_EPOCHS + 3)}
        assert not any(decisions[epoch] for epoch in range(MAX_EPOCHS, MAX_EPOCHS + 3)), decisions


def test_identical_curves_never_stop_a_trial(rule_factory: RuleFactory) -> None:
    rule = bound(rule_factory)
    assert [feed(rule, trial, curve(0.7)) for trial in range(30)] == [0] * 30
    assert rule.completed == set(range(30))


def test_a_trial_best_at_every_epoch_is_never_stopped(rule_factory: RuleFactory) -> None:
    for position in (0, 7, 20):  # the best trial arrives first, among the others, or last
        rule = bound(rule_factory)
        levels = [0.3 + 0.02 * ((trial * 7) % 25) for trial in range(21)]
        levels[position] = 1.0
        stops = [feed(rule, trial, curve(level)) for trial, level in enumerate(levels)]
        assert stops[position] == 0, (position, stops)


def test_most_clearly_worse_trials_are_stopped(rule_factory: RuleFactory) -> None:
    stops = good_then_bad(bound(rule_factory))
    assert sum(epoch > 0 for epoch in stops) > len(stops) // 2, stops


def test_bind_forgets_previous_trials(rule_factory: RuleFactory) -> None:
    rule, fresh = bound(rule_factory), bound(rule_factory, max_epochs=6)
    good_then_bad(rule)
    rule.bind(6)
    assert rule.max_epochs == 6 and rule.completed == set() and rule.curve(0) == {}
    levels = [0.9 - 0.07 * trial for trial in range(12)]  # each trial worse than the ones before
    stops = [feed(rule, trial, curve(level, 6)) for trial, level in enumerate(levels)]
    assert stops == [feed(fresh, trial, curve(level, 6)) for trial, level in enumerate(levels)]
    assert stops[0] == 0  # the first trial of the new search competes with no one


def test_the_same_reports_give_the_same_decisions(rule_factory: RuleFactory) -> None:
    rule = bound(rule_factory)
    first = interleaved(rule)
    assert all(isinstance(decision, bool) for decision in first)
    assert interleaved(bound(rule_factory)) == first  # a resumed search replays the journal into a fresh rule
    rule.bind(MAX_EPOCHS)
    assert interleaved(rule) == first  # or into the same rule, bound again


def test_describe_is_stable_and_names_the_class(rule_factory: RuleFactory) -> None:
    rule = rule_factory()
    described = rule.describe()
    assert type(rule).__name__ in described
    assert rule_factory().describe() == described == repr(rule)
    rule.bind(MAX_EPOCHS)
    interleaved(rule)
    assert rule.describe() == described  # what the journal compares on resume: not changed by the search
