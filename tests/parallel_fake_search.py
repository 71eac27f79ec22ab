"""Searches with two trials at a time on the fake executor, one per strategy, run one after the other in one process
by the fault tests (they kill it at random moments): :func:`search_all`.

Each strategy searches in FOLDER/STRATEGY. The log gets ``STRATEGY start F1,F2,...`` once its search has
started (with the trials its journal held as finished before) and ``STRATEGY submit N`` for every trial
the executor was given.
"""

from __future__ import annotations

from pathlib import Path

TRIALS = 10
STRATEGIES = ("grid", "random", "tpe", "evolutionary")
BATCH_COST = {8: 6.0, 16: 2.0, 32: 1.0}


def quadratic(config: dict) -> float:
    return 1.0 - (config["learning_rate"] - 0.1) ** 2 - 0.01 * (config["mini_batch_size"] != 16)


def strategy(name: str):
    from flair_hpo.strategies import EvolutionarySearch, GridSearch, RandomSearch, TPESearch

    return {
        "grid": lambda: GridSearch(shuffle=True, seed=3),
        "random": lambda: RandomSearch(seed=3),
        "tpe": lambda: TPESearch(n_startup_trials=3, seed=3),
        "evolutionary": lambda: EvolutionarySearch(population_size=4, seed=3),
    }[name]()


def search(name: str, base_path: Path, log: Path, seconds_per_cost: float):
    from flair_hpo import Orchestrator
    from flair_hpo import parameters as p
    from flair_hpo.search.callbacks import SearchCallback
    from flair_hpo.storage import JOURNAL_NAME, Journal
    from flair_hpo.tasks import TextClassifierSearchSpace
    from flair_hpo.testing.fake_executor import FakeExecutor, toy_corpus

    finished: list[int] = []
    if (base_path / JOURNAL_NAME).exists():
        journal = Journal(base_path / JOURNAL_NAME, read_only=True)
        finished = [t.number for t in journal.trials() if t.state.finished]
        journal.close()

    def note(line: str) -> None:
        with log.open("a") as handle:
            handle.write(f"{name} {line}\n")

    class Started(SearchCallback):
        def on_search_start(self, context) -> None:
            note("start " + ",".join(map(str, finished)))

    space = TextClassifierSearchSpace(label_type="class")
    space.add_max_epochs_per_training_run(3)
    space.add_budget(p.Budget.RUNS, TRIALS)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=["glove"])
    if name == "grid":
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2, 0.3])
    else:
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=0.3)
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32])
    executor = FakeExecutor(
        quadratic,
        cost=lambda config: BATCH_COST[config["mini_batch_size"]],
        max_concurrent_trials=2,
        seconds_per_cost=seconds_per_cost,
        on_submit=lambda number: note(f"submit {number}"),
    )
    return Orchestrator(
        toy_corpus(), base_path, space, strategy(name), executor=executor, callbacks=[Started()]
    ).optimize()


def search_all(folder: Path, log: Path, seconds_per_cost: float) -> None:
    for strategy_name in STRATEGIES:
        search(strategy_name, folder / strategy_name, log, seconds_per_cost)
