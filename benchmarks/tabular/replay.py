"""Replays searches on the recorded TREC-6 table: flair-hpo's strategies and early stopping against
Optuna's default TPE alone and with each of its pruners that stops a trial by its learning curve
(Median, Percentile, Patient, SuccessiveHalving, Hyperband), hyperopt's ``fmin`` TPE, and random search.
Optuna's ``WilcoxonPruner`` compares per-instance scores, not epochs, and ``ThresholdPruner`` needs a bound
chosen by hand, so neither applies to a learning curve.

Each trial looks up the real learning curve of its configuration (one of the recorded seeds, drawn at
random) and pays the recorded wall time of every epoch it trains; the simulated wall time of a search
is the sum of those epoch costs. A configuration's quality is its score (mean of the last three dev
accuracies) averaged over the recorded seeds; a search's incumbent is its completed trial with the best
observed score. Reported over the repetitions, as median [first quartile, third quartile]:

- time to target: simulated seconds until the incumbent's quality is within 0.5 points of the best
  configuration's (searches that miss it within the budget count as the budget, and are counted);
- regret at fixed budgets: best quality minus the incumbent's quality, in accuracy points.

    python benchmarks/tabular/replay.py --repetitions 50 --budget 40
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from space import KEYS, MAX_EPOCHS, OPTIONS, TABLE, config_id  # noqa: E402

from flair_hpo.early_stopping import EarlyStopping, Hyperband, MedianStopping, SuccessiveHalving  # noqa: E402
from flair_hpo.objective import Objective  # noqa: E402
from flair_hpo.space import Categorical, Space  # noqa: E402
from flair_hpo.strategies import EvolutionarySearch, OptunaSearch, RandomSearch, SearchStrategy, TPESearch  # noqa: E402

TARGET_POINTS = 0.5
DEV_SCORE = Objective()


@dataclass
class Table:
    curves: dict[tuple[int, int], list[tuple[float, float]]]  # (config, seed) -> [(dev score, seconds)] per epoch
    quality: dict[int, float]  # the mean score over the configuration's recorded seeds
    seeds_of: dict[int, list[int]]  # the recorded seeds of each configuration

    @classmethod
    def load(cls, path: Path, max_seeds: Optional[int] = None) -> Table:
        """The table; with ``max_seeds``, only seeds below it (2: every configuration has as many)."""
        curves: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
        with path.open() as handle:
            for row in csv.DictReader(handle):
                if max_seeds is None or int(row["seed"]) < max_seeds:
                    curves[(int(row["config"]), int(row["seed"]))].append(
                        (float(row["dev_score"]), float(row["seconds"]))
                    )
        seeds_of: dict[int, list[int]] = defaultdict(list)
        for config, seed in sorted(curves):
            seeds_of[config].append(seed)
        quality = {
            config: statistics.fmean(cls.run_score(curves[(config, seed)]) for seed in seeds)
            for config, seeds in seeds_of.items()
        }
        return cls(dict(curves), quality, dict(seeds_of))

    @staticmethod
    def run_score(curve: list[tuple[float, float]]) -> float:
        """A run's score (mean of its last three dev scores); 0 for a run that diverged."""
        score = DEV_SCORE.run_score([dev for dev, _ in curve], []) if len(curve) == MAX_EPOCHS else None
        return score or 0.0

    @property
    def seeds(self) -> str:
        counts = sorted({len(seeds) for seeds in self.seeds_of.values()})
        return "-".join(str(count) for count in (counts[0], counts[-1])) if len(counts) > 1 else str(counts[0])

    @property
    def best(self) -> float:
        return max(self.quality.values())

    @property
    def full_training_seconds(self) -> float:
        complete = [curve for curve in self.curves.values() if len(curve) == MAX_EPOCHS]
        return statistics.fmean(sum(seconds for _, seconds in curve) for curve in complete)


@dataclass
class Search:
    """The course of one simulated search: (simulated time, quality of the incumbent) at each improvement."""

    table: Table
    budget: float
    rng: np.random.Generator
    clock: float = 0.0
    trials: int = 0
    best_observed: Optional[float] = None
    trace: list[tuple[float, float]] = field(default_factory=list)

    @property
    def over(self) -> bool:
        return self.clock >= self.budget

    def train(self, config: int, report: Callable[[int, float], bool]) -> tuple[str, Optional[float]]:
        """Train a configuration epoch by epoch; ``report(epoch, dev score)`` returns True to stop it."""
        seeds = self.table.seeds_of[config]
        curve = self.table.curves[(config, seeds[int(self.rng.integers(len(seeds)))])]
        self.trials += 1
        scores: list[float] = []
        state = "completed" if len(curve) == MAX_EPOCHS else "failed"
        for epoch, (dev, seconds) in enumerate(curve, start=1):
            self.clock += seconds
            scores.append(dev)
            if report(epoch, dev) and epoch < MAX_EPOCHS:
                state = "stopped"
                break
        score = DEV_SCORE.run_score(scores, [])
        if state == "completed" and score is not None and (self.best_observed is None or score > self.best_observed):
            self.best_observed = score
            self.trace.append((self.clock, self.table.quality[config]))
        return state, (None if state == "failed" else score)

    def quality_at(self, seconds: float) -> float:
        reached = [quality for clock, quality in self.trace if clock <= seconds]
        return reached[-1] if reached else 0.0

    def time_to(self, target: float) -> Optional[float]:
        return next((clock for clock, quality in self.trace if quality >= target), None)


