"""Everything a search checks before its first training, and what a journal must agree on to be resumed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from flair.data import Corpus

from flair_hpo.early_stopping import EARLY_STOPPING, EarlyStopping
from flair_hpo.errors import ConfigurationError
from flair_hpo.executors.base import Executor
from flair_hpo.objective import CustomMetric
from flair_hpo.objective.metric_strings import check_metric_labels
from flair_hpo.search.final_selection import FinalSelection
from flair_hpo.search.settings import StudySettings
from flair_hpo.search.study import CORPUS_KEY, journalled_seed
from flair_hpo.space import Space
from flair_hpo.storage import prepare_base_path
from flair_hpo.strategies import SearchStrategy
from flair_hpo.tasks import TaskSearchSpace, task_of_corpus
from flair_hpo.training.corpus_checks import corpus_fingerprint, ensure_dev_split, label_dictionary, resolve_label_type
from flair_hpo.training.model_size import check_space_fits


def check_arguments(strategy: Any, early_stopping: Any, executor: Any, final_selection: Any) -> None:
    """Refuse an argument of the wrong kind (a strategy's name instead of a strategy, say), naming what is valid."""
    if not isinstance(strategy, SearchStrategy):
        raise ConfigurationError(
            f"search_strategy must be a strategy from flair_hpo.strategies (such as GridSearch(), RandomSearch(), "
            f"TPESearch() or OptunaSearch()), but got {strategy!r}."
        )
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        valid = ", ".join(rule.__name__ for rule in EARLY_STOPPING)
        raise ConfigurationError(
            f"early_stopping must be a rule from flair_hpo.early_stopping ({valid}), but got {early_stopping!r}."
        )
    if executor is not None and not isinstance(executor, Executor):
        raise ConfigurationError(
            f"executor must be an executor from flair_hpo.executors (InProcessExecutor(), LocalExecutor() or "
            f"RayExecutor()), but got {executor!r}."
        )
    if final_selection is not None and not isinstance(final_selection, FinalSelection):
        raise ConfigurationError(f"final_selection must be a FinalSelection or None, but got {final_selection!r}.")


def prepare_search(
    corpus: Corpus[Any],
    base_path: Path,
    search_space: TaskSearchSpace,
    strategy: SearchStrategy,
    early_stopping: Optional[EarlyStopping],
    executor: Executor,
) -> tuple[Space, StudySettings]:
    """The space and settings of a search, once every check has passed; only then is ``base_path`` created."""
    space = search_space.to_space()
    settings = search_space.to_settings()
    strategy.make_configurations(space)  # from its seed: a search, resumed or not, replays its journal from the start
    if settings.budgets.generations is not None and not strategy.counts_generations:
        raise ConfigurationError(
            f"a GENERATIONS budget needs a generational strategy (EvolutionarySearch), not {strategy.name}; use RUNS or TIME_IN_H."
        )
    if settings.budgets.is_unlimited() and space.grid_size() is None:
        raise ConfigurationError(
            "the search has no budget and a continuous space, so it would never end: add_budget(Budget.RUNS, n) or a time budget."
        )
    if early_stopping is not None:
        early_stopping.bind(settings.max_epochs)
    settings.label_type = resolve_label_type(corpus, settings.label_type)
    task_of_corpus(corpus, settings.label_type, settings.task)
    metric = settings.objective.metric
    if isinstance(metric, CustomMetric) and metric.label is not None:
        check_metric_labels(metric, label_dictionary(corpus, settings.label_type).get_items())
    check_space_fits(search_space, settings.max_model_bytes)
    executor.connect()
    executor.check_search(space, settings, corpus)
    prepare_base_path(base_path)
    seed = journalled_seed(base_path)
    if seed is not None and not strategy.seed_given:
        strategy.reseed(seed)  # before the dev split, so that a resumed search selects on the same dev data
    ensure_dev_split(corpus, strategy.seed)
    return space, settings


def fingerprint(
    corpus: Corpus[Any],
    space: Space,
    settings: StudySettings,
    strategy: SearchStrategy,
    early_stopping: Optional[EarlyStopping],
) -> dict[str, Any]:
    """What a journal must agree on to be resumed by this search."""
    return {
        CORPUS_KEY: corpus_fingerprint(corpus, settings.label_type),
        "task": settings.task.name,
        "label_type": settings.label_type,
        "space": space.describe(),
        "strategy": strategy.name,
        "strategy_settings": strategy.settings(),
        "retries_after_early_stop": strategy.retries_after_early_stop,
        "objective": settings.objective.label,
        "objective_spec": settings.objective.to_json(),
        "max_epochs": settings.max_epochs,
        "training_runs": settings.training_runs,
        "max_model_bytes": settings.max_model_bytes,  # trials journalled under another limit may not fit this one
        "early_stopping": early_stopping.describe() if early_stopping else None,
    }
