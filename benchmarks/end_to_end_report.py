"""Compares the JSON files of ``end_to_end.py``, grouped by search (tool, space, Optuna's objective and pruner),
as medians over seeds: the best dev score, its test score, and the time each search took to reach the final
best dev score of the correct Optuna study with the same seed (a search that never reached it counts its
whole budget).

    python benchmarks/end_to_end_report.py results/*.json
"""

from __future__ import annotations

import argparse
import json
import statistics
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


def variant(run: dict[str, Any]) -> str:
    """The tool and how it was run: the space, and for Optuna the objective and pruner."""
    options = run.get("options", {})
    space = f"/{options.get('space', 'mixed')}" if run["dataset"] == "trec" else ""  # only TREC-6 has spaces
    name = f"{run['dataset']}{space} {run['tool']}"
    if run["tool"] == "optuna":
        return f"{name} ({options.get('objective', 'tutorial')}, {options.get('pruner', 'median')} pruner)"
    strategy = options.get("strategy", "tpe")
    return f"{name} ({strategy}{' + successive halving' if options.get('early_stopping', True) else ''})"


def best_of(trials: list[dict]) -> Optional[dict]:
    done = completed(trials)
    return max(done, key=lambda t: t["dev"]) if done else None


def median(values: list[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    runs = [json.loads(path.read_text()) for path in args.files]
    # the reference per dataset, space and seed: the correct Optuna study's final best dev score
    reference = {
        (run["dataset"], run["options"]["space"], run["options"]["seed"]): best_of(run["trials"])
        for run in runs
        if run["tool"] == "optuna" and run.get("options", {}).get("objective") == "correct"
    }
    groups: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault(variant(run), []).append(run)
    print(
        "| search | seeds | budget (s) | trials (stopped early), median | best dev, median | its test, median "
        "| time to the correct Optuna study's final best (s), median | reached |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, group in sorted(groups.items()):
        bests = [best_of(run["trials"]) for run in group]
        times, reached = [], 0
        for run in group:
            options = run.get("options", {})
            target = reference.get((run["dataset"], options.get("space", "mixed"), options.get("seed", 0)))
            if target is None:
                continue
            when = time_to(run["trials"], target["dev"])
            reached += when is not None
            times.append(when if when is not None else float(run["seconds"]))
        trials = median([len(run["trials"]) for run in group])
        stopped = median([sum(t["state"] == "stopped_early" for t in run["trials"]) for run in group])
        dev = median([b["dev"] * 100 for b in bests if b])
        test = median([b["test"] * 100 for b in bests if b and b["test"] is not None])
        print(
            f"| {name} | {len(group)} | {group[0]['seconds']:.0f} | {trials:g} ({stopped:g}) | "
            f"{dev:.2f} | {test:.2f} | {f'{median(times):.0f}' if times else '-'} | {reached} of {len(times)} |"
        )


if __name__ == "__main__":
    main()
