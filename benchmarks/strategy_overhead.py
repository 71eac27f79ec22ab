"""Strategy overhead: the time of one ``ask`` plus ``tell`` after 10, 100 and 1,000 trials, against Optuna.

Both samplers search the same mixed space (two log-uniform floats, an integer, two categorical choices)
with a cheap closed-form objective; the figure is the median over the asks and tells made while the
study grows from N to N + 20 trials. Needs the ``bench`` extra (Optuna).

    python benchmarks/strategy_overhead.py --trials 10 100 1000
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Any, Callable

from flair_hpo.space import Categorical, Float, Int, Space
from flair_hpo.strategies import EvolutionarySearch, RandomSearch, TPESearch

MEASURED = 20


def objective(values: dict[str, Any]) -> float:
    return (
        -((math.log10(values["learning_rate"]) + 1.5) ** 2)
        - (values["hidden_size"] - 128) ** 2 / 1e4
        + (0.3 if values["optimizer"] == "AdamW" else 0.0)
        + 0.01 * values["dropout"] * (values["embeddings"] == "glove")
    )


SPACE = {
    "learning_rate": Float(1e-4, 1.0, log=True),
    "dropout": Float(0.0, 0.5),
    "hidden_size": Int(32, 512),
    "optimizer": Categorical(["SGD", "AdamW"]),
    "embeddings": Categorical(["glove", "fasttext", "minilm"]),
}


def ours(strategy: Any) -> Callable[[int], list[float]]:
    def measure(trials: int) -> list[float]:
        space = Space(SPACE)
        strategy.make_configurations(space)
        timings = []
        for number in range(trials + MEASURED):
            started = time.perf_counter()
            suggestion = strategy.ask()
            values = space.decode(suggestion.point)
            strategy.tell(suggestion.trial_id, objective(values))
            if number >= trials:
                timings.append(time.perf_counter() - started)
        return timings

    return measure


def optuna_tpe(trials: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    timings = []
    for number in range(trials + MEASURED):
        started = time.perf_counter()
        trial = study.ask()
        values = {
            "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1.0, log=True),
            "dropout": trial.suggest_float("dropout", 0.0, 0.5),
            "hidden_size": trial.suggest_int("hidden_size", 32, 512),
            "optimizer": trial.suggest_categorical("optimizer", ["SGD", "AdamW"]),
            "embeddings": trial.suggest_categorical("embeddings", ["glove", "fasttext", "minilm"]),
        }
        study.tell(trial, objective(values))
        if number >= trials:
            timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    contenders: dict[str, Callable[[int], list[float]]] = {
        "flair-hpo TPESearch": ours(TPESearch(seed=0)),
        "flair-hpo RandomSearch": ours(RandomSearch(seed=0)),
        "flair-hpo EvolutionarySearch": ours(EvolutionarySearch(seed=0)),
        "Optuna TPESampler": optuna_tpe,
    }
    print("| strategy | " + " | ".join(f"after {n} trials (ms)" for n in args.trials) + " |")
    print("|---|" + "---|" * len(args.trials))
    for name, measure in contenders.items():
        cells = [f"{statistics.median(measure(n)) * 1000:.2f}" for n in args.trials]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
