"""Parallel efficiency: trials per hour in the search's own process, and on a local Ray cluster with 1
and 2 trials at a time; the overhead per trial of the Ray path against the in-process path.

The same 8 configurations (a grid of pooled-GloVe TREC-6 classifiers, 2 epochs each, on the tabular
benchmark's TREC-6 slice) are trained each way, each in a fresh output folder. Needs the ``ray`` extra.

    python benchmarks/parallel_efficiency.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "resources" / "scripts"))
sys.path.insert(0, str(HERE / "tabular"))
from local_data import GLOVE_50K, use_local_data  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flair-hpo-parallel-"))
    use_local_data("trec_6", cache=work / "flair")

    import ray
    import torch
    from flair.embeddings import WordEmbeddings
    from space import load_corpus

    from flair_hpo import Orchestrator
    from flair_hpo import parameters as p
    from flair_hpo.executors import RayExecutor
    from flair_hpo.strategies import GridSearch
    from flair_hpo.tasks import TextClassifierSearchSpace

    torch.set_num_threads(1)
    corpus = load_corpus()
    glove = WordEmbeddings(str(GLOVE_50K))

    def space() -> TextClassifierSearchSpace:
        search_space = TextClassifierSearchSpace(label_type="question_class")
        search_space.add_max_epochs_per_training_run(args.epochs)
        search_space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
        search_space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.2])
        search_space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[16, 32])
        search_space.add_parameter(p.ModelTrainer.OPTIMIZER, options=["SGD", "AdamW"])
        return search_space

    ways = {
        "in-process": lambda: None,
        "Ray, 1 trial at a time": lambda: RayExecutor(num_cpus=2, max_concurrent_trials=1),
        "Ray, 2 trials at a time": lambda: RayExecutor(num_cpus=2, max_concurrent_trials=2),
    }
    print(f"8 trials of {args.epochs} epochs\n")
    print("| executor | wall time (s) | trials per hour | per trial (s) |")
    print("|---|---|---|---|")
    per_trial = {}
    for name, make in ways.items():
        started = time.perf_counter()
        result = Orchestrator(
            corpus, work / name.replace(" ", "-"), space(), GridSearch(seed=0), executor=make()
        ).optimize()
        seconds = time.perf_counter() - started
        assert all(trial.state.value == "completed" for trial in result.trials)
        per_trial[name] = seconds / len(result.trials)
        print(f"| {name} | {seconds:.1f} | {3600 / per_trial[name]:.0f} | {per_trial[name]:.2f} |", flush=True)
        if ray.is_initialized():
            ray.shutdown()
    speedup = per_trial["Ray, 1 trial at a time"] / per_trial["Ray, 2 trials at a time"]
    print(f"\nparallel efficiency with 2 trials at a time: {speedup / 2:.0%} (speed-up {speedup:.2f}x on 2 cores)")
    print(f"Ray overhead per trial: {per_trial['Ray, 1 trial at a time'] - per_trial['in-process']:.2f} s")


if __name__ == "__main__":
    main()
