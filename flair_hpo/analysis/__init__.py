"""Trials as a DataFrame, plots of a search, and a self-contained HTML report, all rebuilt from the journal."""

from flair_hpo.analysis.importance import parameter_importances
from flair_hpo.analysis.plots import plot_optimization_history, plot_parameter_importances, plot_slices
from flair_hpo.analysis.report import build_report
from flair_hpo.analysis.trials_table import load_study, trials_dataframe

__all__ = [
    "build_report",
    "load_study",
    "parameter_importances",
    "plot_optimization_history",
    "plot_parameter_importances",
    "plot_slices",
    "trials_dataframe",
]
