"""One call, as fastText's autotune: a corpus, a metric and a time budget in; the best model out.

    result = flair_hpo.frontends.autotune("trec_6", metric="f1", duration="5m", embeddings="glove")

The duration covers the search, as fastText's does. The final model is the best trial's own weights,
saved by the search (no second training); if no trial completed within the budget, it is the trial the
deadline stopped with the best score it reached. Only ``train_with_dev`` trains the best configuration once
more, after the search, on train+dev (with the search's embedding cache, printing every epoch).

Ctrl-C: the first stops the search. The trial running at that moment is discarded (it is rerun if the
search is resumed); the final model then comes from the best trial so far and every output is written.
A second Ctrl-C exits at once; the journal already holds every finished trial.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, TextIO, Union

from flair.data import Corpus
from flair.nn import Model

from flair_hpo.early_stopping import make_rule
from flair_hpo.errors import ConfigurationError, check_positive
from flair_hpo.frontends.corpora import describe_corpus, load_corpus
from flair_hpo.frontends.final_model import FINAL_MODEL_FOLDER, final_model, keep_previous, score_on_test
from flair_hpo.frontends.folder_kept import FolderKept
from flair_hpo.frontends.space_files import load_space_file
from flair_hpo.frontends.word_embeddings import check_space_transformers, check_transformer, load_word_embeddings
from flair_hpo.objective.metric_strings import check_metric_labels, check_predictions, parse_metric
from flair_hpo.search.final_selection import FinalSelection
from flair_hpo.search.orchestrator import Orchestrator
from flair_hpo.search.outputs import PARAM_SELECTION_NAME
from flair_hpo.search.progress import ProgressLine
from flair_hpo.search.settings import Budget, parse_duration
from flair_hpo.search.stop_reasons import failure_kind
from flair_hpo.storage import SearchResult, State, check_base_path
from flair_hpo.strategies import STRATEGIES
from flair_hpo.tasks import TEXT_CLASSIFICATION, ModelTask, ModelTrainer, TaskSearchSpace, get_task, task_of_corpus
from flair_hpo.tasks.search_space import FINE_TUNING_EPOCHS
from flair_hpo.training.corpus_checks import label_dictionary, resolve_label_type
from flair_hpo.training.ctrl_c import ctrl_c_exits, second_ctrl_c_exits
from flair_hpo.training.model_size import format_bytes, saved_size
from flair_hpo.training.recipes import FINE_TUNING_RECIPE

log = logging.getLogger("flair_hpo")

DEFAULT_MAX_EPOCHS = 10
DEFAULT_METRIC = "f1"


class AutotuneError(RuntimeError):
    """The search ended without a configuration that could be retrained."""


@dataclass
class AutotuneResult:
    search: SearchResult
    model: Model
    model_path: Path
    model_bytes: int
    test_score: Optional[float]
    test_label: str
    interrupted: bool


def parse_model_size(text: Union[str, int, None]) -> Optional[int]:
    """Bytes from ``20M``, ``500K``, ``1.5G`` or a number of bytes (powers of 1000, as fastText)."""
    if text is None or isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*", str(text), flags=re.IGNORECASE)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigurationError(f"a model size must look like '20M', '500K' or '1.5G', but got {text!r}.")
    return int(float(match.group(1)) * {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}[match.group(2).upper()])


def _no_best_message(search: Optional[SearchResult], seconds: float, interrupted: bool) -> str:
    """Why a search gave no model, in words that say what to change."""
    if search is None and not interrupted:
        return "the search did not start."
    failed = [trial.error_summary for trial in search.trials if trial.state is State.FAILED] if search else []
    if failed:
        reason, count = Counter(failed).most_common(1)[0]
        return f"no configuration could be trained ({len(failed)} failed); the most common reason ({count}x): {reason}"
    if interrupted:
        return (
            "stopped by Ctrl-C before any trial finished (the trial it stopped is discarded, whatever it had "
            "trained, and reruns on resume): there is no model to save; the same command resumes the search."
        )
    return (
        f"the time budget ({seconds:g} s) ran out before the first trial finished one epoch, so there is no model: "
        "give --duration more time (one epoch of the first trial took longer than the whole budget)."
    )


def autotune(
    corpus: Union[Corpus, str],
    *,
    task: Union[str, ModelTask, None] = None,
    label_type: Optional[str] = None,
    metric: Optional[str] = None,
    predictions: Optional[int] = None,
    duration: Union[str, float] = "5m",
    strategy: str = "optuna",
    early_stopping: str = "asha",
    seed: int = 0,
    output: Union[str, Path] = "autotune",
    search_space: Union[TaskSearchSpace, str, Path, None] = None,
    embeddings: str = "glove",
    transformer: Optional[str] = None,
    fine_tune: bool = False,
    model_size: Union[str, int, None] = None,
    max_epochs: Optional[int] = None,
    max_trials: Optional[int] = None,
    final_seeds: int = 3,
    train_with_dev: bool = False,
    text_column: Optional[Sequence[Union[str, int]]] = None,
    label_column: Union[str, int, None] = None,
    progress: Optional[TextIO] = None,
) -> AutotuneResult:
    """Search for ``duration`` (default 5 minutes) with ``strategy`` (default Optuna's multivariate TPE) and
    ``early_stopping`` (default asynchronous successive halving), and save the best model; ``train_with_dev`` then trains the
    best configuration once more on train+dev. Everything is checked, and what was loaded is printed to
    ``progress`` (default standard error), before any training starts.

    ``predictions``: on multi-label data, score the top K labels of every sentence as fastText does; by
    default flair's 0.5 probability threshold decides which labels are predicted.
    ``text_column``, ``label_column``: the columns of CSV/TSV corpus files (names or positions), when their
    header does not name them.
    ``fine_tune``: fine-tune ``transformer`` with flair's fine-tuning recipe (AdamW, linear schedule with
    warmup), searching the learning rate (1e-5 to 1e-4), batch size, warmup and weight decay for
    ``max_epochs`` (default 4; 10 otherwise); with a ``search_space``, train that space by the recipe.
    ``final_seeds``: the 3 best configurations are trained until each has this many runs with different seeds,
    in the last fifth of ``duration`` (or when ``max_trials`` are done), and the best is chosen by its mean; 1
    turns this off. ``metric`` (default f1) and ``max_epochs``: a ``search_space`` object that sets its own keeps
    it unless they are given."""
    stream = progress or sys.stderr
    requested_task = get_task(task) if task is not None else None
    source = "a flair Corpus"
    if isinstance(corpus, str):
        loaded = load_corpus(corpus, requested_task, label_type, text_column=text_column, label_column=label_column)
        corpus, requested_task, label_type, source = loaded.corpus, loaded.task, loaded.label_type, loaded.source
    label_type = resolve_label_type(corpus, label_type)
    resolved_task = task_of_corpus(corpus, label_type, requested_task)
    labels = label_dictionary(corpus, label_type).get_items()
    if resolved_task is TEXT_CLASSIFICATION and len(labels) < 2:
        raise ConfigurationError(
            f"the training data has one label of type {label_type!r} ({', '.join(labels)}): a classifier needs two at "
            "least to learn anything."
        )
    given_metric = (
        parse_metric(metric if metric is not None else DEFAULT_METRIC, resolved_task, predictions)
        if metric is not None or predictions is not None
        else None
    )
    final_seeds = check_positive("final_seeds (1 turns the final selection off)", final_seeds, integer=True)
    if max_trials is not None:
        max_trials = check_positive("max_trials (--max-trials)", max_trials, integer=True)
    seconds = parse_duration(duration)
    size_limit = parse_model_size(model_size)
    search_strategy = STRATEGIES.get(strategy)(seed=seed)
    stopping_rule = make_rule(early_stopping)
    base_path = check_base_path(output)
    space = _search_space(search_space, resolved_task, embeddings, transformer, fine_tune)
    if space.task is not resolved_task:
        raise ConfigurationError(
            f"the search space is for {space.task.name}, but the corpus is for {resolved_task.name}."
        )
    _check_grid(strategy, space, search_space)
    parsed_metric = given_metric or (
        space.metric if space.sets_own("metric") else parse_metric(DEFAULT_METRIC, resolved_task)
    )
    check_metric_labels(parsed_metric, labels)
    space.label_type = label_type
    space.multi_label = resolved_task.is_multi_label(corpus, label_type)
    check_predictions(predictions, labels, space.multi_label)
    print(
        describe_corpus(source, corpus, resolved_task, label_type, labels, space.multi_label, parsed_metric),
        file=stream,
        flush=True,
    )
    space.add_evaluation_metric(parsed_metric)
    space.add_budget(Budget.TIME_IN_S, seconds)
    if max_trials is not None:
        space.add_budget(Budget.RUNS, max_trials)
    if max_epochs is not None or not space.sets_own("max_epochs"):
        default_epochs = FINE_TUNING_EPOCHS if fine_tune else DEFAULT_MAX_EPOCHS
        space.add_max_epochs_per_training_run(max_epochs if max_epochs is not None else default_epochs)
    space.max_model_bytes = size_limit

    folder = contextlib.ExitStack()
    orchestrator = Orchestrator(
        corpus,
        base_path,
        space,
        search_strategy,
        callbacks=[ProgressLine(progress), FolderKept(folder)],
        early_stopping=stopping_rule,
        final_selection=FinalSelection(runs=final_seeds) if final_seeds > 1 else None,
    )
    with folder, second_ctrl_c_exits():  # a Ctrl-C after the first, while the search stops or the final model is made
        search, interrupted = _searched(orchestrator)
        if search is None or search.best is None or search.best_parameters is None:
            raise AutotuneError(_no_best_message(search, seconds, interrupted))
        if interrupted:
            log.warning(
                "search stopped by Ctrl-C: the final model comes from the best trial so far (Ctrl-C again exits at once)"
            )
        settings = space.to_settings()
        settings.label_type = label_type
        model_path = base_path / FINAL_MODEL_FOLDER / "final-model.pt"
        with ctrl_c_exits():  # Ctrl-C while the final model is made, the search having ended by itself
            keep_previous(model_path)
            model = final_model(search, settings, corpus, model_path, seed, train_with_dev, stream)
            score = score_on_test(model, corpus, parsed_metric, label_type)
    model_bytes = saved_size(model)
    log.info("final model: %s (%s), test %s %s", model_path, format_bytes(model_bytes), parsed_metric.value, score)
    failures = _failures(search)
    if failures is not None:
        print(failures, file=stream, flush=True)
    return AutotuneResult(search, model, model_path, model_bytes, score, parsed_metric.value, interrupted)


def _failures(search: SearchResult) -> Optional[str]:
    """How many trials failed and their most common error, where some did (a transformer that would not load,
    a size limit): said at the end, since the best configuration alone does not show it."""
    errors = [
        re.sub(r"^run \d+: ", "", trial.error_summary or "") for trial in search.trials if trial.state is State.FAILED
    ]
    if not errors:
        return None
    kinds = [failure_kind(error) for error in errors]
    kind, count = Counter(kinds).most_common(1)[0]
    example = errors[len(kinds) - 1 - kinds[::-1].index(kind)]  # the latest of that kind
    return (
        f"{len(errors)} of {len(search.trials)} trials failed, {count} of them like: {example} "
        f"(every error in {search.base_path / PARAM_SELECTION_NAME})"
    )


def _searched(orchestrator: Orchestrator) -> tuple[Optional[SearchResult], bool]:
    """The search's result, and whether Ctrl-C stopped it (then the result so far). A scheduler's SIGTERM
    (``Terminated``) goes on up: the journal holds the search, and no final model is made in haste."""
    try:
        return orchestrator.optimize(), False
    except KeyboardInterrupt:
        return orchestrator.last_result, True


def _search_space(
    given: Union[TaskSearchSpace, str, Path, None],
    task: ModelTask,
    embeddings: str,
    transformer: Optional[str],
    fine_tune: bool,
) -> TaskSearchSpace:
    """The given space (or space file), else the task's default; ``fine_tune`` trains it by flair's fine-tuning
    recipe, and without a given space fine-tunes ``transformer`` in the task's fine-tuning space."""
    if transformer is not None:
        check_transformer(transformer)
    if isinstance(given, (str, Path)):
        given = load_space_file(Path(given), task)
    elif given is not None:
        given = given.copy()  # the caller's space keeps its own settings for a later call
    if given is not None:
        if transformer is not None:
            raise ConfigurationError(
                f"transformer {transformer!r} (--transformer) is for the default space; with a search space "
                "(--space) of your own, search transformers in it."
            )
        if fine_tune and ModelTrainer.RECIPE not in given.parameters_used:
            given.set_fixed(ModelTrainer.RECIPE, FINE_TUNING_RECIPE)
        check_space_transformers(given)
        return given
    if fine_tune:
        if transformer is None:
            raise ConfigurationError("fine-tuning needs a transformer to fine-tune: give transformer (--transformer).")
        return task.fine_tuning_space(transformer)
    return task.default_space(load_word_embeddings(embeddings), transformer)


def _check_grid(strategy: str, space: TaskSearchSpace, space_file: Any) -> None:
    """Grid search needs option lists only: say so in the command's own terms."""
    ranges = space.to_space().non_finite_keys()
    if strategy == "grid" and ranges:
        others = ", ".join(name for name in STRATEGIES.names() if name != "grid")
        where = "the search space" if space_file is not None else "the default space"
        raise ConfigurationError(
            f"--strategy grid needs option lists for every parameter, but {where} searches {ranges} over ranges: "
            f"give a --space file (search_space=) with option lists, or use --strategy {others}."
        )
