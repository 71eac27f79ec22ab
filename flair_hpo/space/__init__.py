"""Where hyperparameters come from: distributions, the space strategies search, hyperopt conversion
(:mod:`flair_hpo.space.hyperopt`, imported on its own so that hyperopt loads only where it is used)."""

from flair_hpo.space.distributions import Categorical, Distribution, Float, Int, Normal, describe_value
from flair_hpo.space.space import Point, PointId, Space

__all__ = ["Categorical", "Distribution", "Float", "Int", "Normal", "Point", "PointId", "Space", "describe_value"]
