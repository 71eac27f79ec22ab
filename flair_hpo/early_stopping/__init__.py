"""Rules that stop unpromising trials after an epoch: median stopping, successive halving, Hyperband."""

from flair_hpo.early_stopping.base import EARLY_STOPPING, NO_RULE, EarlyStopping, make_rule, rule_names
from flair_hpo.early_stopping.hyperband import Hyperband
from flair_hpo.early_stopping.median import MedianStopping
from flair_hpo.early_stopping.successive_halving import SuccessiveHalving

__all__ = [
    "EARLY_STOPPING",
    "NO_RULE",
    "EarlyStopping",
    "make_rule",
    "rule_names",
    "Hyperband",
    "MedianStopping",
    "SuccessiveHalving",
]
