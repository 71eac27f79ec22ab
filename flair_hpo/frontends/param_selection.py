"""The classic parameter-selection API of flair's tuning tutorial, as a thin front-end of the orchestrator.

search_space = SearchSpace()
search_space.add(Parameter.HIDDEN_SIZE, hp.choice, options=[32, 64, 128])
SequenceTaggerParamSelector(corpus, "ner", "resources/results", max_epochs=50).optimize(search_space, max_evals=100)
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Optional, Union

from flair.data import Corpus

from flair_hpo.early_stopping import EarlyStopping
from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.objective import EvaluationMetric, OptimizationValue
from flair_hpo.search.orchestrator import Orchestrator
from flair_hpo.search.settings import Budget, parse_duration
from flair_hpo.space.hyperopt import from_hyperopt
from flair_hpo.storage import SearchResult
from flair_hpo.strategies import SearchStrategy, TPESearch
from flair_hpo.tasks import SEQUENCE_TAGGING, TEXT_CLASSIFICATION, ModelTask, TaskSearchSpace
from flair_hpo.tasks.parameters import ModelTrainer
from flair_hpo.tasks.recipe_checks import SGD_SIZED_LEARNING_RATE, learning_rate_bounds
from flair_hpo.tasks.text_classification import TransformerDocumentEmbeddings
from flair_hpo.training.recipes import FINE_TUNING_RECIPE

log = logging.getLogger("flair_hpo")

__all__ = [
    "EvaluationMetric",
    "OptimizationValue",
    "Parameter",
    "SearchSpace",
    "SequenceTaggerParamSelector",
    "TextClassifierParamSelector",
]


class Parameter(Enum):
    """The classic, task-independent parameter names; each selector maps them onto its model."""

    EMBEDDINGS = "embeddings"
    HIDDEN_SIZE = "hidden_size"
    USE_CRF = "use_crf"
    USE_RNN = "use_rnn"
    RNN_LAYERS = "rnn_layers"
    RNN_TYPE = "rnn_type"
    BIDIRECTIONAL = "bidirectional"
    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"
    REPROJECT_EMBEDDINGS = "reproject_embeddings"
    REPROJECT_WORDS = "reproject_words"
    REPROJECT_WORDS_DIMENSION = "reproject_words_dimension"
    LEARNING_RATE = "learning_rate"
    DECODER_LEARNING_RATE = "decoder_learning_rate"
    MINI_BATCH_SIZE = "mini_batch_size"
    ANNEAL_FACTOR = "anneal_factor"
    ANNEAL_WITH_RESTARTS = "anneal_with_restarts"
    MIN_LEARNING_RATE = "min_learning_rate"
    PATIENCE = "patience"
    OPTIMIZER = "optimizer"
    MOMENTUM = "momentum"
    WEIGHT_DECAY = "weight_decay"
    MAX_GRAD_NORM = "max_grad_norm"
    RECIPE = "recipe"
    SCHEDULER = "scheduler"
    WARMUP_FRACTION = "warmup_fraction"
    TRANSFORMER_MODEL = "model"
    LAYERS = "layers"
    FINE_TUNE = "fine_tune"
    LAYER_MEAN = "layer_mean"
    CLS_POOLING = "cls_pooling"
    SUBTOKEN_POOLING = "subtoken_pooling"
    USE_CONTEXT = "use_context"


class SearchSpace:
    """Parameters with hyperopt expressions, e.g. ``add(Parameter.DROPOUT, hp.uniform, low=0.0, high=0.5)``."""

    def __init__(self) -> None:
        self.search_space: dict[Parameter, tuple[Callable[..., Any], dict[str, Any]]] = {}

    def add(self, parameter: Parameter, func: Callable[..., Any], **kwargs: Any) -> None:
        if not isinstance(parameter, Parameter):
            raise ConfigurationError(f"{parameter!r} is not a Parameter; use e.g. Parameter.HIDDEN_SIZE.")
        from_hyperopt(func, parameter.value, **kwargs)  # validates now, before any training
        self.search_space[parameter] = (func, kwargs)


class ParamSelector:
    """Runs a search of a classic :class:`SearchSpace`; ``max_evals`` configurations, each trained ``training_runs`` times.
    Each ``optimize`` call searches the space it is given, and only that one."""

    task: ModelTask

    def __init__(
        self,
        corpus: Corpus,
        base_path: Union[str, Path],
        max_epochs: int = 50,
        evaluation_metric: Union[EvaluationMetric, str] = EvaluationMetric.MICRO_F1_SCORE,
        training_runs: int = 1,
        optimization_value: OptimizationValue = OptimizationValue.DEV_LOSS,
        *,
        search_strategy: Optional[SearchStrategy] = None,
        seed: Optional[int] = None,
        time_limit: Union[None, float, str, timedelta] = None,
        early_stopping: Optional[EarlyStopping] = None,
    ) -> None:
        self.corpus = corpus
        self.early_stopping = early_stopping
        self.base_path = Path(base_path)
        if (
            search_strategy is not None
            and seed is not None
            and (search_strategy.seed, search_strategy.seed_given) != (seed, True)
        ):
            raise ConfigurationError(
                f"seed={seed} is for the default strategy, but search_strategy={search_strategy.name} was given "
                f"(seed {search_strategy.seed if search_strategy.seed_given else 'not given'}): give the seed to it, "
                f"e.g. {search_strategy.name}(seed={seed})."
            )
        self.search_strategy = search_strategy if search_strategy is not None else TPESearch(seed=seed)
        self.time_limit = parse_duration(time_limit) if time_limit is not None else None
        self.max_epochs = max_epochs
        self.training_runs = training_runs
        self.evaluation_metric = evaluation_metric
        self.optimization_value = optimization_value
        self._task_space()  # checks the settings now, before any search

    def _task_space(self) -> TaskSearchSpace:
        """An empty search space of the selector's task, with its settings."""
        space = self.task.new_search_space(self._label_type())
        space.add_max_epochs_per_training_run(self.max_epochs)
        space.add_training_runs(self.training_runs)
        space.add_evaluation_metric(self.evaluation_metric)
        space.add_optimization_value(self.optimization_value)
        return space

    def _label_type(self) -> Optional[str]:
        raise NotImplementedError

    def _translate(self, search_space: SearchSpace) -> TaskSearchSpace:
        if not isinstance(search_space, SearchSpace) or not search_space.search_space:
            raise ConfigurationError("the search space is empty: add at least one parameter to search over.")
        space = self._task_space()
        mapping = self.task.classic_parameters
        for parameter, (func, kwargs) in search_space.search_space.items():
            if parameter.name not in mapping:
                fitting = ", ".join(sorted(mapping))
                raise ConfigurationError(
                    f"Parameter.{parameter.name} does not fit {type(self).__name__}; parameters that do: {fitting}."
                )
            space.add_parameter(mapping[parameter.name], func, **kwargs)
        return space

    def optimize(self, search_space: SearchSpace, max_evals: int = 100) -> SearchResult:
        """Evaluate up to ``max_evals`` configurations (fewer if the time limit comes first); returns the result."""
        max_evals = check_positive("max_evals", max_evals, integer=True)
        space = self._translate(search_space)
        space.add_budget(Budget.RUNS, max_evals)
        if self.time_limit is not None:
            space.add_budget(Budget.TIME_IN_S, self.time_limit)
        return Orchestrator(
            self.corpus, self.base_path, space, self.search_strategy, early_stopping=self.early_stopping
        ).optimize()


