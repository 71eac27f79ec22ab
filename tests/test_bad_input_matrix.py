"""The bad-input matrix of docs/BAD_INPUT.md: one case per row, each a clear error naming the value,
raised before any training, with nothing written and nothing already journalled lost."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest
import torch
from hyperopt import hp

from flair_hpo import Orchestrator, autotune
from flair_hpo import parameters as p
from flair_hpo.early_stopping import MedianStopping, SuccessiveHalving
from flair_hpo.errors import ConfigurationError, JournalMismatchError
from flair_hpo.executors import LocalExecutor, RayExecutor
from flair_hpo.param_selection import TextClassifierParamSelector
from flair_hpo.search.final_selection import FinalSelection
from flair_hpo.search.settings import parse_duration
from flair_hpo.storage import JOURNAL_NAME, Journal
from flair_hpo.strategies import GridSearch, OptunaSearch, TPESearch
from flair_hpo.tasks import TEXT_CLASSIFICATION, SequenceTaggerSearchSpace, TextClassifierSearchSpace

DOC = Path(__file__).resolve().parents[1] / "docs" / "BAD_INPUT.md"


@dataclass
class Case:
    trec: Any
    glove: Any
    out: Path
    tmp: Path

    def space(self, **changes: Any) -> TextClassifierSearchSpace:
        space = TextClassifierSearchSpace(label_type=changes.pop("label_type", "question_class"))
        space.add_max_epochs_per_training_run(1)
        space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[self.glove]])
        space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=changes.pop("learning_rates", [0.1, 0.2]))
        for budget, value in changes.pop("budgets", {"RUNS": 1}).items():
            space.add_budget(p.Budget[budget], value)
        return space

    def search(self, space=None, strategy=None, corpus=None, **options: Any):
        return Orchestrator(
            self.trec if corpus is None else corpus,
            self.out,
            space or self.space(),
            strategy or GridSearch(seed=0),
            **options,
        ).optimize()

    def finished_search(self) -> int:
        """A one-trial search in ``out``; its journal must survive the bad resume that follows."""
        self.search()
        return len(Journal(self.out / JOURNAL_NAME, read_only=True).trials())

    def fasttext_folder(self, name: str, train: bytes) -> Path:
        return self.folder(name, {"train.txt": train.decode("latin-1")}, encoding="latin-1")

    def folder(self, name: str, files: dict[str, str], encoding: str = "utf-8") -> Path:
        folder = self.tmp / name
        folder.mkdir()
        for file_name, text in files.items():
            (folder / file_name).write_text(text, encoding=encoding)
        return folder


def _size_limited(case: Case, limit: int) -> TextClassifierSearchSpace:
    space = case.space()
    space.max_model_bytes = limit
    return space


def _multi_label_folder(case: Case) -> Path:
    lines = "__label__a __label__b x y\n__label__c z\n__label__a __label__c y z\n"
    return case.folder("multi", {"train.txt": lines * 4, "dev.txt": lines})


def _empty_corpus(case: Case) -> Any:
    from flair.data import Corpus, Sentence

    return Corpus(train=[], dev=[Sentence("a")], test=[Sentence("b")], sample_missing_splits=False)


ROWS: list[tuple[str, Callable[[Case], Any], type[Exception], str]] = [
    ("options-not-a-list", lambda c: c.space(learning_rates=0.1), ConfigurationError, r"options must be a list, but got float \(0.1\)"),
    ("options-empty", lambda c: c.space(learning_rates=[]), ConfigurationError, r"options must hold at least one value, but got an empty list"),
    ("options-repeated", lambda c: c.space(learning_rates=[0.1, 0.2, 1e-1]), ConfigurationError, r"'learning_rate': options must differ, but 0.1 repeats 0.1 in \[0.1, 0.2, 0.1\]: give each once"),
    ("range-reversed", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.LEARNING_RATE, low=1.0, high=0.1), ConfigurationError, r"1.0.*0.1"),
    ("log-range-not-positive", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.0, high=1.0, log=True), ConfigurationError, r"0.0"),
    ("range-and-options", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.1], low=0.01, high=0.2), ConfigurationError, r"'learning_rate' got both options=\[0.1\] and a range \(low=0.01, high=0.2, log=False, step=None\): give one"),
    ("range-log-not-a-bool", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=0.2, log="false"), ConfigurationError, r"log for 'learning_rate' must be True or False, but got 'false'"),
    ("range-of-word-embeddings", lambda c: TextClassifierSearchSpace().add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, low=1, high=2), ConfigurationError, r"DocumentPoolEmbeddings.embeddings takes word embeddings, chosen from options=\[...\], not uniform\(1, 2\)"),
    ("range-half-given", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.1), ConfigurationError, r"needs both low and high, but got \(low=0.1, high=None\)"),
    ("step-fits-no-value-of-the-range", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.LEARNING_RATE, low=1e-5, high=5e-5, log=True, step=1e-4), ConfigurationError, r"no multiple of step=0.0001 lies in \[low=1e-05, high=5e-05\]"),
    ("whole-number-parameter-from-a-continuous-range", lambda c: SequenceTaggerSearchSpace(tag_type="ner").add_parameter(p.SequenceTagger.HIDDEN_SIZE, hp.uniform, low=32, high=256), ConfigurationError, r"'hidden_size' takes whole numbers, but uniform\(32, 256\) is not a bounded range of whole numbers"),
    ("whole-number-parameter-with-a-fractional-step", lambda c: SequenceTaggerSearchSpace(tag_type="ner").add_parameter(p.SequenceTagger.HIDDEN_SIZE, low=32, high=256, step=0.5), ConfigurationError, r"`step` of an integer range must be a whole number, but got 0.5"),
    ("whole-number-parameter-with-a-fractional-option", lambda c: TextClassifierSearchSpace().add_parameter(p.DocumentRNNEmbeddings.RNN_LAYERS, hp.choice, options=[1, 1.5]), ConfigurationError, r"'DocumentRNNEmbeddings.rnn_layers' takes whole numbers, but got the option 1.5"),
    ("option-flair-does-not-take", lambda c: TextClassifierSearchSpace().add_parameter(p.DocumentPoolEmbeddings.POOLING, options=["maxx", "mean"]), ConfigurationError, r"DocumentPoolEmbeddings.pooling must be one of \['mean', 'max', 'min'\], but got 'maxx'"),
    ("hyperopt-expression-without-options", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.LEARNING_RATE, hp.choice), ConfigurationError, r"bad arguments \{\} for 'learning_rate': hp.choice takes options\."),
    ("parameter-of-another-task", lambda c: TextClassifierSearchSpace().add_parameter(p.SequenceTagger.USE_CRF, options=[True]), ConfigurationError, r"SequenceTagger.USE_CRF does not fit a text_classification search"),
    ("space-empty", lambda c: c.search(space=TextClassifierSearchSpace(label_type="question_class")), ConfigurationError, r"the search space is empty"),
    ("space-file-setting", lambda c: autotune(c.trec, search_space=_space_file(c, "max_epochs: 3\nparameters:\n  ModelTrainer.LEARNING_RATE: [0.1]\n"), output=c.out), ConfigurationError, r"the file holds only 'parameters:', but also has \['max_epochs'\]; settings of the search are given on the command line \(--max-epochs"),
    ("space-file-unindented-parameter", lambda c: autotune(c.trec, search_space=_space_file(c, "parameters:\nModelTrainer.LEARNING_RATE: [0.1]\n"), output=c.out), ConfigurationError, r"\['ModelTrainer.LEARNING_RATE'\] stand beside 'parameters:', not under it: indent each parameter name under 'parameters:'"),
    ("space-file-typo", lambda c: autotune(c.trec, search_space=_space_file(c), output=c.out), ConfigurationError, r"ModelTrainer.LEARNING_RAT.*ModelTrainer.LEARNING_RATE"),
    ("space-file-key-repeated", lambda c: autotune(c.trec, search_space=_space_file(c, "parameters:\n  ModelTrainer.LEARNING_RATE: [0.1]\n  ModelTrainer.LEARNING_RATE: [0.2]\n"), output=c.out), ConfigurationError, r"'ModelTrainer.LEARNING_RATE' is written twice: give each key once"),
    ("max-trials-zero", lambda c: autotune(c.trec, max_trials=0, output=c.out), ConfigurationError, r"max_trials \(--max-trials\) must be a positive whole number, but got 0"),
    ("budget-runs-zero", lambda c: c.space(budgets={"RUNS": 0}), ConfigurationError, r"RUNS budget must be a positive whole number, but got 0"),
    ("budget-time-negative", lambda c: c.space(budgets={"TIME_IN_MIN": -5}), ConfigurationError, r"TIME_IN_MIN budget must be a positive number, but got -5"),
    ("budget-epochs-fraction", lambda c: c.space(budgets={"EPOCHS": 2.5}), ConfigurationError, r"EPOCHS budget must be a positive whole number, but got 2.5"),
    ("duration-unreadable", lambda c: parse_duration("5 minutes"), ConfigurationError, r"'90s', '30m' or '2h', but got '5 minutes'"),
    ("generations-without-evolution", lambda c: c.search(space=c.space(budgets={"GENERATIONS": 2})), ConfigurationError, r"GENERATIONS budget needs a generational strategy .*not GridSearch"),
    ("no-budget-continuous-space", lambda c: c.search(space=_continuous(c), strategy=TPESearch(seed=0)), ConfigurationError, r"no budget and a continuous space"),
    ("max-epochs-zero", lambda c: TextClassifierSearchSpace().add_max_epochs_per_training_run(0), ConfigurationError, r"max_epochs.* but got 0"),
    ("training-runs-negative", lambda c: TextClassifierSearchSpace().add_training_runs(-1), ConfigurationError, r"training_runs.* but got -1"),
    ("seed-negative", lambda c: TPESearch(seed=-1), ConfigurationError, r"seed must be a non-negative integer or None, but got -1"),
    ("seed-beside-a-strategy", lambda c: TextClassifierParamSelector(c.trec, "question_class", False, c.out, seed=5, search_strategy=TPESearch(seed=1)), ConfigurationError, r"seed=5 is for the default strategy, but search_strategy=TPESearch was given \(seed 1\): give the seed to it, e.g. TPESearch\(seed=5\)"),
    ("strategy-not-a-strategy", lambda c: c.search(strategy="tpe"), ConfigurationError, r"search_strategy must be a strategy from flair_hpo.strategies .*, but got 'tpe'"),
    ("executor-not-an-executor", lambda c: c.search(executor="local"), ConfigurationError, r"executor must be an executor from flair_hpo.executors .*, but got 'local'"),
    ("early-stopping-factor-one", lambda c: SuccessiveHalving(reduction_factor=1), ConfigurationError, r"reduction_factor must be at least 2, but got 1"),
    ("early-stopping-not-a-rule", lambda c: c.search(early_stopping="asha"), ConfigurationError, r"early_stopping must be .* but got 'asha'"),
    ("metric-unknown", lambda c: autotune(c.trec, metric="f2", output=c.out), ConfigurationError, r"'f2'"),
    ("metric-threshold-out-of-range", lambda c: autotune(c.trec, metric="precisionAtRecall:150", search_space=c.space(), output=c.out), ConfigurationError, r"150"),
    ("metric-label-not-in-corpus", lambda c: autotune(c.trec, metric="f1:NOPE", search_space=c.space(), output=c.out), ConfigurationError, r"'NOPE'"),
    ("corpus-empty", lambda c: c.search(corpus=_empty_corpus(c)), ConfigurationError, r"the corpus has no training sentences"),
    ("corpus-without-the-label-type", lambda c: c.search(space=c.space(label_type="sentiment")), ConfigurationError, r"'sentiment'.*question_class"),
    ("corpus-labels-of-another-task", lambda c: c.search(space=_tagger(c)), ConfigurationError, r"the corpus's 'question_class' labels are sentence labels, which fit text_classification, not sequence_tagging: search a TextClassifierSearchSpace"),
    ("corpus-columns-for-a-dataset", lambda c: autotune("trec_6", label_column=1, output=c.out), ConfigurationError, r"--text-column and --label-column apply to .csv and .tsv files, not to the flair dataset 'trec_6'"),
    ("corpus-folder-missing", lambda c: autotune(str(c.tmp / "no-such-corpus"), output=c.out), ConfigurationError, r"no-such-corpus.* neither a folder nor a flair dataset name"),
    ("corpus-of-one-class", lambda c: autotune(str(c.fasttext_folder("one-class", b"__label__spam buy now\n" * 20)), output=c.out), ConfigurationError, r"the training data has one label of type 'class' \(spam\): a classifier needs two at least"),
    ("corpus-file-unreadable", lambda c: autotune(str(c.fasttext_folder("binary", b"\xff\xfe\x00\x81 not text")), output=c.out), ConfigurationError, r"binary/train.txt' is not UTF-8 text \(byte 0xff at position 0\)"),
    ("corpus-several-training-files", lambda c: autotune(str(c.folder("conll", {"esp.train": "a O\n", "ned.train": "b O\n"})), output=c.out), ConfigurationError, r"holds several training files \(esp.train, ned.train\): name the one to use .*esp.train"),
    ("corpus-split-of-another-format", lambda c: autotune(str(c.folder("mixed", {"train.txt": "__label__a x y\n", "dev.txt": "__label__a x\nx y\n"})), output=c.out), ConfigurationError, r"dev.txt:2: no __label__ label on this line"),
    ("corpus-columns-differ", lambda c: autotune(str(c.folder("tags", {"train.txt": "Ann B-PER\n\n", "test.txt": "Ann B PER\n"})), output=c.out), ConfigurationError, r"test.txt:1: 3 columns, but the training file has 2 .*a tag written with a space"),
    ("corpus-csv-columns-unnamed", lambda c: autotune(str(c.folder("csv", {"train.csv": "3,some news\n"})), output=c.out), ConfigurationError, r"say which column holds the text \(--text-column"),
    ("corpus-csv-column-out-of-range", lambda c: autotune(str(c.folder("csv-range", {"train.csv": "label,text\nHUM,who\nLOC,where\n"})), label_column=7, output=c.out), ConfigurationError, r"--label-column 7 is not a column of train.csv: its first row has 2 \(positions 0 to 1\)"),
    ("embeddings-path-missing", lambda c: autotune(c.trec, embeddings=str(c.tmp / "nope.gensim"), output=c.out), ConfigurationError, r"cannot load word embeddings '.*nope.gensim'"),
    ("model-size-unreadable", lambda c: autotune(c.trec, model_size="20Q", output=c.out), ConfigurationError, r"'20Q'"),
    ("model-size-impossible", lambda c: autotune(c.trec, model_size="1M", search_space=c.space(), output=c.out), ConfigurationError, r"no configuration fits the model-size limit of 1.0M: .*glove.6B.50d.top10k.txt.*alone take 2.0M"),
    ("predictions-every-label", lambda c: autotune(str(_multi_label_folder(c)), predictions=3, search_space=c.space(), output=c.out), ConfigurationError, r"--predictions 3 would predict every one of the corpus's 3 labels.*from 1 to 2"),
    ("predictions-on-single-label-data", lambda c: autotune(c.trec, predictions=2, search_space=c.space(), output=c.out), ConfigurationError, r"--predictions 2 scores the top 2 labels of multi-label data, but this corpus has one label per sentence"),
    ("predictions-on-macro-f1", lambda c: autotune(c.trec, metric="macro-f1", predictions=2, output=c.out), ConfigurationError, r"--predictions applies to f1.* not to 'macro-f1'"),
    ("recipe-unknown", lambda c: TextClassifierSearchSpace().set_fixed(p.ModelTrainer.RECIPE, "finetune"), ConfigurationError, r"recipe must be one of \['train', 'fine_tune'\], but got 'finetune'"),
    ("recipe-from-a-normal", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.RECIPE, hp.normal, mu=0, sigma=1), ConfigurationError, r"recipe is chosen from options=\['train', 'fine_tune'\], not a range"),
    ("warmup-fraction-out-of-range", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.WARMUP_FRACTION, options=[0.1, 1.0]), ConfigurationError, r"warmup_fraction .* from 0 up to \(not including\) 1, but got 1.0"),
    ("warmup-fraction-from-a-normal", lambda c: TextClassifierSearchSpace().add_parameter(p.ModelTrainer.WARMUP_FRACTION, hp.normal, mu=0.1, sigma=0.05), ConfigurationError, r"warmup_fraction .* but normal\(0.1, 0.05\) can give any number"),
    ("fine-tune-recipe-with-nothing-to-fine-tune", lambda c: c.search(space=_fine_tuning_glove(c)), ConfigurationError, r"the fine_tune recipe fine-tunes pretrained embeddings, but no configuration of this search space has any"),
    ("transformer-folder-missing", lambda c: autotune(c.trec, transformer=str(c.tmp / "no-such-model"), output=c.out), ConfigurationError, r"transformer '.*no-such-model' is not a folder here, nor a model name"),
    ("space-file-transformer-missing", lambda c: autotune(c.trec, search_space=_space_file(c, "parameters:\n  TransformerDocumentEmbeddings.MODEL: [/no/such-model]\n"), output=c.out), ConfigurationError, r"transformer '/no/such-model' is not a folder here, nor a model name"),
    ("space-file-transformers-nested", lambda c: autotune(c.trec, search_space=_space_file(c, "parameters:\n  TransformerDocumentEmbeddings.MODEL: [[a-model, b-model]]\n"), output=c.out), ConfigurationError, r"TransformerDocumentEmbeddings.model takes one transformer per option \(a name or a folder\), but got \['a-model', 'b-model'\]"),
    ("transformer-not-a-name", lambda c: autotune(c.trec, transformer="bert base", output=c.out), ConfigurationError, r"transformer 'bert base' is not a folder here, nor a model name such as 'bert-base-uncased' or 'org/model': Repo id must use"),
    ("transformer-with-a-space-of-ones-own", lambda c: autotune(c.trec, transformer="bert-base-uncased", search_space=c.space(), output=c.out), ConfigurationError, r"transformer 'bert-base-uncased' \(--transformer\) is for the default space"),
    ("fine-tune-without-a-transformer", lambda c: autotune(c.trec, fine_tune=True, output=c.out), ConfigurationError, r"fine-tuning needs a transformer to fine-tune: give transformer \(--transformer\)"),
    ("grid-over-ranges", lambda c: autotune(c.trec, strategy="grid", search_space=_continuous(c), output=c.out), ConfigurationError, r"--strategy grid needs option lists for every parameter, but the search space searches \['learning_rate'\] over ranges: give a --space file .* or use --strategy evolutionary, optuna, random, tpe"),
    ("strategy-unknown", lambda c: autotune(c.trec, strategy="bayes", output=c.out), ConfigurationError, r"strategy must be one of .* but got 'bayes'"),
    ("optuna-sampler-unknown", lambda c: OptunaSearch(sampler="bayes"), ConfigurationError, r"sampler must be one of \['cmaes', 'gp', 'qmc', 'tpe'\], but got 'bayes'"),
    ("final-seeds-not-positive", lambda c: autotune(c.trec, final_seeds=0, output=c.out), ConfigurationError, r"final_seeds \(1 turns the final selection off\) must be a positive whole number, but got 0"),
    ("final-selection-runs-too-few", lambda c: c.search(final_selection=FinalSelection(runs=1)), ConfigurationError, r"FinalSelection runs must be a whole number of at least 2 \(the runs each candidate has in all\), but got 1"),
    ("output-unwritable", lambda c: _under_a_file(c), ConfigurationError, r"base_path '.*file/out' cannot be written"),
    ("resume-other-space", lambda c: (c.finished_search(), c.search(space=c.space(learning_rates=[0.3]))), JournalMismatchError, r"space differ"),
    ("resume-other-task", lambda c: (c.finished_search(), c.search(space=_tagger(c), corpus=c.trec)), ConfigurationError, r"task|tag"),
    ("resume-other-early-stopping", lambda c: (c.finished_search(), c.search(early_stopping=MedianStopping())), JournalMismatchError, r"early_stopping differ"),
    ("resume-other-model-size", lambda c: (c.finished_search(), c.search(space=_size_limited(c, 10**9))), JournalMismatchError, r"max_model_bytes differs from this one: max_model_bytes is None in the journal, 1000000000 now"),
    ("resume-other-strategy-settings", lambda c: (c.finished_search(), c.search(strategy=GridSearch(shuffle=True, seed=0))), JournalMismatchError, r"strategy_settings differs from this one: strategy_settings: shuffle is False in the journal, True now"),
    ("local-executor-class-of-the-script", lambda c: c.search(space=_with_optimizer(c, "__main__"), executor=LocalExecutor(1)), ConfigurationError, r"<class '__main__.ScriptSGD'> cannot be sent to LocalExecutor's worker processes: it is defined in the script that runs the search"),
    ("local-executor-class-inside-a-function", lambda c: c.search(space=_with_optimizer(c, None), executor=LocalExecutor(1)), ConfigurationError, r"cannot be sent to LocalExecutor's worker processes: it is defined inside a function \(_with_optimizer.<locals>.ScriptSGD\)"),
    ("local-executor-task-of-the-script", lambda c: c.search(space=_with_task_of_the_script(c), executor=LocalExecutor(1)), ConfigurationError, r"<task text_classification> cannot be sent to LocalExecutor's worker processes: it is defined in the script that runs the search \(ScriptClassification in __main__\)"),
    ("local-executor-dataset-of-the-script", lambda c: c.search(corpus=_corpus_of_the_script(c), executor=LocalExecutor(1)), ConfigurationError, r"<class '__main__.ScriptDataset'> cannot be sent to LocalExecutor's worker processes: it is defined in the script that runs the search"),
    ("ray-address-unanswered", lambda c: c.search(executor=RayExecutor(f"127.0.0.1:{_closed_port()}")), ConfigurationError, r"no Ray cluster answers at address '127.0.0.1:\d+'"),
    ("ray-resources-not-a-mapping", lambda c: RayExecutor(resources_per_trial=1), ConfigurationError, r"resources_per_trial must be 'auto' or Ray resources such as \{'cpu': 1, 'gpu': 0.25\}, but got 1"),
    ("ray-unknown-resource", lambda c: RayExecutor(resources_per_trial={"tpu": 1}), ConfigurationError, r"resources_per_trial names \['tpu'\]"),
]  # fmt: skip


def _continuous(case: Case) -> TextClassifierSearchSpace:
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[case.glove]])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=0.2)
    return space


def _with_optimizer(case: Case, module: Optional[str]) -> TextClassifierSearchSpace:
    """A space whose optimizer class is defined in the script (``module="__main__"``) or inside this function."""

    class ScriptSGD(torch.optim.SGD):
        pass

    if module is not None:
        ScriptSGD.__module__, ScriptSGD.__qualname__ = module, "ScriptSGD"
    space = case.space()
    space.add_parameter(p.ModelTrainer.OPTIMIZER, options=["SGD", ScriptSGD])
    return space


def _with_task_of_the_script(case: Case) -> TextClassifierSearchSpace:
    """A space of a task whose class is defined in the script that runs the search."""
    task = copy.copy(TEXT_CLASSIFICATION)
    task.__class__ = type("ScriptClassification", (type(TEXT_CLASSIFICATION),), {"__module__": "__main__"})
    space = case.space()
    space.task = task
    return space


def _corpus_of_the_script(case: Case) -> Any:
    """The corpus's sentences in a dataset class defined in the script that runs the search."""
    from flair.data import Corpus
    from flair.datasets import FlairDatapointDataset

    script_dataset = type("ScriptDataset", (FlairDatapointDataset,), {"__module__": "__main__"})
    train, dev = list(case.trec.train)[:20], list(case.trec.dev)[:10]
    return Corpus(script_dataset(train), script_dataset(dev), sample_missing_splits=False)


