"""A self-contained HTML report of a search: summary, best configuration, plots and the trials table."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Optional, Union

import pandas as pd

from flair_hpo.analysis.plots import plot_optimization_history, plot_parameter_importances, plot_slices
from flair_hpo.analysis.trials_table import load_study, trials_dataframe
from flair_hpo.search.best_configuration import BEST_PARAMETERS_NAME
from flair_hpo.search.final_selection import CONFIDENCE
from flair_hpo.search.outputs import best_trial

REPORT_FOLDER = "report"


def _interval(base_path: Path) -> str:
    """The best configuration's expected score interval, as the search saved it."""
    path = base_path / BEST_PARAMETERS_NAME
    interval = json.loads(path.read_text(encoding="utf-8")).get("score_interval") if path.exists() else None
    if not interval:
        return " (no interval: no configuration ran with several seeds)"
    return f"; expected score {CONFIDENCE:.0%} interval {interval[0]:.4f} to {interval[1]:.4f}"


def build_report(base_path: Union[str, Path], folder: Optional[Path] = None) -> Path:
    """Write the plots as PNG and ``report.html`` (images embedded) into ``base_path/report``; returns the HTML path."""
    study = load_study(base_path)
    frame = trials_dataframe(base_path)
    target = Path(folder) if folder is not None else study.base_path / REPORT_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target / "trials.csv", index=False)
    images = {
        "Optimization history": plot_optimization_history(
            frame, target / "optimization_history.png", study.objective_label, study.objective.minimises
        ),
        "Parameter importances": plot_parameter_importances(frame, target / "parameter_importances.png"),
        "Score against each parameter": plot_slices(frame, target / "slices.png", study.objective_label),
    }
    summary = f"{len(frame)} trials: " + ", ".join(f"{n} {s}" for s, n in frame["state"].value_counts().items())
    best_html = "<p>No trial has a score yet.</p>"
    leader = best_trial(study.trials, study.objective)
    if leader is not None:
        best = frame[frame["number"] == leader.number].iloc[0]
        rows = "".join(
            f"<tr><th>{html.escape(c.removeprefix('param_'))}</th><td>{html.escape(str(best[c]))}</td></tr>"
            for c in frame.columns
            if c.startswith("param_") and pd.notna(best[c])
        )
        spread = f" ± {best['score_std']:.4f}" if pd.notna(best["score_std"]) else ""
        stopped = " (stopped by the time budget: scored by the epochs it reached)" if best["state"] == "stopped" else ""
        best_html = (
            f"<p>Trial {int(best['number'])}{stopped}: {html.escape(study.objective_label)} "
            f"<b>{best['score']:.4f}</b>{spread}{_interval(study.base_path)}</p><table>{rows}</table>"
        )
    figures = "".join(
        f"<h2>{title}</h2><img alt='{title}' src='data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}'>"
        for title, path in images.items()
    )
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>flair-hpo report: {html.escape(str(study.base_path))}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}} table{{border-collapse:collapse;font-size:0.85em}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left}} img{{max-width:100%}}</style></head><body>
<h1>Search in {html.escape(str(study.base_path))}</h1>
<p>{html.escape(summary)}. Task {html.escape(str(study.metadata.get("task")))}, strategy
{html.escape(str(study.metadata.get("strategy")))} (seed {study.metadata.get("seed")}). Selection by
{html.escape(study.objective_label)} on dev data; test scores are information only.</p>
<h2>Best configuration</h2>{best_html}{figures}
<h2>All trials</h2>{_table(frame)}
</body></html>
"""
    report = target / "report.html"
    report.write_text(document, encoding="utf-8")
    return report


def _parameter_text(value: object) -> str:
    """A parameter as it was tried: a learning rate of 3e-05 is not rounded to 0.0000 as scores are."""
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.4g}"
    return "" if value is pd.NA else str(value)


def _table(frame: pd.DataFrame) -> str:
    """The trials as an HTML table: scores and durations with four decimals, parameters as tried."""
    parameters = {column: _parameter_text for column in frame.columns if column.startswith("param_")}
    return frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4f}", formatters=parameters)
