"""The ``flair-hpo`` command: ``tune`` (autotune), ``find-lr`` (learning-rate finder) and ``report``."""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Optional

import click

from flair_hpo.early_stopping import rule_names
from flair_hpo.errors import ConfigurationError
from flair_hpo.objective import metric_strings
from flair_hpo.strategies import STRATEGIES
from flair_hpo.tasks import task_names

DURATION_HELP = (
    "time budget of the search, as fastText's: seconds, or '90s', '30m', '2h'. The final model is the best "
    "trial's; only --train-with-dev trains once more after it"
)


def _run(action: Callable[[], Any]) -> Any:
    """Bad input ends the command with one clear message and exit status 2, before any training."""
    try:
        return action()
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None


def _hide_progress_bars() -> None:
    """flair's per-batch bars (label dictionary, every dev evaluation) off. tqdm reads TQDM_DISABLE when it is
    imported, which hyperopt does before this runs, and flair asks for its evaluation bars by name
    (``disable=False``), so every bar is made with ``disable=True`` whatever it asks."""
    import tqdm  # type: ignore[import-untyped]

    made = tqdm.tqdm.__init__

    def disabled(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **{**kwargs, "disable": True})

    tqdm.tqdm.__init__ = disabled  # type: ignore[method-assign]


def _model_options(transformer_help: str, fine_tune_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--embeddings``, ``--transformer`` and ``--fine-tune``, with the command's own help for the last two."""

    def add(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--fine-tune", is_flag=True, help=fine_tune_help)(command)
        command = click.option("--transformer", help=transformer_help)(command)
        return click.option(
            "--embeddings", default="glove", show_default=True, help="word embeddings: a file or a flair name"
        )(command)

    return add


def _column_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--text-column`` (a list, from comma-separated names or positions) and ``--label-column``."""
    command = click.option("--label-column", help="CSV/TSV files: the label column, a name or a position from 0")(
        command
    )
    return click.option(
        "--text-column",
        callback=lambda context, parameter, value: value.split(",") if value else None,
        help="CSV/TSV files: the text column(s), names or positions from 0, comma-separated",
    )(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="show flair's own log and progress bars")
def main(verbose: bool) -> None:
    """Hyperparameter search for flair sequence taggers and text classifiers."""
    if not verbose:
        _hide_progress_bars()
        warnings.filterwarnings("ignore", category=FutureWarning)
        flair = importlib.import_module("flair")  # flair configures its logger on import; quiet it afterwards
        for handler in flair.logger.handlers:  # its console only: each run's training.log keeps everything
            if type(handler) is logging.StreamHandler:
                handler.setLevel(logging.WARNING)
    console = logging.StreamHandler()
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("flair_hpo").addHandler(console)


@main.command()
@click.argument("corpus")
@click.option("--task", type=click.Choice(task_names()), help="inferred from the corpus when left out")
@click.option("--label-type", help="the label (or tag) type to learn; the corpus's only one when left out")
@click.option(
    "--metric",
    default="f1",
    show_default=True,
    help=metric_strings.VALID,
)
@click.option(
    "--predictions",
    type=int,
    help="multi-label data: score each sentence's top K labels, as fastText (default: flair's 0.5 threshold)",
)
@click.option("--duration", default="5m", show_default=True, help=DURATION_HELP)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES.names()),
    default="optuna",
    show_default=True,
    help="optuna: Optuna's multivariate TPE; tpe: hyperopt's",
)
@click.option(
    "--early-stopping",
    type=click.Choice(rule_names()),
    default="asha",
    show_default=True,
    help="stop unpromising trials after an epoch (grace period 1 epoch; reduction factor 3)",
)
@click.option("--seed", default=0, show_default=True)
@click.option("--output", default="autotune", show_default=True, type=click.Path(file_okay=False), help="output folder")
@click.option("--space", "space_file", type=click.Path(dir_okay=False), help="a YAML search-space file")
@_model_options(
    transformer_help="also try this frozen transformer (a name or a local folder); with --fine-tune, fine-tune it",
    fine_tune_help="fine-tune --transformer with flair's fine-tuning recipe (AdamW, linear schedule with warmup), "
    "searching learning rate 1e-5..1e-4, batch size, warmup and weight decay; with --space, train that space by "
    "the recipe",
)
@click.option("--model-size", help="only configurations whose saved model fits, e.g. 20M")
@click.option("--max-epochs", type=int, help="epochs per trial [default: 10; 4 with --fine-tune]")
@click.option("--max-trials", type=int, help="stop after this many configurations")
@click.option(
    "--final-seeds",
    type=int,
    default=3,
    show_default=True,
    help="train the 3 best configurations until each has this many runs with different seeds (in the last fifth of "
    "--duration) and choose the best by its mean; 1 turns this off",
)
@click.option("--train-with-dev", is_flag=True, help="after the search, train the best configuration on train+dev")
@_column_options
def tune(corpus: str, space_file: Optional[str], **options: Any) -> None:
    """Tune a model on CORPUS within a time budget. CORPUS: a flair dataset name (trec_6, wnut_17), a folder
    of train/dev/test files (fastText __label__ lines, token-and-tag columns, or .csv/.tsv with a header), or
    the training file of one corpus in a folder of several (data/conll_02/esp.train)."""
    from flair_hpo.frontends.autotune import AutotuneError, autotune
    from flair_hpo.training.ctrl_c import Terminated, sigterm_stops

    try:
        with sigterm_stops():
            result = _run(lambda: autotune(corpus, search_space=space_file, **options))
    except AutotuneError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    except Terminated:
        click.echo(
            f"Stopped by SIGTERM: every finished trial is in {options['output']}; "
            "the same command resumes the search and then makes the final model.",
            err=True,
        )
        sys.exit(143)
    best = result.search.best
    click.echo(f"\nBest configuration (trial {best.number}, {result.search.objective_label} {best.score:.6f}):")
    for key, value in best.parameters.items():
        click.echo(f"  {key}: {value}")
    if result.test_score is not None:
        click.echo(f"Test {result.test_label} of the final model: {result.test_score:.6f}")
    click.echo(
        f"Final model: {result.model_path} ({result.model_bytes / 1e6:.1f}M); search outputs in {result.search.base_path}"
    )


@main.command("find-lr")
@click.argument("corpus")
@click.option("--task", type=click.Choice(task_names()))
@click.option("--label-type")
@_model_options(
    transformer_help="with --fine-tune: the transformer to fine-tune (a name or a local folder)",
    fine_tune_help="find the learning rate for fine-tuning --transformer: AdamW, a ramp from 1e-6 to 1e-2, and a "
    "tenth of where the loss is lowest (where it falls fastest if it is still falling at the ramp's end)",
)
@click.option("--output", default="learning-rate", show_default=True, type=click.Path(file_okay=False))
@click.option("--optimizer", help="a torch.optim optimizer, e.g. SGD or Adam [default: SGD; AdamW with --fine-tune]")
@click.option("--start-learning-rate", type=float, help="[default: 1e-7; 1e-6 with --fine-tune]")
@click.option("--end-learning-rate", type=float, help="[default: 10; 1e-2 with --fine-tune]")
@click.option("--iterations", type=int, help="[default: 100; 60 with --fine-tune]")
@click.option("--mini-batch-size", type=int, help="[default: 32; 16 with --fine-tune]")
@_column_options
def find_lr(corpus: str, output: str, **options: Any) -> None:
    """Run the learning-rate finder on a default model for CORPUS (a GloVe RNN, or a fine-tuned transformer
    with --fine-tune); writes learning_rate.tsv and .png."""
    import matplotlib

    matplotlib.use("Agg")  # flair's plotter shows the figure, blocking, where a window could open: write it only
    from flair_hpo.frontends.find_lr import find_learning_rate_for

    tsv, suggestion = _run(lambda: find_learning_rate_for(corpus, Path(output), **options))
    click.echo(f"{tsv}\n{tsv.with_suffix('.png')}\nsuggested learning rate: {suggestion:.3g}")


@main.command()
@click.argument("base_path", type=click.Path(file_okay=False))
def report(base_path: str) -> None:
    """Rebuild the plots and the HTML report of the search in BASE_PATH from its journal."""
    from flair_hpo.analysis import build_report

    click.echo(_run(lambda: build_report(base_path)))
