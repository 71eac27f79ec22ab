"""A small real search, run as its own process by the fault tests (they kill it at random moments).

python tests/fault_search.py BASE_PATH FLAIR_CACHE EVENTS_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resources" / "scripts"))
from local_data import GLOVE_10K, use_local_data  # noqa: E402

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


if __name__ == "__main__":
    base, cache, events_file = (Path(argument) for argument in sys.argv[1:4])
    use_local_data("trec_6", cache=cache)
    search(base, events_file)
