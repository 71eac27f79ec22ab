"""flair's ModelTrainer with the learning-rate finder, under the tutorial's import path (:mod:`flair_hpo.frontends`)."""

from flair_hpo.frontends.learning_rate_finder import (
    ModelTrainer,
    suggest_fine_tuning_learning_rate,
    suggest_learning_rate,
)

__all__ = ["ModelTrainer", "suggest_fine_tuning_learning_rate", "suggest_learning_rate"]
