"""Distributions, hyperopt expressions and the space they form."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hyperopt import hp

from flair_hpo.errors import ConfigurationError
from flair_hpo.space import Categorical, Float, Int, Normal, Space
from flair_hpo.space.hyperopt import from_hyperopt


@pytest.mark.parametrize(
    ("function", "arguments", "expected"),
    [
        (hp.choice, {"options": [32, 64]}, Categorical([32, 64])),
        (hp.uniform, {"low": 0.0, "high": 0.5}, Float(0.0, 0.5)),
        (hp.quniform, {"low": 8, "high": 64, "q": 8}, Float(8, 64, step=8)),
        (hp.loguniform, {"low": math.log(1e-3), "high": 0.0}, Float(math.exp(math.log(1e-3)), 1.0, log=True)),
        (
            hp.qloguniform,
            {"low": 0.0, "high": math.log(100), "q": 1},
            Float(1.0, math.exp(math.log(100)), log=True, step=1),
        ),
        (hp.randint, {"upper": 4}, Int(0, 3)),
        (hp.randint, {"low": 2, "high": 5}, Int(2, 4)),
        (hp.uniformint, {"low": 1, "high": 3}, Int(1, 3)),
        (hp.normal, {"mu": 0.0, "sigma": 1.0}, Normal(0.0, 1.0)),
        (hp.qnormal, {"mu": 0.0, "sigma": 1.0, "q": 0.5}, Normal(0.0, 1.0, step=0.5)),
        (hp.lognormal, {"mu": 0.0, "sigma": 1.0}, Normal(0.0, 1.0, log=True)),
        (hp.qlognormal, {"mu": 0.0, "sigma": 1.0, "q": 1}, Normal(0.0, 1.0, log=True, step=1)),
    ],
)
def test_every_hyperopt_expression_converts(function, arguments, expected) -> None:
    assert from_hyperopt(function, "p", **arguments) == expected


def test_samples_follow_hyperopt_semantics() -> None:
    rng = np.random.default_rng(0)
    loguniform = from_hyperopt(hp.loguniform, "lr", low=math.log(1e-4), high=math.log(1e-1))
    values = [loguniform.sample(rng) for _ in range(2000)]
    assert min(values) >= 1e-4 and max(values) <= 1e-1
    assert 0.4 < np.mean(np.log10(values) < -2.5) < 0.6  # log-uniform: half the mass below the log midpoint
    quantized = [Float(8, 64, step=8).sample(rng) for _ in range(200)]
    assert set(quantized) <= {8.0 * k for k in range(1, 9)}
    assert {Int(0, 3).sample(rng) for _ in range(200)} == {0, 1, 2, 3}
    assert all(v > 0 for v in (Normal(0, 1, log=True).sample(rng) for _ in range(200)))


@pytest.mark.parametrize(
    ("distribution", "grid"),
    [
        (Float(0.05, 0.25, step=0.1), [0.1, 0.2]),  # only the multiples inside the range
        (Float(0.0, 0.5, step=0.25), [0.0, 0.25, 0.5]),
        (Float(1e-4, 1e-3, log=True, step=2e-4), [2e-4, 4e-4, 6e-4, 8e-4, 1e-3]),
        (Int(32, 256, step=32), [32, 64, 96, 128, 160, 192, 224, 256]),
        (Int(10, 100, log=True, step=25), [25, 50, 75, 100]),
    ],
)
def test_a_stepped_range_samples_contains_and_normalizes_only_its_grid(distribution, grid) -> None:
    rng = np.random.default_rng(0)
    assert distribution.grid_values() == pytest.approx(grid)
    assert sorted({distribution.sample(rng) for _ in range(500)}) == pytest.approx(grid)
    assert all(distribution.contains(value) for value in grid)
    gap = grid[1] - grid[0]
    off_grid = [grid[0] - gap, grid[0] + 0.3 * gap, grid[-1] + gap]
    assert not any(distribution.contains(value) for value in off_grid)
    assert [distribution.normalize(value) for value in off_grid] == pytest.approx([grid[0], grid[0], grid[-1]])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Float(3, 1), r"`low <= high` must hold, but got \(low=3, high=1\)"),
        (lambda: Int(5, 2), r"`low <= high` must hold, but got \(low=5, high=2\)"),
        (lambda: Float(0, 1, log=True), r"log-scale range needs `low > 0`"),
        (lambda: Float(0, float("inf")), r"`high` must be a finite number"),
        (lambda: Float(0, 1, step=0), r"`step` must be a positive number, but got step=0"),
        (lambda: Int(1.5, 3), r"`low` of an integer range must be a whole number, but got 1.5"),
        (lambda: Int(8, 64, step=2.5), r"`step` of an integer range must be a whole number, but got 2.5"),
        (
            lambda: Float(1e-5, 5e-5, log=True, step=1e-4),
            r"no multiple of step=0.0001 lies in \[low=1e-05, high=5e-05\]",
        ),
        (lambda: Int(33, 63, step=32), r"no multiple of step=32 lies in \[low=33, high=63\]"),
        (lambda: Categorical("abc"), r"options must be a list, but got str \('abc'\)"),
        (lambda: Categorical([]), r"at least one value"),
        (lambda: Normal(0, 0), r"`sigma` must be a positive number, but got sigma=0"),
        (lambda: from_hyperopt(hp.pchoice, "p", options=[(0.5, 1)]), r"hp.choice, hp.uniform"),
        (lambda: from_hyperopt(hp.uniform, "dropout", low=0.0), r"bad arguments .* for 'dropout'"),
        (lambda: from_hyperopt(hp.randint, "k", low=3, high=3), r"needs `low < high`"),
        (lambda: Space({}), r"search space is empty"),
    ],
)
def test_bad_distributions_are_named(make, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make()


def conditional_space() -> Space:
    return Space(
        {
            "switch": Categorical(["a", "b", "c"]),
            "shared": Categorical([1, 2]),
            "a_only": Int(0, 2),
            "b_only": Categorical(["x", "y"]),
        },
        conditions={"a_only": ("switch", 0), "b_only": ("switch", 1)},
    )


def test_grid_indexing_matches_the_enumerated_conditional_grid() -> None:
    space = conditional_space()
    enumerated = []
    for switch, shared in itertools.product(range(3), range(2)):
        extra = {0: [{"a_only": v} for v in range(3)], 1: [{"b_only": v} for v in range(2)], 2: [{}]}[switch]
        enumerated += [{"switch": switch, "shared": shared, **e} for e in extra]
    assert space.grid_size() == len(enumerated) == 12
    grid = [space.grid_point(i) for i in range(12)]
    assert sorted(map(space.point_id, grid)) == sorted(map(space.point_id, enumerated))
    with pytest.raises(IndexError):
        space.grid_point(12)


def test_sampling_and_repair_respect_conditions() -> None:
    space = conditional_space()
    rng = np.random.default_rng(0)
    for _ in range(100):
        point = space.sample(rng)
        assert space.contains(point)
    repaired = space.repair({"switch": 1, "shared": 0, "a_only": 2}, rng)
    assert set(repaired) == {"switch", "shared", "b_only"}
    assert space.decode(repaired)["switch"] == "b"


def test_decode_gives_values_and_fixed_values() -> None:
    space = Space({"hidden": Categorical([32, 64]), "lr": Float(0.01, 0.1)}, fixed={"fine_tune": True})
    assert space.decode({"hidden": 1, "lr": 0.05}) == {"hidden": 64, "lr": 0.05, "fine_tune": True}
    assert space.describe_point({"hidden": 1, "lr": 0.05}) == {"fine_tune": "True", "hidden": "64", "lr": "0.05"}


def test_a_condition_must_name_an_unconditional_choice() -> None:
    with pytest.raises(ConfigurationError, match="must name an unconditional choice"):
        Space({"x": Float(0, 1), "y": Float(0, 1)}, conditions={"y": ("x", 0)})


def test_a_whole_number_parameter_searched_with_a_stepped_expression_gets_whole_numbers() -> None:
    from flair_hpo import parameters as p
    from flair_hpo.tasks import SequenceTaggerSearchSpace

    space = SequenceTaggerSearchSpace(tag_type="ner")
    space.add_parameter(p.SequenceTagger.HIDDEN_SIZE, hp.quniform, low=30, high=256, q=32)
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, low=8, high=64, step=8, log=True)
    assert space.value_of(p.SequenceTagger.HIDDEN_SIZE) == Int(32, 256, step=32)
    rng = np.random.default_rng(0)
    for parameter, step in ((p.SequenceTagger.HIDDEN_SIZE, 32), (p.ModelTrainer.MINI_BATCH_SIZE, 8)):
        distribution = space.value_of(parameter)
        values = {distribution.decode(distribution.sample(rng)) for _ in range(100)}
        assert all(type(value) is int and value % step == 0 for value in values)


def test_hyperopts_expression_of_a_stepped_integer_range_weights_its_grid_as_sampling_does() -> None:
    from hyperopt.pyll.stochastic import sample

    from flair_hpo.space.hyperopt import to_hyperopt

    distribution = Int(1, 1000, log=True, step=100)  # 100 takes the log-width from 50 to 150: 36.5% of draws
    rng = np.random.default_rng(0)
    ours = np.mean([distribution.sample(rng) == 100 for _ in range(3000)])
    expression = to_hyperopt("x", distribution)
    theirs = np.mean([distribution.normalize(sample(expression, rng=rng)) == 100 for _ in range(3000)])
    assert 0.32 < ours < 0.41 and 0.32 < theirs < 0.41
