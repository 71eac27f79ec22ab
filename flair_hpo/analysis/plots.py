"""Plots of a search, saved as PNG files."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from flair_hpo.analysis.importance import parameter_importances  # noqa: E402


def history_markers(frame: pd.DataFrame, minimises: bool) -> dict[str, pd.DataFrame]:
    """The trials of the history plot by how they are drawn (``number`` and ``score``): completed ones; those
    stopped (by the time budget or early) at the score they reached; failed ones, and stopped ones without a
    score, at the worst score of the search."""
    completed = frame[frame["state"] == "completed"].sort_values("number")
    reached = frame[frame["state"].isin(["stopped", "stopped_early"]) & frame["score"].notna()]
    others = frame[(frame["state"] != "completed") & ~frame.index.isin(reached.index)]
    scored = frame["score"].dropna()
    worst = (scored.max() if minimises else scored.min()) if not scored.empty else 0.0
    return {
        "trial score": completed[["number", "score"]],
        "stopped: score reached": reached[["number", "score"]],
        "failed or stopped without a score": others[["number"]].assign(score=worst),
    }


def plot_optimization_history(frame: pd.DataFrame, path: Path, objective_label: str, minimises: bool) -> Path:
    """Each completed trial's score, the best so far as a line, stopped trials at the score they reached, and
    the others marked at the worst score."""
    figure, axes = plt.subplots(figsize=(8, 4.5))
    markers = history_markers(frame, minimises)
    completed = markers["trial score"]
    axes.scatter(completed["number"], completed["score"], color="tab:blue", label="trial score", zorder=3)
    best = completed["score"].cummin() if minimises else completed["score"].cummax()
    axes.step(completed["number"], best, where="post", color="tab:red", label="best so far")
    for label, (marker, color) in {
        "stopped: score reached": ("^", "tab:orange"),
        "failed or stopped without a score": ("x", "gray"),
    }.items():
        if not markers[label].empty:
            axes.scatter(markers[label]["number"], markers[label]["score"], marker=marker, color=color, label=label)
    axes.set_xlabel("trial")
    axes.set_ylabel(objective_label)
    axes.set_title("Optimization history")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_parameter_importances(frame: pd.DataFrame, path: Path) -> Path:
    """A bar per searched parameter: its share of the score's variation a random forest attributes to it."""
    importances = parameter_importances(frame)
    figure, axes = plt.subplots(figsize=(8, 0.5 * max(len(importances), 2) + 1.5))
    if importances.empty:
        axes.text(
            0.5,
            0.5,
            "needs at least 3 completed trials\nwith a varying parameter and varying scores",
            ha="center",
            va="center",
        )
        axes.set_axis_off()
    else:
        ordered = importances.iloc[::-1]
        axes.barh(ordered.index, ordered.to_numpy(), color="tab:green")
        for position, value in enumerate(ordered.to_numpy()):
            axes.text(value, position, f" {value:.2f}", va="center")
        axes.set_xlabel("importance (mean decrease in impurity, sums to 1)")
        axes.set_xlim(0, min(1.0, ordered.max() * 1.25))
    axes.set_title("Parameter importances")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_slices(frame: pd.DataFrame, path: Path, objective_label: str) -> Path:
    """One panel per parameter: the score of every completed trial against that parameter's value."""
    completed = frame[frame["state"] == "completed"]
    columns = [c for c in frame.columns if c.startswith("param_") and completed[c].nunique(dropna=True) > 1]
    count = max(len(columns), 1)
    width = min(count, 3)
    figure, grid = plt.subplots(math.ceil(count / width), width, figsize=(4.2 * width, 3.4 * math.ceil(count / width)))
    panels = list(getattr(grid, "flat", [grid]))
    for axes, column in zip(panels, columns):
        active = completed[completed[column].notna()]  # a conditional parameter is inactive in some trials
        values = active[column]
        numeric = pd.to_numeric(values, errors="coerce").astype(float)
        if numeric.notna().all():
            axes.scatter(numeric, active["score"], c=active["number"], cmap="viridis")
            if numeric.min() > 0 and numeric.max() / numeric.min() > 100:
                axes.set_xscale("log")
        else:
            labels = sorted(values.astype(str).unique())
            positions = values.astype(str).map({label: i for i, label in enumerate(labels)})
            axes.scatter(positions, active["score"], c=active["number"], cmap="viridis")
            axes.set_xticks(range(len(labels)), [label[:24] for label in labels], rotation=20, ha="right", fontsize=8)
        axes.set_title(column.removeprefix("param_"), fontsize=9)
        axes.set_ylabel(objective_label, fontsize=8)
        axes.grid(alpha=0.3)
    for axes in panels[len(columns) :]:
        axes.set_axis_off()
    if not columns:
        panels[0].text(0.5, 0.5, "no parameter varied among completed trials", ha="center", va="center")
    figure.suptitle("Score against each parameter (colour: trial number)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
