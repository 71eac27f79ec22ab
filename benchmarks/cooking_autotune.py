"""fastText's autotune example, the flair-hpo way: cooking.stackexchange, 5 minutes, f1 of the top label.

fastText's page runs ``fasttext supervised -input cooking.train -output model_cooking
-autotune-validation cooking.valid`` (5 minutes, f1, 1 prediction) and reports the tuned model's precision
and recall at 1 on cooking.valid. This runs ``flair-hpo tune`` on the same two files with the same budget
and metric, then scores the final model the same way.

    python benchmarks/cooking_autotune.py --duration 5m --embeddings ../shared/data/embeddings/glove.6B.50d.top50k.gensim
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def precision_recall_at_1(model_path: Path, valid: Path) -> tuple[float, float, int]:
    """P@1 and R@1 of the saved model on fastText's validation file, as ``fasttext test`` computes them."""
    from flair.data import Sentence
    from flair.models import TextClassifier

    model = TextClassifier.load(model_path)
    lines = [line.split() for line in valid.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = [{w[len("__label__") :] for w in words if w.startswith("__label__")} for words in lines]
    sentences = [Sentence(" ".join(w for w in words if not w.startswith("__label__"))) for words in lines]
    model.predict(sentences, label_name="top", return_probabilities_for_all_classes=True, mini_batch_size=64)
    correct = 0
    for sentence, labels in zip(sentences, gold):
        predicted = max(sentence.get_labels("top"), key=lambda label: label.score)
        correct += predicted.value in labels
    return correct / len(sentences), correct / sum(len(labels) for labels in gold), len(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", default="5m")
    parser.add_argument("--embeddings", default=str(DATA / "embeddings" / "glove.6B.50d.top50k.gensim"))
    parser.add_argument("--output", default="cooking-autotune")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="further `flair-hpo tune` options")
    arguments = parser.parse_args()
    folder = DATA / "datasets" / "cooking"
    command = [sys.executable, "-m", "flair_hpo", "tune", str(folder), "--metric", "f1", "--predictions", "1"]
    command += ["--duration", arguments.duration, "--embeddings", arguments.embeddings, "--output", arguments.output]
    command += arguments.extra
    print(" ".join(command), flush=True)
    started = time.monotonic()
    subprocess.run(command, check=True)
    wall = time.monotonic() - started
    with open(Path(arguments.output) / "trials.tsv", encoding="utf-8") as handle:
        trials = list(csv.DictReader(handle, delimiter="\t"))
    states = Counter(row["state"] for row in trials)
    scored = [float(row["score"]) for row in trials if row["score"]]
    precision, recall, count = precision_recall_at_1(
        Path(arguments.output) / "final-model" / "final-model.pt", folder / "cooking.valid"
    )
    print(f"wall time of the command: {wall:.0f} s")
    print(f"trials: {len(trials)} {dict(states)}; best dev f1@top1 during the search: {max(scored, default=0):.4f}")
    print(f"final model on cooking.valid: N {count}  P@1 {precision:.3f}  R@1 {recall:.3f}")


if __name__ == "__main__":
    main()
