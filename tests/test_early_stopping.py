"""Early-stopping rules, exactly on hand-made learning curves, and inside a real search."""

from __future__ import annotations

import pytest
from hyperopt import hp

from flair_hpo import Orchestrator
from flair_hpo import parameters as p
from flair_hpo.early_stopping import Hyperband, MedianStopping, SuccessiveHalving
from flair_hpo.errors import ConfigurationError, JournalMismatchError
from flair_hpo.objective import OptimizationValue
from flair_hpo.storage import Journal
from flair_hpo.strategies import GridSearch
from flair_hpo.tasks import TextClassifierSearchSpace


def _feed(rule, trial: int, curve: list[float], run: int = 0) -> int:
    """Report a learning curve epoch by epoch; the epoch after which the rule stopped it, or 0."""
    for epoch, value in enumerate(curve, start=1):
        if rule.report(trial, run, epoch, value):
            return epoch
    return 0


def test_median_stopping_compares_the_best_so_far_with_the_median_of_completed_trials() -> None:
    rule = MedianStopping(grace_epochs=2, min_trials=2)
    rule.bind(max_epochs=4)
    assert _feed(rule, 0, [0.5, 0.6, 0.7, 0.8]) == 0
    rule.finish(0, completed=True)
    assert _feed(rule, 1, [0.1, 0.1, 0.1, 0.1]) == 0  # one completed trial: fewer than min_trials
    rule.finish(1, completed=True)
    # at epoch 2 the completed trials have 0.6 and 0.1: median 0.35
    assert _feed(rule, 2, [0.9, 0.3, 0.3, 0.3]) == 0  # its best so far (0.9) counts
    assert _feed(rule, 3, [0.2, 0.34, 0.9, 0.9]) == 2  # not before the grace period, then below the median
    rule.finish(3, completed=False)
    rule.finish(2, completed=True)
    # completed at epoch 2: 0.6, 0.1, 0.3 (median 0.3); the stopped trial's 0.34 would make it 0.32
    assert _feed(rule, 4, [0.0, 0.31, 0.0, 0.0]) == 0
    assert _feed(rule, 5, [0.0, 0.29, 0.0, 0.0]) == 2
    assert rule.completed == {0, 1, 2}


def test_successive_halving_keeps_the_best_third_at_each_rung() -> None:
    rule = SuccessiveHalving(grace_epochs=1, reduction_factor=3)
    rule.bind(max_epochs=9)
    assert rule.rungs() == [1, 3]
    assert _feed(rule, 0, [0.5, 0.5, 0.5]) == 0  # alone at every rung
    assert _feed(rule, 1, [0.4]) == 1  # 2 at rung 1: only the best goes on
    assert _feed(rule, 2, [0.6, 0.6, 0.7]) == 0  # best at rung 1; at rung 3 best of 2
    assert _feed(rule, 3, [0.55]) == 1  # 4 at rung 1: the best 4 // 3 = 1 goes on
    assert _feed(rule, 4, [0.7, 0.7, 0.1]) == 3  # 5 at rung 1 (top 1: 0.7 ties go on); rung 3: 0.1 < 0.7
    assert _feed(rule, 5, [0.9, 0.9, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]) == 0  # no rung after 3
    assert rule.curve(5)[9] == 0.0


def test_successive_halving_averages_the_runs_of_a_trial() -> None:
    rule = SuccessiveHalving(grace_epochs=1, reduction_factor=2)
    rule.bind(max_epochs=4)
    _feed(rule, 0, [0.5, 0.5, 0.5, 0.5])
    assert _feed(rule, 1, [0.8, 0.8, 0.8, 0.8], run=0) == 0
    # the second run's 0.1 brings trial 1's value at epoch 1 to 0.45, below trial 0's 0.5
    assert _feed(rule, 1, [0.1], run=1) == 1
    assert rule.value(1, 1) == pytest.approx(0.45)


def test_hyperband_deals_trials_to_brackets_in_proportion_and_its_last_bracket_never_stops() -> None:
    rule = Hyperband(grace_epochs=1, reduction_factor=3)
    rule.bind(max_epochs=9)
    assert [bracket.rungs() for bracket in rule.brackets] == [[1, 3], [3], []]
    dealt = [rule.bracket_of(trial) for trial in range(17)]
    assert [dealt.count(b) for b in range(3)] == [9, 5, 3]
    first_in = {b: dealt.index(b) for b in range(3)}
    for _bracket, trial in first_in.items():
        assert _feed(rule, trial, [0.9] * 9) == 0
    second_in = {b: dealt.index(b, first_in[b] + 1) for b in range(3)}
    stopped = {b: _feed(rule, second_in[b], [0.1] * 9) for b in range(3)}
    assert stopped == {0: 1, 1: 3, 2: 0}


def test_early_stopping_arguments_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="grace_epochs must be a positive whole number, but got 0"):
        SuccessiveHalving(grace_epochs=0)
    with pytest.raises(ConfigurationError, match="reduction_factor must be at least 2, but got 1"):
        Hyperband(reduction_factor=1)
    with pytest.raises(ConfigurationError, match="min_trials must be a positive whole number, but got -1"):
        MedianStopping(min_trials=-1)


class RecordingGrid(GridSearch):
    """A grid search that remembers what it was told."""

    def _observe(self, trial_id, point, objective) -> None:
        self.told = {**getattr(self, "told", {}), trial_id: objective}
        super()._observe(trial_id, point, objective)


def test_a_search_stops_a_bad_trial_early_tells_the_strategy_and_counts_its_epochs(trec, glove, tmp_path) -> None:
    def space() -> TextClassifierSearchSpace:
        search_space = TextClassifierSearchSpace(label_type="question_class")
        search_space.add_max_epochs_per_training_run(2)
        search_space.add_optimization_value(OptimizationValue.DEV_LOSS)
        search_space.add_budget(p.Budget.EPOCHS, 3)
        search_space.add_parameter(p.ModelTrainer.LEARNING_RATE, hp.choice, options=[0.2, 1e-6, 0.1])
        search_space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, hp.choice, options=[[glove]])
        return search_space

    strategy = RecordingGrid(seed=0)
    result = Orchestrator(
        trec, tmp_path, space(), strategy, early_stopping=SuccessiveHalving(grace_epochs=1, reduction_factor=2)
    ).optimize()

    good, bad = result.trials  # 2 + 1 epochs use up the budget of 3: the third configuration never runs
    assert good.state.value == "completed" and good.epochs == 2
    assert bad.state.value == "stopped_early" and bad.epochs == 1 and len(bad.runs[0].dev_losses) == 1
    assert bad.objective == pytest.approx(-bad.runs[0].dev_losses[0])
    assert strategy.told == {0: good.objective, 1: bad.objective}
    assert result.best.number == 0
    journalled = Journal(tmp_path / "journal.sqlite", read_only=True).trials()
    assert [t.state.value for t in journalled] == ["completed", "stopped_early"]
    assert "stopped early after epoch 1" in (tmp_path / "param_selection.txt").read_text()

    resumed = RecordingGrid(seed=0)
    again = Orchestrator(
        trec, tmp_path, space(), resumed, early_stopping=SuccessiveHalving(grace_epochs=1, reduction_factor=2)
    ).optimize()
    assert len(again.trials) == 2 and resumed.told == strategy.told  # nothing rerun, the budget still used up
    with pytest.raises(JournalMismatchError, match="early_stopping"):
        Orchestrator(trec, tmp_path, space(), RecordingGrid(seed=0), early_stopping=MedianStopping()).optimize()
