"""Trials per hour of a real search, one trial at a time against ``LocalExecutor("auto")``.

Two searches (each a grid, the same configurations both ways, a fresh output folder per way):
``tagger``: GloVe BiLSTM-CRF taggers on WNUT-17 (hidden size x learning rate x CRF);
``fine-tune``: a BERT-base-sized transformer (random weights, built from a vocab.txt, no download)
fine-tuned on TREC-6 with flair's fine-tuning recipe. On a GPU machine "auto" packs trials by their
measured GPU memory; on a CPU-only one it runs one trial per core.

Each way is reported twice: over the whole search (wall time, the workers' start included), and from the
second trial's start to the last trial's end over every trial but the first. The first trial pays the
workers' start (importing torch with CUDA and flair, CUDA's initialisation) and, with "auto", runs alone until
it is measured: a fixed cost that a search of hours spreads thin but a benchmark of minutes does not.

A long search one trial at a time costs more device time than a session has. ``--one-at-a-time-trials K``
trains K configurations drawn at random (without replacement, seeded) from the same grid for that way, so
its trials per hour is measured on a sample with the grid's mix of configurations. Its whole-search rate
then means nothing, and "auto"'s whole search is compared with the sample's rate after the first trial,
which understates what "auto" gains.

    python benchmarks/packing.py --search tagger --epochs 3
    python benchmarks/packing.py --search tagger --epochs 3 --mini-batch-sizes 16 32 64 --one-at-a-time-trials 6
    python benchmarks/packing.py --search fine-tune --vocab .gpu/vocab.txt --epochs 1
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPOSITORY / "resources" / "scripts"), str(REPOSITORY / "tests")]
from timeline import Timeline  # noqa: E402

from local_data import GLOVE_10K, use_local_data  # noqa: E402


def bert_base_folder(vocab: Path, folder: Path, layers: int) -> str:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    BertModel(BertConfig(num_hidden_layers=layers)).save_pretrained(folder)  # BERT-base: 768 wide, 12 heads
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(folder)
    return str(folder)


def load_corpus(args: argparse.Namespace) -> Any:
    import flair
    from flair.datasets import TREC_6, WNUT_17

    flair.set_seed(0)
    return (WNUT_17() if args.search == "tagger" else TREC_6()).downsample(args.fraction)


def search_space(args: argparse.Namespace, model: Any) -> Any:
    """The grid: ``model`` is the GloVe embeddings (tagger) or the random BERT's folder (fine-tune)."""
    from flair_hpo import parameters as p
    from flair_hpo.tasks import TEXT_CLASSIFICATION, SequenceTaggerSearchSpace

    if args.search == "tagger":
        space = SequenceTaggerSearchSpace(tag_type="ner")
        space.add_parameter(p.SequenceTagger.EMBEDDINGS, options=[model])
        space.add_parameter(p.SequenceTagger.HIDDEN_SIZE, options=[128, 256])
        space.add_parameter(p.SequenceTagger.USE_CRF, options=[True, False])
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2, 0.4])
        space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=args.mini_batch_sizes)
    else:
        space = TEXT_CLASSIFICATION.fine_tuning_space(model)
        space.label_type = "question_class"
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[2e-5, 3e-5, 5e-5, 1e-4])
        space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[32])
        space.add_parameter(p.ModelTrainer.WARMUP_FRACTION, options=[0.1])
        space.add_parameter(p.ModelTrainer.WEIGHT_DECAY, options=args.weight_decays)
    space.add_max_epochs_per_training_run(args.epochs)
    return space


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search", choices=["tagger", "fine-tune"], default="tagger")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=1.0, help="of the corpus")
    parser.add_argument("--vocab", type=Path, help="a BERT uncased vocab.txt (fine-tune search)")
    parser.add_argument("--layers", type=int, default=12, help="of the random BERT (12: BERT-base)")
    parser.add_argument("--mini-batch-sizes", type=int, nargs="+", default=[32], help="tagger: grid options")
    parser.add_argument("--weight-decays", type=float, nargs="+", default=[0.01], help="fine-tune: grid options")
    parser.add_argument("--one-at-a-time-trials", type=int, help="a random sample of the grid for that way")
    args = parser.parse_args()
    if args.one_at_a_time_trials is not None and args.one_at_a_time_trials < 2:
        parser.error(f"--one-at-a-time-trials must be at least 2, but got {args.one_at_a_time_trials}")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logging.getLogger("flair_hpo").addHandler(handler)  # when workers start, what was measured, each trial
    logging.getLogger("flair_hpo").setLevel(logging.INFO)
    work = Path(tempfile.mkdtemp(prefix="flair-hpo-packing-"))
    use_local_data("trec_6", "wnut_17", cache=work / "flair")

    import torch
    from flair.embeddings import WordEmbeddings

    from flair_hpo import LocalExecutor, Orchestrator
    from flair_hpo import parameters as p
    from flair_hpo.strategies import GridSearch, RandomSearch

    corpus = load_corpus(args)
    if args.search == "tagger":
        model: Any = WordEmbeddings(str(GLOVE_10K), no_header=True)
    else:
        model = bert_base_folder(args.vocab, work / "bert", args.layers)
    sampled = search_space(args, model)
    if args.one_at_a_time_trials:
        sampled.add_budget(p.Budget.RUNS, args.one_at_a_time_trials)
    ways = (
        ("auto", LocalExecutor("auto"), search_space(args, model), GridSearch()),
        (
            "one at a time",
            LocalExecutor(1),
            sampled,
            RandomSearch(seed=0) if args.one_at_a_time_trials else GridSearch(),
        ),
    )
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    print(f"{args.search} search on {device}, {args.epochs} epochs a trial\n")
    print(
        "| way | trials | wall time (s) | trials per hour | trials per hour after the first | most at once |"
        " seconds a trial (median) | peak GPU memory a trial (GiB, median) | cores busy a trial (median) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    whole, after_first = {}, {}
    for name, executor, space, strategy in ways:
        timeline = Timeline()
        started = time.perf_counter()
        result = Orchestrator(
            corpus, work / name.replace(" ", "-"), space, strategy, callbacks=[timeline], executor=executor
        ).optimize()
        seconds = time.perf_counter() - started
        assert all(trial.state.value == "completed" for trial in result.trials), [t.error for t in result.trials]
        whole[name] = 3600 * len(result.trials) / seconds
        after_first[name] = timeline.per_hour_after_the_first()
        trial_seconds = statistics.median(run.duration for trial in result.trials for run in trial.runs)
        peaks = list(executor.peak_gpu_bytes.values())
        peak = f"{statistics.median(peaks) / 2**30:.2f}" if peaks and max(peaks) else "-"
        cores = f"{statistics.median(executor.cores_busy.values()):.2f}" if executor.cores_busy else "-"
        print(
            f"| {name} | {len(result.trials)} | {seconds:.0f} | {whole[name]:.0f} | {after_first[name]:.0f} "
            f"| {timeline.most_at_once()} | {trial_seconds:.1f} | {peak} | {cores} |",
            flush=True,
        )
    alone = after_first if args.one_at_a_time_trials else whole
    print(
        f'\n"auto" trains {after_first["auto"] / after_first["one at a time"]:.2f}x the trials per hour after the'
        f" first trial, {whole['auto'] / alone['one at a time']:.2f}x over its whole search"
        + (" (against the sample's rate after its first trial)" if args.one_at_a_time_trials else "")
    )


if __name__ == "__main__":
    main()
