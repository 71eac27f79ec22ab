"""The search space of the orchestrator API: parameters to search over and the steering settings of one task.

search_space = TextClassifierSearchSpace()
search_space.add_budget(Budget.TIME_IN_H, 24)
search_space.add_parameter(ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
search_space.add_parameter(DocumentRNNEmbeddings.DROPOUT, low=0.0, high=0.5)

Each task module subclasses :class:`TaskSearchSpace` with its task, its checks of what a model needs, and the
switches between alternative embeddings (a classifier's document embeddings).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, Union

from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.objective import EvaluationMetric, Metric, Objective, OptimizationValue
from flair_hpo.objective.metric_strings import parse_metric
from flair_hpo.search.settings import Budget, Budgets, StudySettings
from flair_hpo.space import Categorical, Distribution, Space
from flair_hpo.tasks.parameter_distributions import checked_options, distribution_of
from flair_hpo.tasks.parameters import HyperParameter, ModelTrainer
from flair_hpo.tasks.recipe_checks import check_fine_tuning, check_value
from flair_hpo.training.recipes import FINE_TUNING_RECIPE

if TYPE_CHECKING:
    from flair_hpo.tasks.base import ModelTask

FINE_TUNING_EPOCHS = 4  # pretrained transformers are fine-tuned for a few epochs (2 to 4 is the usual advice)
_SECONDS_PER_UNIT = {Budget.TIME_IN_H: 3600.0, Budget.TIME_IN_MIN: 60.0, Budget.TIME_IN_S: 1.0}


class TaskSearchSpace:
    """Parameters to search over and the steering settings of one task's search."""

    task: ClassVar[ModelTask]

    def __init__(self, label_type: Optional[str] = None, multi_label: bool = False) -> None:
        if not isinstance(multi_label, bool):
            raise ConfigurationError(f"multi_label must be True or False, but got {multi_label!r}.")
        self.label_type = label_type
        self.multi_label = multi_label
        self.metric: Metric = EvaluationMetric.MICRO_F1_SCORE
        self.optimization_value = OptimizationValue.DEV_SCORE
        self.max_epochs = 50
        self.training_runs = 1
        self.embeddings_storage_mode = "none"
        self.max_model_bytes: Optional[int] = None
        self._budgets: dict[Budget, float] = {}
        self._own_settings: set[str] = set()  # steering settings given rather than left at their defaults
        self._distributions: dict[HyperParameter, Distribution] = {}
        self._fixed: dict[HyperParameter, Any] = {}

    # -- steering ------------------------------------------------------------------------------

    def add_budget(self, budget: Budget, value: float) -> None:
        """Limit the search; a later budget of the same kind replaces the earlier one."""
        if not isinstance(budget, Budget):
            raise ConfigurationError(f"budget must be one of {[b.name for b in Budget]}, but got {budget!r}.")
        self._budgets[budget] = check_positive(
            f"the {budget.name} budget", value, integer=budget in (Budget.RUNS, Budget.GENERATIONS, Budget.EPOCHS)
        )

    def add_evaluation_metric(self, metric: Union[Metric, str]) -> None:
        """Select by this dev metric: an ``EvaluationMetric``, a ``CustomMetric``, or a metric string as the
        command line takes it (``"macro-f1"``, ``"f1:LABEL"``, ``"precisionAtRecall:30"``)."""
        if isinstance(metric, str):
            metric = parse_metric(metric, self.task)
        Objective(metric, self.optimization_value)  # raises on a metric that is neither
        self.metric = metric
        self._own_settings.add("metric")

    def add_optimization_value(self, value: OptimizationValue) -> None:
        Objective(self.metric, value)  # raises on a value that is not an OptimizationValue
        self.optimization_value = value

    def add_max_epochs_per_training_run(self, max_epochs: int) -> None:
        self.max_epochs = check_positive("max_epochs", max_epochs, integer=True)
        self._own_settings.add("max_epochs")

    def copy(self) -> TaskSearchSpace:
        """A copy whose settings and parameters change without changing this space (their values are shared)."""
        other = copy.copy(self)
        other._budgets, other._own_settings = dict(self._budgets), set(self._own_settings)
        other._distributions, other._fixed = dict(self._distributions), dict(self._fixed)
        return other

    def sets_own(self, setting: str) -> bool:
        """Whether ``"metric"`` or ``"max_epochs"`` was given (``add_evaluation_metric``,
        ``add_max_epochs_per_training_run``) rather than left at its default."""
        return setting in self._own_settings

    def add_training_runs(self, training_runs: int) -> None:
        """How often each configuration is trained; its score is the mean over these runs."""
        self.training_runs = check_positive("training_runs", training_runs, integer=True)

    def add_label_type(self, label_type: str) -> None:
        self.label_type = label_type

    # -- parameters ----------------------------------------------------------------------------

    def add_parameter(
        self,
        parameter: HyperParameter,
        function: Optional[Callable[..., Any]] = None,
        *,
        options: Optional[list[Any]] = None,
        low: Optional[float] = None,
        high: Optional[float] = None,
        log: bool = False,
        step: Optional[float] = None,
        **hyperopt_arguments: Any,
    ) -> None:
        """Search ``parameter`` over a list of ``options``, a range ``low``..``high`` (``log``, ``step``),
        or a hyperopt expression such as ``add_parameter(p, hp.uniform, low=0.0, high=0.5)``."""
        self._check_fits(parameter)
        distribution = distribution_of(parameter, function, options, low, high, log, step, hyperopt_arguments)
        if parameter.key == "optimizer" and isinstance(distribution, Categorical):
            from flair_hpo.training.trainer_arguments import resolve_optimizer

            for option in distribution.options:
                resolve_optimizer(option)
        if parameter in self.task.word_embedding_parameters and not isinstance(distribution, Categorical):
            raise ConfigurationError(
                f"{parameter.key} takes word embeddings, chosen from options=[...], not {distribution.describe()}."
            )
        distribution = checked_options(parameter, distribution, self.task.named_choices)
        check_value(parameter, distribution)
        self._distributions[parameter] = distribution
        self._fixed.pop(parameter, None)

    def add_word_embeddings(self, parameter: HyperParameter, options: list[Any]) -> None:
        """Search over word embeddings: each option is one embedding or a list of them (stacked)."""
        if parameter not in self.task.word_embedding_parameters:
            raise ConfigurationError(
                f"{parameter!r} does not take word embeddings; these do: {sorted(p.key for p in self.task.word_embedding_parameters)}."
            )
        self.add_parameter(parameter, options=options)

    def add_fine_tuning_recipe(self) -> None:
        """Train every configuration with flair's fine-tuning recipe and search what a practitioner would:
        the learning rate from 1e-5 to 1e-4 (log scale), batches of 16 or 32, warmup and weight decay."""
        self.set_fixed(ModelTrainer.RECIPE, FINE_TUNING_RECIPE)
        self.add_parameter(ModelTrainer.LEARNING_RATE, low=1e-5, high=1e-4, log=True)
        self.add_parameter(ModelTrainer.MINI_BATCH_SIZE, options=[16, 32])
        self.add_parameter(ModelTrainer.WARMUP_FRACTION, options=[0.0, 0.1, 0.2])
        self.add_parameter(ModelTrainer.WEIGHT_DECAY, options=[0.0, 0.01, 0.1])
        self.add_max_epochs_per_training_run(FINE_TUNING_EPOCHS)

    def set_fixed(self, parameter: HyperParameter, value: Any) -> None:
        """Use ``value`` for ``parameter`` in every configuration, without searching it."""
        self._check_fits(parameter)
        (value,) = checked_options(parameter, Categorical([value]), self.task.named_choices).options  # type: ignore[attr-defined]
        check_value(parameter, value)
        self._fixed[parameter] = value
        self._distributions.pop(parameter, None)

    def _check_fits(self, parameter: Any) -> None:
        if not isinstance(parameter, HyperParameter):
            raise ConfigurationError(
                f"{parameter!r} is not a parameter; use a member of flair_hpo.parameters, e.g. ModelTrainer.LEARNING_RATE."
            )
        if type(parameter) not in self.task.parameter_groups:
            fitting = ", ".join(group.__name__ for group in self.task.parameter_groups)
            raise ConfigurationError(
                f"{parameter.target}.{parameter.name} does not fit a {self.task.name} search ({type(self).__name__}); "
                f"its parameters come from {fitting}."
            )

    @property
    def parameters_used(self) -> set[HyperParameter]:
        """Every parameter searched or fixed."""
        return {*self._distributions, *self._fixed}

    def value_of(self, parameter: HyperParameter) -> Any:
        """A used parameter's fixed value, or the distribution it is searched over."""
        return self._fixed[parameter] if parameter in self._fixed else self._distributions[parameter]

    def word_embedding_options(self) -> Optional[list[list[Any]]]:
        """Every word-embeddings option a configuration may carry, each as a list of embeddings; None when
        some configurations may carry none (they embed with a transformer) or the options are not a list."""
        used = self.task.word_embedding_parameters & self.parameters_used
        _, targets = self._switch()
        if not used or set(targets) - {parameter.target for parameter in used}:
            return None
        options: list[list[Any]] = []
        for parameter in used:
            distribution = self._distributions.get(parameter)
            if parameter in self._fixed:
                values = [self._fixed[parameter]]
            elif isinstance(distribution, Categorical):
                values = list(distribution.options)
            else:
                return None
            options += [list(value) if isinstance(value, (list, tuple)) else [value] for value in values]
        return options

    # -- compilation ---------------------------------------------------------------------------

    def _check_model_inputs(self) -> None:
        """Subclasses: raise when the space cannot build a model."""

    def _switch(self) -> tuple[str, list[str]]:
        """Subclasses: the key of a choice between alternative embeddings, and the targets used among them."""
        return "", []

    def to_space(self) -> Space:
        """The space strategies search: distributions by key; with several alternative embeddings, a switch
        between them whose parameters apply only when it chooses their embedding."""
        if not self._distributions:
            raise ConfigurationError("the search space is empty: add at least one parameter to search over.")
        self._check_model_inputs()
        check_fine_tuning(self)
        distributions = {p.key: d for p, d in self._distributions.items()}
        fixed = {p.key: v for p, v in self._fixed.items()}
        conditions: dict[str, tuple[str, int]] = {}
        switch_key, switch_targets = self._switch()
        if len(switch_targets) > 1:
            distributions[switch_key] = Categorical(switch_targets)
            for parameter in self._distributions:
                if parameter.target in switch_targets:
                    conditions[parameter.key] = (switch_key, switch_targets.index(parameter.target))
        elif switch_targets:
            fixed[switch_key] = switch_targets[0]
        return Space(distributions, conditions, fixed)

    def to_settings(self) -> StudySettings:
        seconds = [value * _SECONDS_PER_UNIT[b] for b, value in self._budgets.items() if b in _SECONDS_PER_UNIT]
        budgets = Budgets(
            seconds=min(seconds) if seconds else None,
            trials=self._budgets.get(Budget.RUNS),  # type: ignore[arg-type]
            generations=self._budgets.get(Budget.GENERATIONS),  # type: ignore[arg-type]
            epochs=self._budgets.get(Budget.EPOCHS),  # type: ignore[arg-type]
        )
        return StudySettings(
            task=self.task,
            label_type=self.label_type,
            multi_label=self.multi_label,
            metric=self.metric,
            optimization_value=self.optimization_value,
            max_epochs=self.max_epochs,
            training_runs=self.training_runs,
            budgets=budgets,
            embeddings_storage_mode=self.embeddings_storage_mode,
            max_model_bytes=self.max_model_bytes,
        )
