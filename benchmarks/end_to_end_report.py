"""Compares the JSON files of ``end_to_end.py``: best dev score, its test score, and when each tool got
within 1 point of the best dev score either tool found.

    python benchmarks/end_to_end_report.py results/*.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Optional


def completed(trials: list[dict]) -> list[dict]:
    return [t for t in trials if t["state"] == "completed" and t["dev"] is not None]


def time_to(trials: list[dict], target: float) -> Optional[float]:
    """When the incumbent (best completed trial so far) first scored ``target`` or more."""
    best = None
    for trial in completed(trials):
        best = trial["dev"] if best is None else max(best, trial["dev"])
        if best >= target:
            return float(trial["end"])
    return None


def best_known(runs: list[dict[str, Any]], dataset: str) -> float:
    return max(t["dev"] for run in runs if run["dataset"] == dataset for t in completed(run["trials"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    runs = [json.loads(path.read_text()) for path in args.files]
    print(
        "| dataset | tool | budget (s) | trials (stopped early) | best dev | its test | time to best known - 1 point (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    for run in sorted(runs, key=lambda r: (r["dataset"], r["tool"])):
        done = completed(run["trials"])
        best = max(done, key=lambda t: t["dev"]) if done else None
        stopped = sum(t["state"] == "stopped_early" for t in run["trials"])
        reached = time_to(run["trials"], best_known(runs, run["dataset"]) - 0.01)
        print(
            f"| {run['dataset']} | {run['tool']} | {run['seconds']:.0f} | {len(run['trials'])} ({stopped}) | "
            f"{best['dev'] * 100:.2f} | {best['test'] * 100:.2f} | {'not reached' if reached is None else f'{reached:.0f}'} |"
            if best
            else f"| {run['dataset']} | {run['tool']} | {run['seconds']:.0f} | {len(run['trials'])} | - | - | - |"
        )


if __name__ == "__main__":
    main()