class SequenceTaggerParamSelector(ParamSelector):
    """Selects the parameters of a flair ``SequenceTagger`` for ``tag_type``."""

    task = SEQUENCE_TAGGING

    def __init__(self, corpus: Corpus, tag_type: str, base_path: Union[str, Path], *args: Any, **kwargs: Any) -> None:
        """``args``: flair's ``max_epochs``, ``evaluation_metric``, ``training_runs``, ``optimization_value``."""
        self.tag_type = tag_type
        super().__init__(corpus, base_path, *args, **kwargs)

    def _label_type(self) -> Optional[str]:
        return self.tag_type


class TextClassifierParamSelector(ParamSelector):
    """Selects the parameters of a flair ``TextClassifier`` over transformer or RNN document embeddings."""

    task = TEXT_CLASSIFICATION

    def __init__(
        self,
        corpus: Corpus,
        label_type: str,
        multi_label: bool,
        base_path: Union[str, Path],
        max_epochs: int = 50,
        fine_tune: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        """In flair's order; ``args``: ``evaluation_metric``, ``training_runs``, ``optimization_value``."""
        self.label_type = label_type
        self.multi_label = multi_label
        self.fine_tune = fine_tune
        super().__init__(corpus, base_path, max_epochs, *args, **kwargs)

    def _label_type(self) -> Optional[str]:
        return self.label_type

    def _task_space(self) -> TaskSearchSpace:
        space = super()._task_space()
        space.multi_label = self.multi_label
        return space

    def _translate(self, search_space: SearchSpace) -> TaskSearchSpace:
        """With a transformer in the space, ``fine_tune`` (unless the space sets it) decides whether it is
        fine-tuned, and fine-tuning uses flair's fine-tuning recipe (unless the space sets ``RECIPE``)."""
        space = super()._translate(search_space)
        given = search_space.search_space
        if Parameter.TRANSFORMER_MODEL in given:
            if Parameter.FINE_TUNE not in given:
                space.set_fixed(TransformerDocumentEmbeddings.FINE_TUNE, self.fine_tune)
            if self.fine_tune and Parameter.RECIPE not in given:
                self._fine_tuning_recipe(space)
        return space

    @staticmethod
    def _fine_tuning_recipe(space: TaskSearchSpace) -> None:
        """Fine-tune by flair's fine-tuning recipe (AdamW), unless every learning rate searched is SGD-sized (the
        tutorial's 0.05 to 0.2): those keep flair's ``train`` recipe (SGD), as flair's own selector trained."""
        learning_rates = learning_rate_bounds(space)
        if learning_rates is None or learning_rates[0] <= SGD_SIZED_LEARNING_RATE:
            space.set_fixed(ModelTrainer.RECIPE, FINE_TUNING_RECIPE)
            return
        log.warning(
            "learning rates from %g are SGD's: the transformer is fine-tuned by flair's train recipe (SGD), as "
            "flair's selector does; for the fine-tuning recipe (AdamW), search learning rates of 1e-5 to 1e-4",
            learning_rates[0],
        )
