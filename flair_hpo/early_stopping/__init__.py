"""Rules that stop unpromising trials after an epoch: median stopping, successive halving, Hyperband."""

from flair_hpo.early_stopping.base import EarlyStopping
from flair_hpo.early_stopping.hyperband import Hyperband
from flair_hpo.early_stopping.median import MedianStopping
from flair_hpo.early_stopping.successive_halving import SuccessiveHalving

__all__ = ["EarlyStopping", "Hyperband", "MedianStopping", "SuccessiveHalving"]