SPACE = Space({key: Categorical(list(range(len(OPTIONS[key])))) for key in KEYS})


def with_retries(strategy: type[SearchStrategy], retries_after_early_stop: int) -> Callable[[int], SearchStrategy]:
    """``strategy`` proposing a configuration stopped early again that many times at most."""
    retrying = type(strategy.__name__, (strategy,), {"retries_after_early_stop": retries_after_early_stop})
    return lambda seed: retrying(seed=seed)


def flair_hpo_search(
    make_strategy: Callable[[int], SearchStrategy], make_rule: Optional[Callable[[], EarlyStopping]]
) -> Callable[[Search, int], None]:
    def run(search: Search, repetition: int) -> None:
        strategy = make_strategy(repetition)
        strategy.make_configurations(SPACE)
        rule = make_rule() if make_rule else None
        if rule:
            rule.bind(MAX_EPOCHS)
        while not search.over and (suggestion := strategy.ask()) is not None:
            number = suggestion.trial_id
            state, score = search.train(
                config_id(SPACE.decode(suggestion.point)),
                lambda epoch, dev, number=number: rule.report(number, 0, epoch, dev) if rule else False,
            )
            strategy.tell(number, score, stopped_early=state == "stopped")
            if rule:
                rule.finish(number, state == "completed")

    return run


def optuna_search(pruner_name: str, answer_repeats: bool = False) -> Callable[[Search, int], None]:
    """Optuna's default TPE with a pruner; with ``answer_repeats``, a configuration that already completed is
    told its earlier score without training, as Optuna's FAQ shows ("How can I ignore duplicated samples?")."""

    def run(search: Search, repetition: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        pruners: dict[str, Callable[[], Any]] = {
            "none": optuna.pruners.NopPruner,
            "median": optuna.pruners.MedianPruner,
            "percentile": lambda: optuna.pruners.PercentilePruner(25.0),
            "patient": lambda: optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(), patience=2),
            "successive-halving": optuna.pruners.SuccessiveHalvingPruner,
            "hyperband": lambda: optuna.pruners.HyperbandPruner(
                min_resource=1, max_resource=MAX_EPOCHS, reduction_factor=3
            ),
        }
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=repetition), pruner=pruners[pruner_name]()
        )
        repeats_in_a_row = 0
        while not search.over and repeats_in_a_row < (SPACE.grid_size() or 0):  # a space used up only repeats
            trial = study.ask()
            point = {key: trial.suggest_categorical(key, list(range(len(OPTIONS[key])))) for key in KEYS}
            if answer_repeats:
                done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
                earlier = next((t.value for t in done if t.params == point), None)
                if earlier is not None:
                    study.tell(trial, earlier)
                    repeats_in_a_row += 1
                    continue
            repeats_in_a_row = 0

            def report(epoch: int, dev: float, trial: optuna.Trial = trial) -> bool:
                trial.report(dev, epoch)
                return trial.should_prune()

            state, score = search.train(config_id(point), report)
            if state == "stopped":
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            elif state == "failed":
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, score)

    return run


def hyperopt_fmin(search: Search, repetition: int) -> None:
    from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, tpe

    def objective(point: dict[str, int]) -> dict[str, Any]:
        state, score = search.train(config_id(point), lambda epoch, dev: False)
        return {"status": STATUS_FAIL} if score is None else {"status": STATUS_OK, "loss": -score}

    fmin(
        objective,
        {key: hp.choice(key, list(range(len(OPTIONS[key])))) for key in KEYS},
        algo=tpe.suggest,
        max_evals=100_000,
        trials=Trials(),
        rstate=np.random.default_rng(repetition),
        early_stop_fn=lambda trials, *state: (search.over, state),
        show_progressbar=False,
    )


