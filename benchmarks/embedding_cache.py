"""The embedding cache: wall time of one trial with and without it.

Two trials: a GloVe BiLSTM-CRF tagger on WNUT-17 and a classifier on frozen all-MiniLM-L6-v2 document
embeddings on TREC-6. Each is trained four ways: without the cache and storage mode ``'none'`` (every
embedding computed in every batch), without the cache and storage mode ``'cpu'`` (flair's default, what an
expert uses for frozen embeddings: each sentence embedded once per trial, stored for the later epochs), with
the cache for the first time (its vectors computed once, then served), and with the cache already filled
(every later trial of the search). The speed-ups compare the filled cache with both ways without it.

    python benchmarks/embedding_cache.py --epochs 4 [--cases wnut minilm]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resources" / "scripts"))
from local_data import GLOVE_50K, minilm_path, use_local_data  # noqa: E402


def timed_run(runner: Any, config: dict[str, Any], folder: Path) -> tuple[float, Any]:
    started = time.perf_counter()
    record = runner.run(config, 0, folder, seed=1)
    return time.perf_counter() - started, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--cases", nargs="+", choices=["wnut", "minilm"], default=["wnut", "minilm"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flair-hpo-cache-bench-"))
    use_local_data("trec_6", "wnut_17", cache=work / "flair")

    from flair.datasets import TREC_6, WNUT_17
    from flair.embeddings import WordEmbeddings

    from flair_hpo.search.settings import StudySettings
    from flair_hpo.tasks import SEQUENCE_TAGGING, TEXT_CLASSIFICATION
    from flair_hpo.training.embedding_cache import EmbeddingCache
    from flair_hpo.training.runner import TrialRunner

    cases = {
        "wnut": (
            "GloVe BiLSTM-CRF, WNUT-17",
            WNUT_17(),
            StudySettings(SEQUENCE_TAGGING, label_type="ner", max_epochs=args.epochs),
            {
                "embeddings": [WordEmbeddings(str(GLOVE_50K))],
                "hidden_size": 128,
                "learning_rate": 0.1,
                "mini_batch_size": 32,
            },
        ),
        "minilm": (
            "frozen MiniLM classifier, TREC-6",
            TREC_6(),
            StudySettings(TEXT_CLASSIFICATION, label_type="question_class", max_epochs=args.epochs),
            {
                "document_embeddings": "TransformerDocumentEmbeddings",
                "TransformerDocumentEmbeddings.model": minilm_path(),
                "TransformerDocumentEmbeddings.fine_tune": False,
                "learning_rate": 0.1,
                "mini_batch_size": 32,
            },
        ),
    }
    print(f"{args.epochs} epochs per trial\n")
    print(
        "| trial | without cache, 'none' (s) | without cache, 'cpu' (s) | cache, first trial (s) | cache filled (s) "
        "| speed-up, filled, against 'none' | against 'cpu' | same dev scores |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, corpus, settings, config in (cases[case] for case in args.cases):
        cache = EmbeddingCache(work / name.split(",")[0].replace(" ", "-"))
        without, plain = timed_run(TrialRunner(corpus, settings, save_models=False), config, work / "a")
        stored_settings = dataclasses.replace(settings, embeddings_storage_mode="cpu")
        stored, _ = timed_run(TrialRunner(corpus, stored_settings, save_models=False), config, work / "s")
        cached_runner = TrialRunner(corpus, settings, embedding_cache=cache, save_models=False)
        first, _ = timed_run(cached_runner, config, work / "b")
        filled, cached = timed_run(cached_runner, config, work / "c")
        same = all(abs(a - b) < 1e-6 for a, b in zip(plain.dev_scores, cached.dev_scores))
        print(
            f"| {name} | {without:.1f} | {stored:.1f} | {first:.1f} | {filled:.1f} | {without / filled:.1f}x "
            f"| {stored / filled:.1f}x | {same} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
