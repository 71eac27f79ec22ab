"""Records the tabular benchmark: every configuration of a TREC-6 classifier space, trained for real.

For each of the 200 configurations in ``space.py`` and each seed, one flair training of up to 9 epochs
on a fixed TREC-6 slice (about 1,470 training, 545 dev and the 500 official test questions), with the
dev accuracy, dev loss, test accuracy and wall time of every epoch. Rows are appended to
``trec6_table.csv`` as they finish, so an interrupted recording continues where it stopped.

    python benchmarks/tabular/record_table.py --seeds 2
    python benchmarks/tabular/record_table.py --seeds 5 --top 20   # more seeds for the 20 best configurations
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "resources" / "scripts"))
sys.path.insert(0, str(HERE))
from space import MAX_EPOCHS, TABLE, configurations, decode, load_corpus  # noqa: E402

from local_data import use_local_data  # noqa: E402

COLUMNS = ["config", "seed", "epoch", "dev_score", "dev_loss", "test_score", "seconds"]


def test_curve_plugin(corpus: Any, label_type: str) -> Any:
    """A trainer plugin timing each epoch (training and dev evaluation) and scoring the test split after it."""
    from flair.trainers.plugins import TrainerPlugin

    class TestCurve(TrainerPlugin):
        def __init__(self) -> None:
            super().__init__()
            self.test_scores: list[float] = []
            self.seconds: list[float] = []
            self._started = 0.0

        @TrainerPlugin.hook
        def before_training_epoch(self, **kw: Any) -> None:
            self._started = time.perf_counter()

        @TrainerPlugin.hook
        def after_evaluation(self, **kw: Any) -> None:
            self.seconds.append(time.perf_counter() - self._started)
            result = self.trainer.model.evaluate(list(corpus.test), gold_label_type=label_type, mini_batch_size=64)
            self.test_scores.append(result.main_score)

    return TestCurve()


def best_configurations(table: Path, count: int) -> set[int]:
    """The ``count`` configurations with the best mean score (mean of the last three dev scores) so far."""
    curves: dict[tuple[int, int], list[float]] = {}
    with table.open() as handle:
        for row in csv.DictReader(handle):
            curves.setdefault((int(row["config"]), int(row["seed"])), []).append(float(row["dev_score"]))
    scores: dict[int, list[float]] = {}
    for (config, _), dev in curves.items():
        scores.setdefault(config, []).append(statistics.fmean(dev[-3:]) if len(dev) == MAX_EPOCHS else 0.0)
    return set(sorted(scores, key=lambda config: -statistics.fmean(scores[config]))[:count])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=TABLE)
    parser.add_argument("--top", type=int, help="record only the configurations best by the table so far")
    args = parser.parse_args()

    import torch

    from flair_hpo.search.settings import StudySettings
    from flair_hpo.tasks import TEXT_CLASSIFICATION
    from flair_hpo.training.embedding_cache import EmbeddingCache
    from flair_hpo.training.runner import TrialRunner

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="flair-hpo-table-"))
    use_local_data("trec_6", cache=work / "flair")
    corpus = load_corpus()
    settings = StudySettings(TEXT_CLASSIFICATION, label_type="question_class", max_epochs=MAX_EPOCHS)
    runner = TrialRunner(corpus, settings, embedding_cache=EmbeddingCache(work / "cache"), save_models=False)
    done: set[tuple[int, int]] = set()
    if args.output.exists():
        with args.output.open() as handle:
            done = {(int(row["config"]), int(row["seed"])) for row in csv.DictReader(handle)}
    else:
        with args.output.open("w", newline="") as handle:
            csv.writer(handle).writerow(COLUMNS)
    chosen = best_configurations(args.output, args.top) if args.top else None
    started = time.time()
    for index, point in enumerate(configurations()):
        if chosen is not None and index not in chosen:
            continue
        for seed in range(args.seeds):
            if (index, seed) in done:
                continue
            curve = test_curve_plugin(corpus, "question_class")
            record = runner.run(decode(point), 0, work / "run", seed=seed, plugins=[curve])
            shutil.rmtree(work / "run", ignore_errors=True)
            rows = [
                [index, seed, epoch + 1, record.dev_scores[epoch], record.dev_losses[epoch], test, seconds]
                for epoch, (test, seconds) in enumerate(zip(curve.test_scores, curve.seconds))
            ]
            if record.state.value != "completed":  # diverged: the epochs it ran, then nothing
                print(f"config {index} seed {seed}: {record.state.value} ({record.error})", flush=True)
            with args.output.open("a", newline="") as handle:
                csv.writer(handle).writerows(rows)
            print(
                f"config {index:3d} seed {seed}: {len(rows)} epochs, best dev {max(record.dev_scores, default=0):.3f}, "
                f"{sum(curve.seconds):.1f}s ({time.time() - started:.0f}s in all)",
                flush=True,
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
