"""The fine-tuning learning-rate finder against a grid of learning rates, fine-tuning all-MiniLM-L6-v2.

For each task slice and seed: the grid {1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4}, each learning rate fine-tuned
with flair's fine-tuning recipe (AdamW, weight decay 0.01, linear schedule with 10% warmup, batch 16) for
``--epochs`` epochs and scored on dev; then the finder (``find_learning_rate(..., fine_tune=True)``) on the
same model, its suggestion, its cost against the grid's, and a fine-tuning at the suggestion. Every finder
curve is written beside the JSON results, so other rules can be scored on the same curves.

    python benchmarks/fine_tuning_lr_finder.py --seeds 1 2 3 --output benchmarks/results/lr_finder
    python benchmarks/fine_tuning_lr_finder.py --summary-only   # the table again, from the saved results
    python benchmarks/fine_tuning_lr_finder.py --rescore --tasks wnut17 --train-fraction 0.5 --epochs 3 \
        --output benchmarks/results/lr_finder_wnut17_half   # the current rule on the saved curves, fine-tuned

``--rescore`` applies today's rule to each saved curve and, where its suggestion differs from the one recorded,
fine-tunes at it (same slice, epochs and seed) and saves the dev score as ``at_current_rule``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resources" / "scripts"))
from local_data import minilm_path, use_local_data  # noqa: E402

GRID = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4]


def slices(train_fraction: float) -> dict[str, tuple[Any, Any, str]]:
    """TREC-6 and WNUT-17 with a fraction of their training data (dev kept whole on TREC, halved on WNUT)."""
    import flair
    from flair.datasets import TREC_6, WNUT_17

    from flair_hpo.tasks import SEQUENCE_TAGGING, TEXT_CLASSIFICATION

    flair.set_seed(0)
    trec = TREC_6().downsample(train_fraction, downsample_dev=False, downsample_test=False)
    flair.set_seed(0)
    wnut = WNUT_17().downsample(train_fraction, downsample_dev=True, downsample_test=False)
    return {"trec6": (trec, TEXT_CLASSIFICATION, "question_class"), "wnut17": (wnut, SEQUENCE_TAGGING, "ner")}


def fine_tune(runner: Any, config: dict[str, Any], learning_rate: float, folder: Path, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    record = runner.run({**config, "learning_rate": learning_rate}, 0, folder, seed=seed)
    return {
        "learning_rate": learning_rate,
        "dev": record.dev_scores[-1] if record.dev_scores else None,
        "seconds": time.perf_counter() - started,
        "state": record.state.value,
    }


def runner_and_config(case: tuple[Any, Any, str], args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The trial runner of a task slice and the fine-tuning configuration every learning rate shares."""
    from flair_hpo.search.settings import StudySettings
    from flair_hpo.training.runner import TrialRunner

    corpus, task, label_type = case
    settings = StudySettings(task, label_type=label_type, max_epochs=args.epochs)
    config = {
        **task.fine_tuning_configuration(minilm_path()),
        "recipe": "fine_tune",
        "mini_batch_size": 16,
        "warmup_fraction": 0.1,
        "weight_decay": 0.01,
    }
    return TrialRunner(corpus, settings, save_models=False), config


