"""The best configuration as JSON that can be loaded again to rebuild and retrain its model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from flair.data import Corpus
from flair.nn import Model

from flair_hpo.errors import ConfigurationError
from flair_hpo.objective import Objective
from flair_hpo.search.settings import StudySettings
from flair_hpo.storage import JOURNAL_NAME
from flair_hpo.tasks import get_task
from flair_hpo.training.embedding_specs import from_spec, to_spec

if TYPE_CHECKING:
    from flair_hpo.training.embedding_cache import EmbeddingCache

BEST_PARAMETERS_NAME = "best_parameters.json"
BEST_MODEL_NAME = "best-model.pt"


@dataclass
class BestConfiguration:
    """A configuration's parameter values together with the settings it was selected under."""

    parameters: dict[str, Any]
    settings: StudySettings
    score: Optional[float] = None
    trial: Optional[int] = None
    score_interval: Optional[tuple[float, float]] = None  # for the expected score (see .final_selection)

    def save(self, path: Union[str, Path]) -> None:
        document = {
            "task": self.settings.task.name,
            "label_type": self.settings.label_type,
            "multi_label": self.settings.multi_label,
            **self.settings.objective.to_json(),
            "max_epochs": self.settings.max_epochs,
            "embeddings_storage_mode": self.settings.embeddings_storage_mode,
            "objective": self.settings.objective_label,
            "score": self.score,
            "trial": self.trial,
            "score_interval": list(self.score_interval) if self.score_interval is not None else None,
            "parameters": {key: to_spec(value) for key, value in self.parameters.items()},
        }
        Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Union[str, Path]) -> BestConfiguration:
        """Read a saved configuration; its embeddings are constructed again through flair."""
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        objective = Objective.from_json(document)
        settings = StudySettings(
            task=get_task(document["task"]),
            label_type=document["label_type"],
            multi_label=document["multi_label"],
            metric=objective.metric,
            optimization_value=objective.value,
            max_epochs=document["max_epochs"],
            embeddings_storage_mode=document["embeddings_storage_mode"],
        )
        parameters = {key: from_spec(value) for key, value in document["parameters"].items()}
        interval = document.get("score_interval")
        return cls(
            parameters, settings, document.get("score"), document.get("trial"), tuple(interval) if interval else None
        )

    def build_model(self, corpus: Corpus[Any]) -> Model[Any]:
        """A fresh, untrained model of this configuration for ``corpus``."""
        from flair_hpo.training.runner import TrialRunner

        return TrialRunner(corpus, self.settings).build(self.parameters)

    def train(
        self,
        corpus: Corpus[Any],
        base_path: Union[str, Path],
        max_epochs: Optional[int] = None,
        seed: int = 0,
        train_with_dev: bool = False,
        quiet: bool = False,
        embedding_cache: Optional[EmbeddingCache] = None,
        plugins: Sequence[Any] = (),
    ) -> Model[Any]:
        """Train this configuration once more with flair's ModelTrainer (on train+dev with ``train_with_dev``);
        the model is saved as ``final-model.pt`` in ``base_path``. ``embedding_cache``: the search's, so that
        embeddings that never change are not computed again; ``plugins``: further flair trainer plugins."""
        from flair_hpo.training.runner import TrialRunner

        settings = self.settings if max_epochs is None else replace(self.settings, max_epochs=max_epochs)
        runner = TrialRunner(corpus, settings, quiet=quiet, embedding_cache=embedding_cache)
        model, _ = runner.train(self.parameters, Path(base_path), seed, plugins, train_with_dev=train_with_dev)
        return model


def load_best_model(base_path: Union[str, Path]) -> Model[Any]:
    """The best model a search saved, loaded through flair from the search's own folder.

    flair's loader unpickles, so only ``best-model.pt`` inside ``base_path`` is read: a link that leads
    out of the folder is refused."""
    folder = Path(base_path).resolve()
    path = (folder / BEST_MODEL_NAME).resolve()
    if path.parent != folder:
        raise ConfigurationError(f"{folder / BEST_MODEL_NAME} leads out of the search folder (to {path}); not loaded.")
    if not folder.is_dir():
        raise ConfigurationError(f"{folder} does not exist: give the base_path (--output) of a search.")
    if not (folder / JOURNAL_NAME).is_file() and not (folder / BEST_PARAMETERS_NAME).is_file():
        raise ConfigurationError(
            f"{folder} is not a search's folder (it holds no {JOURNAL_NAME} nor {BEST_PARAMETERS_NAME}): give the "
            "base_path (--output) of a search; a final model (final-model/final-model.pt) loads with flair's own "
            "Model.load."
        )
    if not path.is_file():
        raise ConfigurationError(
            f"{folder} holds no {BEST_MODEL_NAME}: no trial of this search completed, or the best kept no weights "
            f"(its configuration is in {BEST_PARAMETERS_NAME}, to train again)."
        )
    task = BestConfiguration.load(folder / BEST_PARAMETERS_NAME).settings.task
    return task.model_class.load(path)
