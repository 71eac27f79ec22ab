"""Trials per hour of a real search, one trial at a time against ``LocalExecutor("auto")``.

Two searches (each a grid, the same configurations both ways, a fresh output folder per way):
``tagger``: GloVe BiLSTM-CRF taggers on WNUT-17 (hidden size x learning rate x CRF);
``fine-tune``: a BERT-base-sized transformer (random weights, built from a vocab.txt, no download)
fine-tuned on TREC-6 with flair's fine-tuning recipe. On a GPU machine "auto" packs trials by their
measured GPU memory; on a CPU-only one it runs one trial per core.

    python benchmarks/packing.py --search tagger --epochs 3
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


def searches(args: argparse.Namespace, work: Path) -> tuple[Any, Any]:
    import flair
    from flair.datasets import TREC_6, WNUT_17
    from flair.embeddings import WordEmbeddings

    from flair_hpo import parameters as p
    from flair_hpo.tasks import TEXT_CLASSIFICATION, SequenceTaggerSearchSpace

    flair.set_seed(0)
    if args.search == "tagger":
        corpus = WNUT_17().downsample(args.fraction)
        space = SequenceTaggerSearchSpace(tag_type="ner")
        space.add_parameter(p.SequenceTagger.EMBEDDINGS, options=[WordEmbeddings(str(GLOVE_10K), no_header=True)])
        space.add_parameter(p.SequenceTagger.HIDDEN_SIZE, options=[128, 256])
        space.add_parameter(p.SequenceTagger.USE_CRF, options=[True, False])
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2, 0.4])
    else:
        corpus = TREC_6().downsample(args.fraction)
        space = TEXT_CLASSIFICATION.fine_tuning_space(bert_base_folder(args.vocab, work / "bert", args.layers))
        space.label_type = "question_class"
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[2e-5, 3e-5, 5e-5, 1e-4])
        space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[32])
        space.add_parameter(p.ModelTrainer.WARMUP_FRACTION, options=[0.1])
        space.add_parameter(p.ModelTrainer.WEIGHT_DECAY, options=[0.01])
    space.add_max_epochs_per_training_run(args.epochs)
    return corpus, space


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search", choices=["tagger", "fine-tune"], default="tagger")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=1.0, help="of the corpus")
    parser.add_argument("--vocab", type=Path, help="a BERT uncased vocab.txt (fine-tune search)")
    parser.add_argument("--layers", type=int, default=12, help="of the random BERT (12: BERT-base)")
    args = parser.parse_args()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logging.getLogger("flair_hpo").addHandler(handler)  # when workers start, what was measured, each trial
    logging.getLogger("flair_hpo").setLevel(logging.INFO)
    work = Path(tempfile.mkdtemp(prefix="flair-hpo-packing-"))
    use_local_data("trec_6", "wnut_17", cache=work / "flair")

    import torch

    from flair_hpo import LocalExecutor, Orchestrator
    from flair_hpo.strategies import GridSearch

    corpus, space = searches(args, work)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    print(f"{args.search} search on {device}, {args.epochs} epochs a trial\n")
    print(
        "| way | trials | wall time (s) | trials per hour | most at once | seconds a trial (median) |"
        " peak GPU memory a trial (GiB, median) | cores busy a trial |"
    )
    print("|---|---|---|---|---|---|---|---|")
    per_hour = {}
    for name, executor in (("auto", LocalExecutor("auto")), ("one at a time", LocalExecutor(1))):
        timeline = Timeline()
        started = time.perf_counter()
        result = Orchestrator(
            corpus, work / name.replace(" ", "-"), space, GridSearch(), callbacks=[timeline], executor=executor
        ).optimize()
        seconds = time.perf_counter() - started
        assert all(trial.state.value == "completed" for trial in result.trials), [t.error for t in result.trials]
        per_hour[name] = 3600 * len(result.trials) / seconds
        trial_seconds = statistics.median(run.duration for trial in result.trials for run in trial.runs)
        peaks = list(executor.peak_gpu_bytes.values())
        peak = f"{statistics.median(peaks) / 2**30:.2f}" if peaks and max(peaks) else "-"
        cores = f"{executor.packing.cores_per_trial:.2f}" if executor.packing is not None else "-"
        print(
            f"| {name} | {len(result.trials)} | {seconds:.0f} | {per_hour[name]:.0f} | {timeline.most_at_once()} "
            f"| {trial_seconds:.1f} | {peak} | {cores} |",
            flush=True,
        )
    print(f'\n"auto" trains {per_hour["auto"] / per_hour["one at a time"]:.2f}x the trials per hour')


if __name__ == "__main__":
    main()
