"""One object owns the metric, the direction, a run's values, the score and the label."""

from __future__ import annotations

import pytest

from flair_hpo.analysis.trials_table import Study
from flair_hpo.errors import ConfigurationError
from flair_hpo.objective import CustomMetric, EvaluationMetric, Objective, OptimizationValue

LOSS = Objective(EvaluationMetric.MACRO_F1_SCORE, OptimizationValue.DEV_LOSS)
SCORE = Objective(EvaluationMetric.MACRO_F1_SCORE)


def test_a_loss_is_minimised_and_a_score_maximised() -> None:
    assert LOSS.minimises and LOSS.direction == "minimize" and LOSS.label == "dev loss (lower is better)"
    assert not SCORE.minimises and SCORE.label == "dev macro-F1 (higher is better)"
    assert LOSS.maximised(0.3) == -0.3 and SCORE.maximised(0.3) == 0.3
    assert LOSS.best([0.5, 0.2, 0.2, 0.9], float) == 0.2 and SCORE.best([0.5, 0.2, 0.9, 0.9], float) == 0.9
    assert SCORE.best([None, None], lambda value: value) is None


def test_a_run_is_scored_by_the_mean_of_its_last_three_values_of_the_right_kind() -> None:
    scores, losses = [0.1, 0.2, 0.3, 0.4], [4.0, 3.0, 2.0, 1.0]
    assert SCORE.run_values(scores, losses) == scores and LOSS.run_values(scores, losses) == losses
    assert SCORE.run_score(scores, losses) == pytest.approx(0.3) and LOSS.run_score(scores, losses) == pytest.approx(
        2.0
    )
    assert SCORE.run_score([0.5], []) == 0.5 and SCORE.run_score([], [1.0]) is None


def test_the_journal_form_round_trips_and_the_study_reads_the_direction_from_it() -> None:
    custom = Objective(CustomMetric("precisionAtRecall", label="HUM", threshold=0.3))
    for objective in (LOSS, SCORE, custom):
        assert Objective.from_json(objective.to_json()) == objective
        assert Study(None, {"objective_spec": objective.to_json()}, []).objective == objective
    assert Study(None, {"objective": "dev loss (lower is better)"}, []).objective.minimises  # a journal from before


def test_bad_metrics_and_values_are_named() -> None:
    with pytest.raises(ConfigurationError, match="evaluation metric must be one of"):
        Objective("f1")
    with pytest.raises(ConfigurationError, match="optimization value must be one of"):
        Objective(value="loss")
