"""A small real search, run in its own process by the fault tests (they kill it at random moments): :func:`main`."""

from __future__ import annotations

from pathlib import Path

from local_data import GLOVE_10K, use_local_data

TRIALS = 4


def search(base_path: Path, events: Path):
    import flair
    from flair.datasets import TREC_6
    from flair.embeddings import WordEmbeddings

    from flair_hpo import Orchestrator
    from flair_hpo import parameters as p
    from flair_hpo.search.callbacks import SearchCallback
    from flair_hpo.strategies import TPESearch
    from flair_hpo.tasks import TextClassifierSearchSpace

    class Events(SearchCallback):
        def on_trial_start(self, trial) -> None:
            with events.open("a") as handle:
                handle.write(f"start {trial.number}\n")

        def on_trial_end(self, trial, best) -> None:
            with events.open("a") as handle:
                handle.write(f"end {trial.number} {trial.state.value}\n")

    flair.set_seed(0)
    corpus = TREC_6().downsample(0.05)
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_max_epochs_per_training_run(2)
    space.add_budget(p.Budget.RUNS, TRIALS)
    space.add_parameter(
        p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(GLOVE_10K), no_header=True)]]
    )
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=1.0, log=True)
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32])
    return Orchestrator(
        corpus, base_path, space, TPESearch(n_startup_trials=2, seed=4), callbacks=[Events()]
    ).optimize()


def main(base_path: Path, flair_cache: Path, events: Path) -> None:
    """The search in ``base_path`` on the local TREC-6 under ``flair_cache``, noting trial starts and ends in ``events``."""
    use_local_data("trec_6", cache=flair_cache)
    search(base_path, events)
