"""Parallel efficiency: trials per hour in the search's own process (with 1 and with all cores), with the
local executor (1 trial with all cores against one trial per core), and on a local Ray cluster with 1 and 2
trials at a time; the overhead per trial of each path against the in-process one.

The same configurations (a grid of pooled-GloVe TREC-6 classifiers on the tabular benchmark's TREC-6 slice:
``--trials`` of them, 8 by default, ``--epochs`` each) are trained each way, each in a fresh output folder.
A longer grid spreads the local workers' start (flair's import and the corpus, once per worker) over more
trials, as in a real search; so do ``--training-runs`` (each configuration trained that many times, 3 in
flair's tuning tutorial). ``--ray`` adds the Ray ways (the ``ray`` extra).

    python benchmarks/parallel_efficiency.py [--epochs 10] [--trials 32] [--training-runs 3] [--ray]
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
    parser.add_argument("--trials", type=int, default=8, choices=[8, 16, 32], help="size of the grid")
    parser.add_argument("--training-runs", type=int, default=1, help="trainings of each configuration")
    parser.add_argument("--ray", action="store_true", help="also measure the Ray executor")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flair-hpo-parallel-"))
    use_local_data("trec_6", cache=work / "flair")

    import torch
    from flair.embeddings import WordEmbeddings
    from space import load_corpus

    from flair_hpo import Orchestrator
    from flair_hpo import parameters as p
    from flair_hpo.executors import LocalExecutor, RayExecutor
    from flair_hpo.strategies import GridSearch
    from flair_hpo.tasks import TextClassifierSearchSpace

    cores = torch.get_num_threads()
    corpus = load_corpus()
    glove = WordEmbeddings(str(GLOVE_50K))

    def space() -> TextClassifierSearchSpace:
        search_space = TextClassifierSearchSpace(label_type="question_class")
        search_space.add_max_epochs_per_training_run(args.epochs)
        search_space.add_training_runs(args.training_runs)
        search_space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
        learning_rates = [0.05, 0.2, 0.1, 0.4, 0.025, 0.3, 0.0125, 0.15][: args.trials // 4]
        search_space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=sorted(learning_rates))
        search_space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[16, 32])
        search_space.add_parameter(p.ModelTrainer.OPTIMIZER, options=["SGD", "AdamW"])
        return search_space

    ways = {
        "in-process, 1 thread": (1, lambda: None),
        f"in-process, {cores} threads": (cores, lambda: None),
        f"local, 1 trial at a time, {cores} threads": (1, lambda: LocalExecutor(1, threads_per_trial=cores)),
        f"local, {cores} trials at a time, 1 thread each": (1, lambda: LocalExecutor(cores, threads_per_trial=1)),
    }
    if args.ray:
        ways["Ray, 1 trial at a time"] = (1, lambda: RayExecutor(num_cpus=cores, max_concurrent_trials=1))
        ways[f"Ray, {cores} trials at a time"] = (1, lambda: RayExecutor(num_cpus=cores, max_concurrent_trials=cores))
    print(f"{args.trials} trials of {args.training_runs} x {args.epochs} epochs on {cores} cores\n")
    print("| executor | wall time (s) | trials per hour | per trial (s) |")
    print("|---|---|---|---|")
    per_trial = {}
    for name, (threads, make) in ways.items():
        torch.set_num_threads(threads)
        started = time.perf_counter()
        result = Orchestrator(
            corpus, work / name.replace(" ", "-"), space(), GridSearch(seed=0), executor=make()
        ).optimize()
        seconds = time.perf_counter() - started
        assert all(trial.state.value == "completed" for trial in result.trials)
        per_trial[name] = seconds / len(result.trials)
        print(f"| {name} | {seconds:.1f} | {3600 / per_trial[name]:.0f} | {per_trial[name]:.2f} |", flush=True)
    for kind in ("local", "Ray") if args.ray else ("local",):
        one, many = (per_trial[n] for n in per_trial if n.startswith(kind))
        print(
            f"{kind}: {cores} trials at a time train {one / many:.2f}x the trials per hour of 1 trial with {cores} threads"
        )
        print(f"{kind} overhead per trial: {one - per_trial[f'in-process, {cores} threads']:.2f} s")


if __name__ == "__main__":
    main()
