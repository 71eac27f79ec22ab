"""Tree-structured Parzen estimator search, driven by hyperopt's ``tpe.suggest`` one point at a time."""

from __future__ import annotations

import logging
from typing import Any, Optional

from hyperopt import JOB_STATE_DONE, STATUS_FAIL, STATUS_OK, Trials, base, tpe

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.space import Point, Space
from flair_hpo.space.hyperopt import hyperopt_space
from flair_hpo.strategies.base import STRATEGIES, SearchStrategy

SUGGEST_ATTEMPTS = 10


@STRATEGIES.register("tpe")
class TPESearch(SearchStrategy):
    """hyperopt's TPE: ``n_startup_trials`` random points, then points where good trials are dense.

    Trials still running (a parallel search) are in hyperopt's trial list with an infinite loss, so TPE
    counts them among the bad results (a constant liar) and looks elsewhere instead of proposing the same
    region again; failed trials count the same way. A configuration stopped early is not proposed again: its
    per-parameter densities ask for repeats so often that retries cost more time than they saved (replays in
    ``benchmarks/RESULTS.md``)."""

    retries_after_early_stop = 0

    def __init__(
        self, n_startup_trials: int = 10, n_ei_candidates: int = 24, gamma: float = 0.25, seed: Optional[int] = None
    ) -> None:
        super().__init__(seed)
        n_startup_trials = check_positive("n_startup_trials", n_startup_trials, integer=True)
        n_ei_candidates = check_positive("n_ei_candidates", n_ei_candidates, integer=True)
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0 < gamma < 1:
            raise ConfigurationError(
                f"gamma is the share of trials TPE counts as good, strictly between 0 and 1, but got {gamma!r}."
            )
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.gamma = gamma

    def settings(self) -> dict[str, Any]:
        return {"n_startup_trials": self.n_startup_trials, "n_ei_candidates": self.n_ei_candidates, "gamma": self.gamma}

    def _on_bind(self, space: Space) -> None:
        self._domain = base.Domain(lambda _: 0.0, hyperopt_space(space))
        self._labels = list(space.distributions)
        self._trials = Trials()
        self._documents: dict[int, dict[str, Any]] = {}
        logging.getLogger("hyperopt.tpe").setLevel(logging.WARNING)

    def _suggest(self) -> Point:
        tid = self._next_id
        seed = int(self.rng.integers(2**31 - 1))
        [document] = tpe.suggest(
            [tid], self._domain, self._trials, seed,
            n_startup_jobs=self.n_startup_trials, n_EI_candidates=self.n_ei_candidates, gamma=self.gamma,
        )  # fmt: skip
        return {label: values[0] for label, values in document["misc"]["vals"].items() if values}

    def _propose(self) -> Optional[Point]:
        if self._is_exhausted():
            return None
        point = self._suggest_unseen() or self._sample_unseen()
        if point is not None:
            self._insert(self._next_id, point)
        return point

    def _suggest_unseen(self) -> Optional[Point]:
        for _ in range(SUGGEST_ATTEMPTS):
            point = self.space.normalize(self._suggest())
            if self.space.point_id(point) not in self._seen:
                return point
        return None

    def _insert(self, tid: int, point: Point) -> None:
        misc = {
            "tid": tid,
            "cmd": self._domain.cmd,
            "workdir": self._domain.workdir,
            "idxs": {label: [tid] if label in point else [] for label in self._labels},
            "vals": {label: [point[label]] if label in point else [] for label in self._labels},
        }
        [document] = self._trials.new_trial_docs([tid], [None], [{"status": "new"}], [misc])
        self._trials.insert_trial_docs([document])
        self._trials.refresh()
        self._documents[tid] = self._trials._dynamic_trials[-1]

    def _observe(self, trial_id: int, point: Point, objective: Optional[float]) -> None:
        document = self._documents[trial_id]
        document["state"] = JOB_STATE_DONE
        document["result"] = {"status": STATUS_FAIL} if objective is None else {"status": STATUS_OK, "loss": -objective}
        self._trials.refresh()
