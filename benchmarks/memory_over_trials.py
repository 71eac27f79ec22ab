"""Resident memory over many trials on one corpus object: does memory stay flat?

Runs a random search on a TREC-6 slice one trial at a time (each ``optimize()`` call resumes the
journal and adds one trial), and prints the resident memory after each trial and the peak during it.
``--one-search`` runs every trial in one ``optimize()`` call instead, as a search does: its collections after
runs then walk only what the search made (the heap before it is frozen), and this shows that they still free
each run's model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resources" / "scripts"))
from flair_hpo.search.callbacks import SearchCallback  # noqa: E402 (flair itself is imported after the local data is set)
from local_data import GLOVE_10K, GLOVE_50K, use_local_data  # noqa: E402


class PeakSampler:
    """Samples this process's resident memory every 20 ms in a background thread."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0
        self._running = False

    def __enter__(self) -> PeakSampler:
        self.peak, self._running = self.process.memory_info().rss, True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join()


def print_row(row: tuple[int, float, float, float]) -> None:
    print("\t".join(f"{value:.1f}" if isinstance(value, float) else str(value) for value in row), flush=True)


class MemoryRows(SearchCallback):
    """A search callback: the resident memory after each trial, the peak since the previous trial's end."""

    def __init__(self, sampler: PeakSampler, rows: list[tuple[int, float, float, float]]) -> None:
        self.sampler, self.rows = sampler, rows
        self.started = time.monotonic()

    def on_trial_end(self, trial: object, best: object) -> None:
        rss = psutil.Process().memory_info().rss
        row = (len(self.rows) + 1, rss / 2**20, max(self.sampler.peak, rss) / 2**20, time.monotonic() - self.started)
        self.rows.append(row)
        print_row(row)
        self.sampler.peak, self.started = rss, time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--fraction", type=float, default=0.1, help="fraction of TREC-6 to use")
    parser.add_argument("--one-search", action="store_true", help="every trial in one optimize() call")
    arguments = parser.parse_args()

    use_local_data("trec_6")
    import flair
    from flair.datasets import TREC_6
    from flair.embeddings import WordEmbeddings

    from flair_hpo import Orchestrator, parameters, search_spaces, search_strategies

    flair.set_seed(0)
    corpus = TREC_6().downsample(arguments.fraction)
    small, large = WordEmbeddings(str(GLOVE_10K), no_header=True), WordEmbeddings(str(GLOVE_50K))
    space = search_spaces.TextClassifierSearchSpace()
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, low=0.01, high=0.5, log=True)
    space.add_word_embeddings(parameters.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[small], [large, small]])
    space.add_parameter(parameters.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[32, 64, 128])
    space.add_word_embeddings(parameters.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[small], [large]])

    base_path = Path(tempfile.mkdtemp(prefix="memory-benchmark-"))
    print(f"{len(corpus.train)} training sentences, {arguments.trials} trials, outputs in {base_path}")
    print("trial\trss_after_MiB\tpeak_during_MiB\tseconds")
    rows: list[tuple[int, float, float, float]] = []
    if arguments.one_search:
        space.add_budget(parameters.Budget.RUNS, arguments.trials)
        with PeakSampler() as sampler:
            rows_per_trial = MemoryRows(sampler, rows)
            strategy = search_strategies.RandomSearch(seed=0)
            Orchestrator(corpus, base_path, space, strategy, callbacks=[rows_per_trial]).optimize()
    for trial in range(1, 0 if arguments.one_search else arguments.trials + 1):
        space.add_budget(parameters.Budget.RUNS, trial)
        started = time.monotonic()
        with PeakSampler() as sampler:
            Orchestrator(corpus, base_path, space, search_strategies.RandomSearch(seed=0)).optimize()
        rss = psutil.Process().memory_info().rss
        rows.append((trial, rss / 2**20, sampler.peak / 2**20, time.monotonic() - started))
        print_row(rows[-1])
    by_trial = {row[0]: row for row in rows}
    for reference in (10, 50):
        if reference in by_trial and 1 in by_trial:
            print(f"peak at trial {reference} vs trial 1: {by_trial[reference][2] / by_trial[1][2] - 1:+.1%}")
    if 10 in by_trial and arguments.trials in by_trial:
        last = by_trial[arguments.trials]
        print(f"peak at trial {arguments.trials} vs trial 10: {last[2] / by_trial[10][2] - 1:+.1%}")


if __name__ == "__main__":
    main()