def one_case(name: str, case: tuple[Any, Any, str], seed: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import torch

    from flair_hpo.trainers import ModelTrainer

    corpus = case[0]
    runner, config = runner_and_config(case, args)
    grid = [fine_tune(runner, config, rate, work / f"{name}-{seed}-{rate}", seed) for rate in GRID]
    model = runner.fresh_model(config, seed)
    started = time.perf_counter()
    trainer = ModelTrainer(model, corpus)
    tsv = trainer.find_learning_rate(
        work / f"{name}-{seed}-finder",
        torch.optim.AdamW,
        mini_batch_size=16,
        iterations=args.iterations,
        fine_tune=True,
        weight_decay=0.01,
    )
    finder_seconds = time.perf_counter() - started
    suggestion = trainer.suggested_learning_rate
    curve = [line.split("\t") for line in tsv.read_text().splitlines()[1:]]
    at_suggestion = fine_tune(runner, config, suggestion, work / f"{name}-{seed}-suggested", seed)
    best = max((entry for entry in grid if entry["dev"] is not None), key=lambda entry: entry["dev"])
    return {
        "task": name,
        "seed": seed,
        "train_sentences": len(corpus.train),
        "dev_sentences": len(corpus.dev),
        "grid": grid,
        "grid_best_learning_rate": best["learning_rate"],
        "grid_best_dev": best["dev"],
        "grid_seconds": sum(entry["seconds"] for entry in grid),
        "finder_iterations": args.iterations,
        "finder_seconds": finder_seconds,
        "suggestion": suggestion,
        "factor_from_grid_best": max(suggestion, best["learning_rate"]) / min(suggestion, best["learning_rate"]),
        "at_suggestion": at_suggestion,
        "curve": [(float(rate), float(loss)) for _, _, rate, loss in curve],
    }


def todays_suggestion(result: dict[str, Any]) -> Optional[float]:
    """Today's rule's suggestion on a saved curve, or None where it is the one the run used."""
    from flair_hpo.trainers import suggest_fine_tuning_learning_rate

    suggestion = suggest_fine_tuning_learning_rate(*zip(*result["curve"]))
    return None if math.isclose(suggestion, result["suggestion"]) else suggestion


def summary(results: list[dict[str, Any]]) -> None:
    """Per task: how far each rule's suggestion lies from the grid's best (on the same recorded curves): the
    rule the run used, today's rule and the classic rule; the dev score at a suggestion where it was fine-tuned
    against the grid's best; and the finder's cost."""
    from flair_hpo.trainers import suggest_learning_rate

    def factor(suggestion: float, best: float) -> float:
        return max(suggestion, best) / min(suggestion, best)

    def current(r: dict[str, Any]) -> tuple[float, Optional[float]]:
        """Today's rule's suggestion on the recorded curve, and the dev score of a fine-tuning there, if run."""
        suggestion = todays_suggestion(r)
        if suggestion is None:
            return r["suggestion"], r["at_suggestion"]["dev"]
        return suggestion, r["at_current_rule"]["dev"] if "at_current_rule" in r else None

    print(
        "\n| task | seed | grid best (dev) | finder as run: suggestion, x from best, dev there "
        "| today's rule: suggestion, x, dev there | classic rule: suggestion, x | finder cost / grid |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        best = r["grid_best_learning_rate"]
        classic = suggest_learning_rate(*zip(*r["curve"]))
        today, dev = current(r)
        print(
            f"| {r['task']} | {r['seed']} | {best:g} ({r['grid_best_dev']:.3f}) | "
            f"{r['suggestion']:.2g}, {r['factor_from_grid_best']:.2f}x, {r['at_suggestion']['dev']:.3f} | "
            f"{today:.2g}, {factor(today, best):.2f}x, {'-' if dev is None else f'{dev:.3f}'} | "
            f"{classic:.2g}, {factor(classic, best):.2f}x | "
            f"{r['finder_seconds'] / r['grid_seconds']:.3f} ({r['finder_seconds']:.0f} s / {r['grid_seconds']:.0f} s) |"
        )
    for name in sorted({r["task"] for r in results}):
        mine = [r for r in results if r["task"] == name]
        factors = [factor(current(r)[0], r["grid_best_learning_rate"]) for r in mine]
        costs = [r["finder_seconds"] / r["grid_seconds"] for r in mine]
        print(
            f"{name}: today's rule {statistics.median(factors):.2f}x from the grid's best, median "
            f"(worst {max(factors):.2f}x); median cost {statistics.median(costs):.3f} of the grid"
        )


def rescore(args: argparse.Namespace, work: Path) -> None:
    """Fine-tune at today's rule's suggestion on each saved curve where it differs from the recorded one."""
    cases = slices(args.train_fraction)
    for path in sorted(args.output.glob("*.json")):
        result = json.loads(path.read_text())
        suggestion = todays_suggestion(result)
        if suggestion is None or result["task"] not in args.tasks:
            continue
        runner, config = runner_and_config(cases[result["task"]], args)
        folder = work / f"{path.stem}-current-rule"
        result["at_current_rule"] = fine_tune(runner, config, suggestion, folder, result["seed"])
        path.write_text(json.dumps(result, indent=1))
        print(f"{path.name}: {suggestion:.2g} (recorded {result['suggestion']:.2g}) scored {result['at_current_rule']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--train-fraction", type=float, default=0.2)
    parser.add_argument("--tasks", nargs="+", default=["trec6", "wnut17"])
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/lr_finder"))
    parser.add_argument("--summary-only", action="store_true", help="print the table of the results in --output")
    parser.add_argument("--rescore", action="store_true", help="fine-tune at today's rule's suggestion, see above")
    args = parser.parse_args()
    if args.summary_only:
        summary([json.loads(path.read_text()) for path in sorted(args.output.glob("*.json"))])
        return
    work = Path(tempfile.mkdtemp(prefix="flair-hpo-lr-finder-"))
    use_local_data("trec_6", "wnut_17", cache=work / "flair")
    if args.rescore:
        rescore(args, work)
        return
    args.output.mkdir(parents=True, exist_ok=True)
    cases = slices(args.train_fraction)
    results = []
    for name in args.tasks:
        for seed in args.seeds:
            result = one_case(name, cases[name], seed, args, work)
            results.append(result)
            (args.output / f"{name}-seed{seed}.json").write_text(json.dumps(result, indent=1))
            print(f"{name} seed {seed} done", flush=True)
    summary(results)


if __name__ == "__main__":
    main()
