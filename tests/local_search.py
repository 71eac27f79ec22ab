"""A small real search with the local executor (two worker processes), run as its own process by the tests.

python tests/local_search.py BASE_PATH FLAIR_CACHE EVENTS_FILE [OPTIMIZER]

OPTIMIZER: an optimizer of tests/killing_optimizers.py that every trial uses (the workers need tests/ on
their PYTHONPATH).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resources" / "scripts"))
from local_data import GLOVE_10K, use_local_data  # noqa: E402

LEARNING_RATES = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]


def search(base_path: Path, events: Path, optimizer: str | None = None):
    import flair
    from flair.datasets import TREC_6
    from flair.embeddings import WordEmbeddings

    from flair_hpo import LocalExecutor, Orchestrator
    from flair_hpo import parameters as p
    from flair_hpo.search.callbacks import SearchCallback
    from flair_hpo.strategies import GridSearch
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
    space.add_parameter(
        p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(GLOVE_10K), no_header=True)]]
    )
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=LEARNING_RATES)
    if optimizer is not None:
        import killing_optimizers

        space.set_fixed(p.ModelTrainer.OPTIMIZER, getattr(killing_optimizers, optimizer))
    return Orchestrator(
        corpus, base_path, space, GridSearch(), callbacks=[Events()], executor=LocalExecutor(2)
    ).optimize()


if __name__ == "__main__":
    base, cache, events_file = (Path(argument) for argument in sys.argv[1:4])
    use_local_data("trec_6", cache=cache)
    search(base, events_file, sys.argv[4] if len(sys.argv) > 4 else None)
