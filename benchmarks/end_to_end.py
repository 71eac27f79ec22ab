"""Real searches under one wall-clock budget: flair-hpo against an Optuna study with a hand-made flair objective.

The Optuna study is written one of two ways (``--objective``):
- ``tutorial``: as the reference tutorials write it. It uses flair's default ``embeddings_storage_mode='cpu'``,
  which leaves a trainable document RNN's stored dev embeddings stale, so its dev scores come out low; and
  ``TPESampler(seed)`` with ``MedianPruner``.
- ``correct``: as an expert flair user writes it. It uses storage mode ``'none'`` where the document
  embeddings train (a stored embedding would go stale; embeddings are cleared between trials) and ``'cpu'``
  for frozen MiniLM (``--space minilm``, one embeddings object for the study) and the tagger's GloVe, whose
  stored embeddings are kept from trial to trial: each sentence is embedded once for the whole study. It
  trains as flair-hpo does (``use_final_model_for_eval=True``: no best-model checkpoint at each better epoch,
  no reload for the test), uses Optuna's default sampler (seeded) and the pruner given by ``--pruner``, and
  does not ask the pruner after the last epoch (a trial pruned there would lose a finished training's score).

Both tools search the same space with the same maximum of epochs per training, on the same corpus:
- ``trec``: the TREC-6 slice of the tabular benchmark, searching the document embeddings
  (``--space mixed``: pooled GloVe, a GloVe RNN or frozen MiniLM; ``rnn``: a GloVe RNN only, with its hidden
  size, type and dropout; ``minilm``: frozen MiniLM only), learning rate, mini-batch size and optimizer;
- ``wnut``: 30% of WNUT-17's training and half of its dev tweets (all test tweets); a GloVe BiLSTM(-CRF)
  tagger with hidden size, CRF or not, dropout, learning rate and mini-batch size.
Both score a training by the mean of its last three dev scores. Each trial's end time, dev score and
test score go to a JSON file; ``end_to_end_report.py`` compares the files.

    python benchmarks/end_to_end.py trec flair-hpo --space rnn --seconds 420 --seed 1 --output results/rnn-flair-hpo-1.json
    python benchmarks/end_to_end.py trec optuna --space rnn --objective correct --seconds 420 --seed 1 --output results/rnn-optuna-1.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "resources" / "scripts"))
sys.path.insert(0, str(HERE / "tabular"))
from local_data import GLOVE_50K, minilm_path, use_local_data  # noqa: E402

MAX_EPOCHS = 9
BATCH_SIZES = [8, 16, 32, 64]
RNN_TYPES = ["GRU", "LSTM"]


def _pruners() -> dict[str, Any]:
    import optuna

    return {
        "median": optuna.pruners.MedianPruner,
        "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS),
        "successive-halving": optuna.pruners.SuccessiveHalvingPruner,
        "none": optuna.pruners.NopPruner,
    }


PRUNER_NAMES = ["median", "hyperband", "successive-halving", "none"]


def load(dataset: str) -> tuple[Any, str]:
    import flair

    if dataset == "trec":
        from space import load_corpus

        return load_corpus(), "question_class"
    from flair.datasets import WNUT_17

    flair.set_seed(0)
    corpus = WNUT_17()
    corpus = corpus.downsample(0.3, downsample_dev=False, downsample_test=False)
    corpus = corpus.downsample(0.5, downsample_train=False, downsample_test=False)
    return corpus, "ner"


def run_flair_hpo(
    dataset: str, corpus: Any, label_type: str, glove: Any, seconds: float, work: Path, args: argparse.Namespace
) -> list[dict]:
    from flair_hpo import Orchestrator
    from flair_hpo import parameters as p
    from flair_hpo.early_stopping import SuccessiveHalving
    from flair_hpo.search.callbacks import SearchCallback
    from flair_hpo.strategies import STRATEGIES
    from flair_hpo.tasks import SequenceTaggerSearchSpace, TextClassifierSearchSpace

    if dataset == "trec":
        space: Any = TextClassifierSearchSpace(label_type=label_type)
        if args.space == "mixed":
            space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
            space.add_parameter(p.DocumentPoolEmbeddings.POOLING, options=["mean", "max"])
        if args.space in ("mixed", "rnn"):
            space.add_parameter(p.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
            space.add_parameter(p.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[32, 64, 128, 256])
        if args.space == "rnn":
            space.add_parameter(p.DocumentRNNEmbeddings.RNN_TYPE, options=RNN_TYPES)
            space.add_parameter(p.DocumentRNNEmbeddings.DROPOUT, low=0.0, high=0.5)
        if args.space in ("mixed", "minilm"):
            space.add_parameter(p.TransformerDocumentEmbeddings.MODEL, options=[minilm_path()])
            space.add_parameter(p.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
        space.add_parameter(p.ModelTrainer.OPTIMIZER, options=["SGD", "AdamW"])
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=1e-3, high=1.0, log=True)
    else:
        space = SequenceTaggerSearchSpace(tag_type=label_type)
        space.add_parameter(p.SequenceTagger.EMBEDDINGS, options=[[glove]])
        space.add_parameter(p.SequenceTagger.HIDDEN_SIZE, options=[64, 128, 256])
        space.add_parameter(p.SequenceTagger.USE_CRF, options=[True, False])
        space.add_parameter(p.SequenceTagger.DROPOUT, low=0.0, high=0.5)
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=1.0, log=True)
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=BATCH_SIZES)
    space.add_max_epochs_per_training_run(MAX_EPOCHS)
    space.add_budget(p.Budget.TIME_IN_S, seconds)

    trials: list[dict] = []
    started = time.monotonic()

    class Trace(SearchCallback):
        def on_trial_end(self, trial: Any, best: Any) -> None:
            trials.append(
                {
                    "end": time.monotonic() - started,
                    "state": trial.state.value,
                    "dev": trial.score if trial.state.value == "completed" else None,
                    "test": trial.test_score,
                    "epochs": trial.epochs,
                    "parameters": trial.parameters,
                }
            )

    strategy = STRATEGIES.get(args.strategy)(seed=args.seed)
    rule = SuccessiveHalving() if args.early_stopping else None
    Orchestrator(corpus, work, space, strategy, callbacks=[Trace()], early_stopping=rule).optimize()
    return trials


def correct_storage_mode(dataset: str, space: str) -> str:
    """Frozen embeddings can be stored between epochs (frozen MiniLM, the tagger's GloVe); a trainable document
    RNN's must be computed anew."""
    return "cpu" if dataset == "wnut" or space == "minilm" else "none"


def run_optuna(
    dataset: str, corpus: Any, label_type: str, glove: Any, seconds: float, work: Path, args: argparse.Namespace
) -> list[dict]:
    import flair
    import optuna
    import torch
    from flair.embeddings import DocumentPoolEmbeddings, DocumentRNNEmbeddings, TransformerDocumentEmbeddings
    from flair.models import SequenceTagger, TextClassifier
    from flair.trainers import ModelTrainer
    from flair.trainers.plugins import TrainerPlugin

    class OptunaPruning(TrainerPlugin):
        """Reports the dev score after every epoch and prunes, as the tutorials' trainer does."""

        def __init__(self, trial: optuna.Trial) -> None:
            super().__init__()
            self.trial, self.scores = trial, []

        @TrainerPlugin.hook
        def metric_recorded(self, record: Any) -> None:
            if tuple(record.name) == ("dev", "score"):
                self.scores.append(float(record.value))
                self.trial.report(float(record.value), len(self.scores))
                if (args.objective == "tutorial" or len(self.scores) < MAX_EPOCHS) and self.trial.should_prune():
                    raise optuna.TrialPruned()

    labels = corpus.make_label_dictionary(label_type, add_unk=dataset == "trec")
    storage_mode = correct_storage_mode(dataset, args.space)
    keep_stored = args.objective == "correct" and storage_mode == "cpu"  # frozen embeddings: embed once a study
    minilm = TransformerDocumentEmbeddings(minilm_path(), fine_tune=False) if args.space == "minilm" else None

    def objective(trial: optuna.Trial) -> float:
        if not keep_stored:
            for sentence in corpus.get_all_sentences():
                sentence.clear_embeddings()
        if dataset == "trec":
            kinds = {"mixed": ["pool", "rnn", "minilm"], "rnn": ["rnn"], "minilm": ["minilm"]}[args.space]
            kind = trial.suggest_categorical("document_embeddings", kinds)
            if kind == "pool":
                embeddings: Any = DocumentPoolEmbeddings(
                    [glove], pooling=trial.suggest_categorical("pooling", ["mean", "max"])
                )
            elif kind == "rnn":
                extra = {}
                if args.space == "rnn":
                    extra["rnn_type"] = trial.suggest_categorical("rnn_type", RNN_TYPES)
                    extra["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
                embeddings = DocumentRNNEmbeddings(
                    [glove], hidden_size=trial.suggest_categorical("hidden", [32, 64, 128, 256]), **extra
                )
            else:
                embeddings = minilm or TransformerDocumentEmbeddings(minilm_path(), fine_tune=False)
            optimizer = getattr(torch.optim, trial.suggest_categorical("optimizer", ["SGD", "AdamW"]))
            model: Any = TextClassifier(embeddings, label_type=label_type, label_dictionary=labels)
            learning_rate = trial.suggest_float("learning_rate", 1e-3, 1.0, log=True)
        else:
            model = SequenceTagger(
                hidden_size=trial.suggest_categorical("hidden_size", [64, 128, 256]),
                embeddings=glove,
                tag_dictionary=labels,
                tag_type=label_type,
                use_crf=trial.suggest_categorical("use_crf", [True, False]),
                dropout=trial.suggest_float("dropout", 0.0, 0.5),
            )
            optimizer = torch.optim.SGD
            learning_rate = trial.suggest_float("learning_rate", 0.01, 1.0, log=True)
        pruning = OptunaPruning(trial)
        result = ModelTrainer(model, corpus).train(
            work / f"trial-{trial.number}",
            learning_rate=learning_rate,
            mini_batch_size=trial.suggest_categorical("mini_batch_size", BATCH_SIZES),
            max_epochs=MAX_EPOCHS,
            optimizer=optimizer,
            plugins=[pruning],
            **(
                {"embeddings_storage_mode": storage_mode, "use_final_model_for_eval": True}
                if args.objective == "correct"
                else {}
            ),
        )
        trial.set_user_attr("test", result["test_score"])
        return statistics.fmean(pruning.scores[-3:])

    trials: list[dict] = []
    started = time.monotonic()

    def trace(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        trials.append(
            {
                "end": time.monotonic() - started,
                "state": {"COMPLETE": "completed", "PRUNED": "stopped_early"}.get(trial.state.name, "failed"),
                "dev": trial.value,
                "test": trial.user_attrs.get("test"),
                "epochs": len(trial.intermediate_values),
                "parameters": trial.params,
            }
        )

    flair.set_seed(args.seed)
    if args.objective == "correct":  # Optuna's default sampler, seeded; the pruner asked for
        sampler, pruner = optuna.samplers.TPESampler(seed=args.seed), _pruners()[args.pruner]()
    else:
        sampler, pruner = optuna.samplers.TPESampler(seed=args.seed), optuna.pruners.MedianPruner()
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    study.optimize(objective, timeout=seconds, callbacks=[trace], catch=(Exception,))
    return trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=["trec", "wnut"])
    parser.add_argument("tool", choices=["flair-hpo", "optuna"])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--search-folder", type=Path, help="where the search writes (default: a temporary folder)")
    parser.add_argument("--space", choices=["mixed", "rnn", "minilm"], default="mixed", help="trec: the embeddings")
    parser.add_argument("--objective", choices=["tutorial", "correct"], default="correct", help="optuna's objective")
    parser.add_argument("--pruner", choices=PRUNER_NAMES, default="median", help="optuna, correct objective")
    parser.add_argument("--strategy", default="tpe", help="flair-hpo: the registered strategy (tpe, optuna, ...)")
    parser.add_argument("--no-early-stopping", dest="early_stopping", action="store_false", help="flair-hpo")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix=f"flair-hpo-e2e-{args.tool}-"))
    use_local_data("trec_6", "wnut_17", cache=work / "flair")
    from flair.embeddings import WordEmbeddings

    corpus, label_type = load(args.dataset)
    glove = WordEmbeddings(str(GLOVE_50K))
    search = run_flair_hpo if args.tool == "flair-hpo" else run_optuna
    trials = search(args.dataset, corpus, label_type, glove, args.seconds, args.search_folder or work / "search", args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "dataset": args.dataset,
                "tool": args.tool,
                "seconds": args.seconds,
                "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                "trials": trials,
            },
            indent=1,
        )
    )
    completed = [t for t in trials if t["dev"] is not None and t["state"] == "completed"]
    best = max(completed, key=lambda t: t["dev"]) if completed else None
    print(
        f"{args.tool} on {args.dataset}: {len(trials)} trials, best dev {best and best['dev']}, its test {best and best['test']}"
    )


if __name__ == "__main__":
    main()