CONTENDERS: dict[str, Callable[[Search, int], None]] = {
    "flair-hpo TPE": flair_hpo_search(lambda seed: TPESearch(seed=seed), None),
    "flair-hpo TPE + ASHA": flair_hpo_search(lambda seed: TPESearch(seed=seed), SuccessiveHalving),
    "flair-hpo TPE + Hyperband": flair_hpo_search(lambda seed: TPESearch(seed=seed), Hyperband),
    "flair-hpo TPE + median": flair_hpo_search(lambda seed: TPESearch(seed=seed), MedianStopping),
    "flair-hpo multivariate TPE": flair_hpo_search(lambda seed: OptunaSearch(seed=seed), None),
    "flair-hpo multivariate TPE + ASHA": flair_hpo_search(lambda seed: OptunaSearch(seed=seed), SuccessiveHalving),
    "flair-hpo multivariate TPE + ASHA(reduction factor 4)": flair_hpo_search(
        lambda seed: OptunaSearch(seed=seed), lambda: SuccessiveHalving(reduction_factor=4)
    ),
    "flair-hpo multivariate TPE + ASHA, stopped configurations never retried": flair_hpo_search(
        with_retries(OptunaSearch, 0), SuccessiveHalving
    ),
    "flair-hpo multivariate TPE + ASHA, stopped configurations retried twice": flair_hpo_search(
        with_retries(OptunaSearch, 2), SuccessiveHalving
    ),
    "flair-hpo multivariate TPE + ASHA, stopped configurations retried without limit": flair_hpo_search(
        with_retries(OptunaSearch, sys.maxsize), SuccessiveHalving
    ),
    "flair-hpo TPE + ASHA, stopped configurations retried once": flair_hpo_search(
        with_retries(TPESearch, 1), SuccessiveHalving
    ),
    "flair-hpo evolutionary + ASHA, stopped configurations never retried": flair_hpo_search(
        with_retries(EvolutionarySearch, 0), SuccessiveHalving
    ),
    "flair-hpo random + ASHA, stopped configurations retried once": flair_hpo_search(
        with_retries(RandomSearch, 1), SuccessiveHalving
    ),
    "flair-hpo random + ASHA": flair_hpo_search(lambda seed: RandomSearch(seed=seed), SuccessiveHalving),
    "flair-hpo evolutionary + ASHA": flair_hpo_search(lambda seed: EvolutionarySearch(seed=seed), SuccessiveHalving),
    "Optuna TPE": optuna_search("none"),
    "Optuna TPE + MedianPruner": optuna_search("median"),
    "Optuna TPE + PercentilePruner(25)": optuna_search("percentile"),
    "Optuna TPE + PatientPruner(Median, 2)": optuna_search("patient"),
    "Optuna TPE + SuccessiveHalvingPruner": optuna_search("successive-halving"),
    "Optuna TPE + HyperbandPruner": optuna_search("hyperband"),
    "Optuna TPE, repeats answered": optuna_search("none", answer_repeats=True),
    "Optuna TPE + SuccessiveHalvingPruner, repeats answered": optuna_search("successive-halving", answer_repeats=True),
    "Optuna TPE + HyperbandPruner, repeats answered": optuna_search("hyperband", answer_repeats=True),
    "hyperopt fmin TPE": hyperopt_fmin,
    "random search": flair_hpo_search(lambda seed: RandomSearch(seed=seed), None),
}


def quartiles(values: list[float]) -> str:
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return f"{q2:.1f} [{q1:.1f}, {q3:.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--budget", type=float, default=40, help="in full trainings of the average configuration")
    parser.add_argument("--only", nargs="*", help="contenders to run (default: all)")
    parser.add_argument("--seeds", type=int, default=2, help="use the table's seeds below this (2: all have them)")
    args = parser.parse_args()
    table = Table.load(TABLE, max_seeds=args.seeds)
    unit = table.full_training_seconds
    budget = args.budget * unit
    target = table.best - TARGET_POINTS / 100
    checkpoints = [args.budget / 4, args.budget / 2, args.budget]
    print(
        f"table: {len(table.quality)} configurations x {table.seeds} seeds; best quality {table.best * 100:.2f}; "
        f"one full training {unit:.2f} s; budget {args.budget:g} trainings ({budget:.0f} s); "
        f"target {target * 100:.2f}; {args.repetitions} repetitions\n"
    )
    print(
        "| search | time to target (s) | reached | "
        + " | ".join(f"regret after {c:g} trainings (points)" for c in checkpoints)
        + " | trials | wall s |"
    )
    print("|---|---|---|" + "---|" * len(checkpoints) + "---|---|")
    for name, run in CONTENDERS.items():
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        searches = []
        for repetition in range(args.repetitions):
            search = Search(table, budget, np.random.default_rng(1_000_000 + repetition))
            run(search, repetition)
            searches.append(search)
        times = [search.time_to(target) for search in searches]
        reached = sum(t is not None for t in times)
        regrets = [
            quartiles([(table.best - search.quality_at(c * unit)) * 100 for search in searches]) for c in checkpoints
        ]
        trials = statistics.median(search.trials for search in searches)
        print(
            f"| {name} | {quartiles([t if t is not None else budget for t in times])} | {reached}/{len(searches)} | "
            + " | ".join(regrets)
            + f" | {trials:.0f} | {time.perf_counter() - started:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
