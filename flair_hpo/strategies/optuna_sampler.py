"""A strategy backed by one of Optuna's samplers (Optuna is imported only when the strategy is used).

The default is Optuna's multivariate TPE: one density over all parameters instead of one per parameter
(hyperopt's TPE), grouped by the space's conditions, with trials still running counted as bad results
(a constant liar) so parallel trials spread out. Points are asked and told through an in-memory study
seeded with the strategy's seed, so a replay with the same answers proposes the same points again.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any, Optional

from flair_hpo.errors import ConfigurationError
from flair_hpo.optional import require
from flair_hpo.space import Categorical, Float, Int, Point, Space
from flair_hpo.space.distributions import step_bounds
from flair_hpo.strategies.base import STRATEGIES, SearchStrategy

SAMPLERS = {"tpe": "TPESampler", "gp": "GPSampler", "cmaes": "CmaEsSampler", "qmc": "QMCSampler"}
SAMPLER_MODULES = {"cmaes": "cmaes"}  # what a sampler imports only when it first samples
MULTIVARIATE_TPE = {"multivariate": True, "group": True, "constant_liar": True}
SUGGEST_ATTEMPTS = 10


def _optuna() -> ModuleType:
    optuna = require("optuna", extra="optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


@STRATEGIES.register("optuna")
class OptunaSearch(SearchStrategy):
    """Points from an Optuna sampler: ``sampler`` names it (tpe, gp, cmaes, qmc); ``sampler_options`` go to
    its constructor. With "tpe" and no options, the sampler is Optuna's multivariate, grouped TPE with a
    constant liar. A point the sampler proposes twice is told the first one's result and asked again, unless the
    first was stopped early: that one is trained once more."""

    def __init__(self, sampler: str = "tpe", seed: Optional[int] = None, **sampler_options: Any) -> None:
        super().__init__(seed)
        if sampler not in SAMPLERS:
            raise ConfigurationError(f"sampler must be one of {sorted(SAMPLERS)}, but got {sampler!r}.")
        self.sampler = sampler
        self.sampler_options = sampler_options or (MULTIVARIATE_TPE if sampler == "tpe" else {})

    def settings(self) -> dict[str, Any]:
        return {"sampler": self.sampler, **{key: repr(value) for key, value in self.sampler_options.items()}}

    @property
    def name(self) -> str:
        return f"OptunaSearch({self.sampler})"

    def _on_bind(self, space: Space) -> None:
        unsupported = [key for key, d in space.distributions.items() if not isinstance(d, (Categorical, Float, Int))]
        if unsupported:
            raise ConfigurationError(
                f"OptunaSearch samples bounded ranges and option lists, but {unsupported} are normal distributions; "
                "give them a range (low, high) or use TPESearch."
            )
        optuna = _optuna()
        if self.sampler in SAMPLER_MODULES:
            require(SAMPLER_MODULES[self.sampler], extra="optuna")  # now, not at the second ask after a training
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = getattr(optuna.samplers, SAMPLERS[self.sampler])(seed=self.seed, **self.sampler_options)
        self._study = optuna.create_study(direction="maximize", sampler=sampler)
        self._trials: dict[int, Any] = {}  # our trial id -> Optuna trial
        self._told: dict[tuple, Optional[float]] = {}  # point id -> objective, to answer repeats

    def _propose(self) -> Optional[Point]:
        if self._is_exhausted():
            return None
        for _ in range(SUGGEST_ATTEMPTS):
            trial, point = self._ask()
            point_id = Space.point_id(self.space.normalize(point))
            if point_id not in self._seen:
                self._trials[self._next_id] = trial
                return point
            self._tell(trial, self._told.get(point_id))
        unseen = self._sample_unseen()
        if unseen is not None:
            self._study.enqueue_trial(unseen)
            self._trials[self._next_id], _ = self._ask()
        return unseen

    def _ask(self) -> tuple[Any, Point]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _optuna().exceptions.ExperimentalWarning)
            trial = self._study.ask()
            point: Point = {}
            for key in [*self.space.unconditional, *self.space.conditions]:
                if self.space.is_active(key, point):
                    point[key] = self._suggest(trial, key, self.space.distributions[key])
        return trial, point

    @staticmethod
    def _suggest(trial: Any, key: str, distribution: Any) -> Any:
        if isinstance(distribution, Categorical):
            return trial.suggest_categorical(key, list(range(len(distribution.options))))
        step = None if distribution.log else distribution.step  # Optuna steps linear ranges; normalize rounds the rest
        low, high = (
            step_bounds(distribution.low, distribution.high, step) if step else (distribution.low, distribution.high)
        )
        if isinstance(distribution, Int):
            return trial.suggest_int(key, int(low), int(high), step=step or 1, log=distribution.log)
        return trial.suggest_float(key, low, high, step=step, log=distribution.log)

    def _tell(self, trial: Any, objective: Optional[float]) -> None:
        if objective is None:
            self._study.tell(trial, state=_optuna().trial.TrialState.FAIL)
        else:
            self._study.tell(trial, objective)

    def _observe(self, trial_id: int, point: Point, objective: Optional[float]) -> None:
        self._told[Space.point_id(point)] = objective
        self._tell(self._trials.pop(trial_id), objective)
