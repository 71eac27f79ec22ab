"""The one-training ratio: the wall time flair-hpo needed to get within 1 point of the best known dev
score, divided by the wall time of one default flair training of its best configuration.

The default training is what a user who already knew the configuration would run: flair's
``ModelTrainer.train`` with the configuration's learning rate, mini-batch size and optimizer, and
flair's defaults for everything else (100 epochs at most, learning-rate annealing on plateaus,
``embeddings_storage_mode='cpu'``).

    python benchmarks/one_training_ratio.py trec --search-folder results/trec-search \\
        --results results/trec-flair-hpo.json results/trec-optuna.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "resources" / "scripts"))
from end_to_end import load  # noqa: E402
from end_to_end_report import completed, time_to  # noqa: E402

from local_data import use_local_data  # noqa: E402


def best_known(runs: list[dict[str, Any]], dataset: str) -> float:
    """The best dev score any of the runs on ``dataset`` reached."""
    return max(t["dev"] for run in runs if run["dataset"] == dataset for t in completed(run["trials"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=["trec", "wnut"])
    parser.add_argument("--search-folder", type=Path, required=True)
    parser.add_argument("--results", type=Path, nargs="+", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    runs = [json.loads(path.read_text()) for path in args.results]
    ours = next(run for run in runs if run["tool"] == "flair-hpo" and run["dataset"] == args.dataset)
    target = best_known(runs, args.dataset) - 0.01
    searched = time_to(ours["trials"], target)

    work = Path(tempfile.mkdtemp(prefix="flair-hpo-ratio-"))
    use_local_data("trec_6", "wnut_17", cache=work / "flair")
    from flair.trainers import ModelTrainer

    from flair_hpo.search.best_configuration import BestConfiguration
    from flair_hpo.training.trainer_arguments import resolve_optimizer

    corpus, _ = load(args.dataset)
    best = BestConfiguration.load(args.search_folder / "best_parameters.json")
    model = best.build_model(corpus)
    parameters = best.parameters
    started = time.perf_counter()
    ModelTrainer(model, corpus).train(
        work / "default",
        learning_rate=parameters.get("learning_rate", 0.1),
        mini_batch_size=parameters.get("mini_batch_size", 32),
        optimizer=resolve_optimizer(parameters.get("optimizer", "SGD")),
    )
    default_training = time.perf_counter() - started
    print(
        f"best known dev {100 * (target + 0.01):.2f}; flair-hpo within 1 point after "
        f"{'never' if searched is None else f'{searched:.0f} s'}; one default training {default_training:.0f} s; "
        f"ratio {'-' if searched is None else f'{searched / default_training:.2f}'}"
    )


if __name__ == "__main__":
    main()
