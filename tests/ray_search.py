"""A small real search on a Ray cluster, run as its own driver process by the cluster tests.

python tests/ray_search.py BASE_PATH FLAIR_CACHE ADDRESS EPOCHS
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resources" / "scripts"))
from local_data import GLOVE_10K, use_local_data  # noqa: E402

if __name__ == "__main__":
    base, cache, address, epochs = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    use_local_data("trec_6", cache=cache)
    import flair
    from flair.datasets import TREC_6
    from flair.embeddings import WordEmbeddings

    from flair_hpo import Orchestrator
    from flair_hpo import parameters as p
    from flair_hpo.executors import RayExecutor
    from flair_hpo.strategies import GridSearch
    from flair_hpo.tasks import TextClassifierSearchSpace

    flair.set_seed(0)
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_max_epochs_per_training_run(epochs)
    space.add_parameter(
        p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(GLOVE_10K), no_header=True)]]
    )
    space.add_parameter(p.ModelTrainer.OPTIMIZER, options=["SGD", "AdamW"])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2])
    executor = RayExecutor(address=address, trial_retries=3)
    result = Orchestrator(TREC_6().downsample(0.05), base, space, GridSearch(seed=0), executor=executor).optimize()
    print("concurrent", executor.max_concurrent_trials, flush=True)
