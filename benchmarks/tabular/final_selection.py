"""Seed-aware final selection replayed on the recorded TREC-6 table: the selection regret with and without
it, the training it adds, and how often the reported interval holds the chosen configuration's retrained score.

Each repetition replays one search: flair-hpo's TPE with successive halving (autotune's strategy and rule),
for ``--budget`` full trainings of simulated time. Each trial trains on one recorded seed of its configuration.
- Without final selection, the completed trial with the best observed score is chosen.
- With it, flair-hpo's own :class:`FinalSelection` (3 candidates, 3 runs) picks the candidates. Each one
  trains again on seeds of the table that the trial has not used yet, and the best by mean is chosen.
- Without it, also at the budget plus the training that the final selection added: the same training time,
  spent on searching longer.
- Selection regret: the best configuration's quality minus the chosen one's. Quality is the mean score over
  all of a configuration's recorded seeds; the table holds 10 seeds for its 20 best configurations and 2 for
  the others.
- Interval: flair-hpo's ``score_interval`` for the chosen trial. It holds when the mean of 5 recorded seeds
  of the chosen configuration that the search never used lies inside it. Choices with fewer than 5 unused
  seeds are counted apart.

    python benchmarks/tabular/final_selection.py --repetitions 100 --budget 40
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from pathlib import Path
from typing import Optional

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from replay import DEV_SCORE, SPACE, Table, quartiles  # noqa: E402
from space import MAX_EPOCHS, TABLE, config_id  # noqa: E402

from flair_hpo.early_stopping import SuccessiveHalving  # noqa: E402
from flair_hpo.search.final_selection import FinalSelection, score_interval  # noqa: E402
from flair_hpo.search.outputs import best_trial  # noqa: E402
from flair_hpo.storage import RunRecord, State, TrialRecord  # noqa: E402
from flair_hpo.strategies import TPESearch  # noqa: E402

FRESH_SEEDS = 5


class ReplayedSearch:
    """One search on the table: its trials, the seeds each trial used, and its simulated training time."""

    def __init__(self, table: Table, repetition: int) -> None:
        self.table, self.rng = table, np.random.default_rng(repetition)
        self.strategy = TPESearch(seed=repetition)
        self.strategy.make_configurations(SPACE)
        self.rule = SuccessiveHalving()
        self.rule.bind(MAX_EPOCHS)
        self.trials: list[TrialRecord] = []
        self.used: dict[int, tuple[int, list[int]]] = {}  # trial -> (configuration, seeds)
        self.seconds = 0.0

    def search_until(self, seconds: float) -> None:
        while self.seconds < seconds and (suggestion := self.strategy.ask()) is not None:
            number, config = suggestion.trial_id, config_id(SPACE.decode(suggestion.point))
            seed = self._draw(self.table.seeds_of[config])
            curve = self.table.curves[(config, seed)]
            state, scores = (State.COMPLETED if len(curve) == MAX_EPOCHS else State.FAILED), []
            for epoch, (dev, epoch_seconds) in enumerate(curve, start=1):
                self.seconds += epoch_seconds
                scores.append(dev)
                if self.rule.report(number, 0, epoch, dev) and epoch < MAX_EPOCHS:
                    state = State.STOPPED_EARLY
                    break
            score = DEV_SCORE.run_score(scores, []) if state is not State.FAILED else None
            self.strategy.tell(number, score)
            self.rule.finish(number, state is State.COMPLETED)
            trial = TrialRecord(number, {}, {}, runs=[RunRecord(0, state, dev_scores=scores, score=score)])
            trial.summarize()
            self.trials.append(trial)
            self.used[number] = (config, [seed])

    def select_by_seeds(self, selection: FinalSelection) -> float:
        """Train the candidates again on seeds they have not used; returns the training time this added."""
        added, tried = 0.0, set[int]()
        while candidates := selection.next_candidates(self.trials, DEV_SCORE, tried):
            for trial in candidates:
                tried.add(trial.number)
                config, seeds = self.used[trial.number]
                while len(trial.runs) < selection.runs:
                    unused = [seed for seed in self.table.seeds_of[config] if seed not in seeds]
                    seed = self._draw(unused or self.table.seeds_of[config])
                    curve = self.table.curves[(config, seed)]
                    added += sum(seconds for _, seconds in curve)
                    if len(curve) < MAX_EPOCHS:
                        break  # diverged: left out, as the orchestrator leaves out a further run that fails
                    seeds.append(seed)
                    trial.runs.append(RunRecord(len(trial.runs), State.COMPLETED, score=Table.run_score(curve)))
                trial.summarize()
        return added

    def chosen(self) -> TrialRecord:
        best = best_trial(self.trials, DEV_SCORE)
        assert best is not None
        return best

    def regret(self) -> float:
        return 100 * (self.table.best - self.table.quality[self.used[self.chosen().number][0]])

    def fresh_mean(self) -> Optional[float]:
        """The chosen configuration's mean over 5 recorded seeds the search never used."""
        config, seeds = self.used[self.chosen().number]
        unused = [seed for seed in self.table.seeds_of[config] if seed not in seeds]
        if len(unused) < FRESH_SEEDS:
            return None
        picked = self.rng.choice(unused, FRESH_SEEDS, replace=False)
        return statistics.fmean(Table.run_score(self.table.curves[(config, int(seed))]) for seed in picked)

    def _draw(self, seeds: list[int]) -> int:
        return seeds[int(self.rng.integers(len(seeds)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument("--budget", type=float, default=40, help="in full trainings of the average configuration")
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    table = Table.load(TABLE)
    budget = args.budget * table.full_training_seconds
    selection = FinalSelection(candidates=args.candidates, runs=args.runs)
    without, with_selection, longer, added, holds, widths = [], [], [], [], [], []
    unchecked = 0
    for repetition in range(args.repetitions):
        plain = ReplayedSearch(table, repetition)
        plain.search_until(budget)
        without.append(plain.regret())
        selected = copy.deepcopy(plain)  # the same search, then the final selection
        extra = selected.select_by_seeds(selection)
        added.append(extra / selected.seconds)
        with_selection.append(selected.regret())
        print(f"search {repetition}: regret {without[-1]:.2f} -> {with_selection[-1]:.2f}", file=sys.stderr, flush=True)
        plain.search_until(budget + extra)  # the same training time, spent on searching longer
        longer.append(plain.regret())
        interval, fresh = score_interval(selected.chosen(), selected.trials), selected.fresh_mean()
        if interval is None or fresh is None:
            unchecked += 1
            continue
        holds.append(interval[0] <= fresh <= interval[1])
        widths.append(100 * (interval[1] - interval[0]))
    print(
        f"table: {len(table.quality)} configurations, {table.seeds} seeds; best quality {table.best * 100:.2f}; "
        f"budget {args.budget:g} full trainings; {args.repetitions} searches (TPE + successive halving); "
        f"final selection: {args.candidates} candidates, {args.runs} runs\n"
    )
    print("| selection | regret (points), median [quartiles] | mean regret | training added |")
    print("|---|---|---|---|")
    print(f"| best single run, budget | {quartiles(without)} | {statistics.fmean(without):.2f} | - |")
    print(
        f"| best single run, budget + what the final selection added | {quartiles(longer)} "
        f"| {statistics.fmean(longer):.2f} | {quartiles([100 * a for a in added])} % |"
    )
    print(
        f"| final selection | {quartiles(with_selection)} | {statistics.fmean(with_selection):.2f} "
        f"| {quartiles([100 * a for a in added])} % |"
    )
    print(
        f"\ninterval (95%): the chosen configuration's mean over {FRESH_SEEDS} fresh seeds inside it in "
        f"{sum(holds)} of {len(holds)} searches ({100 * sum(holds) / max(len(holds), 1):.0f}%); width "
        f"{quartiles(widths)} points; {unchecked} searches not checked (their choice has fewer than "
        f"{FRESH_SEEDS} unused seeds in the table)"
    )


if __name__ == "__main__":
    main()
