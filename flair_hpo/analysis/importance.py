"""Parameter importances: the mean decrease in impurity of a random forest fitted to the trials' scores
(the MDI evaluator Optuna offers beside fANOVA), computed with scikit-learn."""

from __future__ import annotations

import pandas as pd
from sklearn.ensemble import RandomForestRegressor

MINIMUM_TRIALS = 3


def encode_parameters(frame: pd.DataFrame) -> pd.DataFrame:
    """Parameter columns as numbers: numeric ones as they are, others as category codes; inactive as -1."""
    columns = {}
    for column in (c for c in frame.columns if c.startswith("param_")):
        values = frame[column]
        numeric = pd.to_numeric(values, errors="coerce").astype(float)
        if numeric.notna().sum() == values.notna().sum():
            columns[column] = numeric.fillna(-1.0)
        else:
            columns[column] = pd.Series(pd.factorize(values.astype(str))[0], index=frame.index).astype(float)
    return pd.DataFrame(columns, index=frame.index)


def parameter_importances(frame: pd.DataFrame, seed: int = 0) -> pd.Series:
    """Importance of each searched parameter (summing to 1) for the completed trials' scores, largest first;
    empty with fewer than ``MINIMUM_TRIALS`` completed trials, or where no parameter or no score varied."""
    completed = frame[frame["state"] == "completed"]
    varying = [c for c in completed.columns if c.startswith("param_") and completed[c].nunique(dropna=True) > 1]
    features = encode_parameters(completed[["state", *varying]])  # a value that never varies explains nothing
    if len(completed) < MINIMUM_TRIALS or features.empty or completed["score"].nunique() < 2:
        return pd.Series(dtype=float)
    forest = RandomForestRegressor(n_estimators=64, max_depth=64, min_samples_split=2, random_state=seed)
    forest.fit(features.to_numpy(), completed["score"].to_numpy())
    importances = pd.Series(forest.feature_importances_, index=[c.removeprefix("param_") for c in features.columns])
    return importances.sort_values(ascending=False)