def _fine_tuning_glove(case: Case) -> TextClassifierSearchSpace:
    space = case.space()
    space.set_fixed(p.ModelTrainer.RECIPE, "fine_tune")
    return space


def _tagger(case: Case) -> SequenceTaggerSearchSpace:
    space = SequenceTaggerSearchSpace(tag_type="question_class")
    space.add_parameter(p.SequenceTagger.EMBEDDINGS, options=[[case.glove]])
    space.add_budget(p.Budget.RUNS, 1)
    return space


def _space_file(case: Case, text: str = "parameters:\n  ModelTrainer.LEARNING_RAT: [0.1, 0.2]\n") -> Path:
    path = case.tmp / "space.yaml"
    path.write_text(text)
    return path


def _under_a_file(case: Case) -> None:
    (case.tmp / "file").write_text("not a folder")
    Orchestrator(case.trec, case.tmp / "file" / "out", case.space(), GridSearch(seed=0)).optimize()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(("name", "action", "error", "message"), ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_refused_before_training(name, action, error, message, trec, glove, tmp_path) -> None:
    case = Case(trec, glove, tmp_path / "out", tmp_path)
    resumed = name.startswith("resume")
    with pytest.raises(error, match=message):
        action(case)
    if resumed:
        trials = Journal(case.out / JOURNAL_NAME, read_only=True).trials()
        assert len(trials) == 1 and trials[0].state.value == "completed"  # nothing lost
    else:
        assert not case.out.exists()  # nothing written, not even the folder


def test_every_row_is_in_the_documented_matrix() -> None:
    documented = re.findall(r"^\| `([a-z0-9-]+)` \|", DOC.read_text(), flags=re.MULTILINE)
    assert documented == [row[0] for row in ROWS]
    assert len(documented) >= 25
