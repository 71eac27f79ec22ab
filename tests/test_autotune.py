"""The autotune call and the ``flair-hpo`` command on real data: corpora, metrics, model size, Ctrl-C."""

from __future__ import annotations

import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from flair_hpo import ConfigurationError
from flair_hpo.frontends.autotune import AutotuneError, autotune, parse_model_size
from flair_hpo.frontends.cli import main
from flair_hpo.storage import State
from local_data import DATA, GLOVE_10K, GLOVE_50K

pytestmark = pytest.mark.training


def first_sentences(source: Path, target: Path, count: int) -> None:
    """The first ``count`` sentences (blocks separated by blank lines) of a column file."""
    blocks = re.split(r"\n\s*\n", source.read_text(encoding="utf-8"))
    target.write_text("\n\n".join(blocks[:count]) + "\n", encoding="utf-8")


@pytest.fixture
def wnut_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "wnut-slice"
    folder.mkdir()
    for name, count in (("wnut17train.conll", 150), ("emerging.dev.conll", 50), ("emerging.test.annotated", 50)):
        first_sentences(DATA / "datasets" / "wnut_17" / name, folder / name, count)
    return folder


@pytest.fixture
def cooking_folder(tmp_path: Path) -> Path:
    """600 training questions and 150 validation questions, unfiltered: many of their tags never occur in the
    training slice (flair 0.15.1's multi-label prediction fails on such tags unless the label dictionary
    covers every split)."""
    folder = tmp_path / "cooking-slice"
    folder.mkdir()
    train = (DATA / "datasets" / "cooking" / "cooking.train").read_text(encoding="utf-8").splitlines()[:600]
    valid = (DATA / "datasets" / "cooking" / "cooking.valid").read_text(encoding="utf-8").splitlines()[:150]
    known = {word for line in train for word in line.split() if word.startswith("__label__")}
    assert any(word not in known for line in valid for word in line.split() if word.startswith("__label__"))
    (folder / "cooking.train").write_text("\n".join(train) + "\n", encoding="utf-8")
    (folder / "cooking.valid").write_text("\n".join(valid[:75]) + "\n", encoding="utf-8")
    (folder / "cooking.test").write_text("\n".join(valid[75:]) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def trec_folder(tmp_path: Path) -> Path:
    """TREC-6 questions in fastText format: 500 for training, 100 each for dev and test."""
    folder = tmp_path / "trec-slice"
    folder.mkdir()
    lines = (DATA / "datasets" / "trec_6" / "original" / "train_5500.label").read_text(encoding="latin-1").splitlines()
    questions = [f"__label__{line.split(':', 1)[0]} {line.split(' ', 1)[1]}" for line in lines[:700]]
    for name, part in (
        ("trec.train", questions[:500]),
        ("trec.dev", questions[500:600]),
        ("trec.test", questions[600:]),
    ):
        (folder / name).write_text("\n".join(part) + "\n", encoding="utf-8")
    return folder


def test_a_column_folder_becomes_a_tagging_search(wnut_folder: Path, tmp_path: Path) -> None:
    progress = io.StringIO()
    result = autotune(
        str(wnut_folder), duration="180s", max_trials=2, max_epochs=1, embeddings=str(GLOVE_10K), output=tmp_path / "out",
        train_with_dev=True, progress=progress, metric="accuracy",
    )  # fmt: skip
    printed = progress.getvalue()
    assert "format columns (token ... tag)" in printed and "sentences: train 150, dev 50, test 50" in printed
    assert "task sequence_tagging, label type 'ner'" in printed
    assert "final model on train+dev: epoch 1/1 done" in printed  # the retrain is visible
    assert result.search.trials[0].parameters["embeddings"].startswith("WordEmbeddings(glove.6B.50d.top10k.txt")
    assert type(result.model).__name__ == "SequenceTagger" and result.model.label_type == "ner"
    assert result.model_path.is_file() and result.test_label == "accuracy"  # the final model's, by the search's metric
    assert result.model.model_card["training_parameters"]["train_with_dev"] is True
    best = result.search.best  # both trials trained again with 2 further seeds (time enough on a loaded machine too)
    assert best is not None and len(best.runs) == 3 and all(len(trial.runs) == 3 for trial in result.search.trials)
    assert "95% interval" in (tmp_path / "out" / "param_selection.txt").read_text()


def test_a_fasttext_folder_with_top_k_predictions(cooking_folder: Path, tmp_path: Path) -> None:
    progress = io.StringIO()
    result = autotune(
        str(cooking_folder), metric="f1", predictions=2, duration="60s", max_trials=1, max_epochs=1,
        final_seeds=1, embeddings=str(GLOVE_10K), output=tmp_path / "out", progress=progress,
    )  # fmt: skip
    assert "F1 of each sentence's top 2 predicted labels (as fastText's autotune" in progress.getvalue()
    assert "final model: the weights of trial 0, as the search trained them" in progress.getvalue()
    assert result.model.multi_label and result.model.label_type == "class"
    assert result.search.objective_label == "dev f1@top2 (higher is better)"
    assert result.test_label == "f1@top2" and 0.0 <= result.test_score <= 1.0
    trial = result.search.trials[0]
    assert len(trial.runs[0].dev_scores) == 1 and trial.score == trial.runs[0].dev_scores[0]


def test_a_label_metric_and_a_model_size_limit(flair_cache, tmp_path: Path) -> None:
    progress = io.StringIO()
    space_file = tmp_path / "space.yaml"
    space_file.write_text(
        "parameters:\n"
        f"  DocumentPoolEmbeddings.WORD_EMBEDDINGS: [[{GLOVE_10K}], [{GLOVE_50K}]]\n"
        "  ModelTrainer.LEARNING_RATE: {low: 0.05, high: 0.5, log: true}\n"
    )
    result = autotune(
        "trec_6", metric="f1:HUM", duration="90s", max_trials=4, max_epochs=1, model_size="5M", strategy="random",
        search_space=space_file, output=tmp_path / "out", seed=3, progress=progress,
    )  # fmt: skip
    failed = sum(t.state is State.FAILED for t in result.search.trials)
    assert f"{failed} of {len(result.search.trials)} trials failed, {failed} of them like: ModelTooLarge" in (
        progress.getvalue()
    )
    by_embeddings = {t.state: [] for t in result.search.trials}
    for trial in result.search.trials:
        by_embeddings[trial.state].append(trial.parameters["DocumentPoolEmbeddings.embeddings"])
        if "top50k" in trial.parameters["DocumentPoolEmbeddings.embeddings"]:
            assert trial.state is State.FAILED and "ModelTooLarge" in trial.error and "limit of 5.0M" in trial.error
    assert by_embeddings[State.COMPLETED] and by_embeddings.get(State.FAILED)
    assert result.model_bytes <= 5_000_000 and result.model_path.stat().st_size <= 5_000_000
    assert result.search.objective_label == "dev f1:HUM (higher is better)" and result.test_label == "f1:HUM"

    with pytest.raises(ConfigurationError, match=r"no configuration fits the model-size limit of 100.0K"):
        autotune(
            "trec_6",
            duration="60s",
            max_trials=2,
            model_size="100K",
            embeddings=str(GLOVE_10K),
            output=tmp_path / "tiny",
        )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["trec_7"], "'trec_7' is neither a folder nor a flair dataset name; did you mean trec_6"),
        (["trec_6", "--duration", "0"], "the time budget must be a positive duration, but got .0."),
        (["trec_6", "--metric", "f1:NOPE"], "the metric names label 'NOPE', which the corpus does not have"),
        (["trec_6", "--metric", "precision"], "'precision' is not a metric"),
        (["trec_6", "--model-size", "20Q"], "a model size must look like '20M', '500K' or '1.5G', but got '20Q'"),
        (["trec_6", "--embeddings", "/nowhere/vectors.txt"], "cannot load word embeddings '/nowhere/vectors.txt'"),
        (
            ["trec_6", "--task", "tagging"],
            "'question_class' labels are sentence labels, which fit text_classification, not sequence_tagging",
        ),
    ],
)
def test_bad_input_is_one_clear_message_before_training(
    arguments: list[str], message: str, flair_cache, tmp_path: Path
) -> None:
    embeddings = [] if "--embeddings" in arguments else ["--embeddings", str(GLOVE_10K)]
    outcome = CliRunner().invoke(main, ["tune", *arguments, *embeddings, "--output", str(tmp_path / "out")])
    assert outcome.exit_code == 2, outcome.output
    assert "Error:" in outcome.output
    assert re.search(message, " ".join(outcome.output.split())), outcome.output
    assert not (tmp_path / "out" / "trials").exists()


def test_folder_and_space_file_errors(tmp_path: Path, flair_cache) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    outcome = CliRunner().invoke(main, ["tune", str(empty)])
    assert outcome.exit_code == 2 and "has no training file" in outcome.output
    space = tmp_path / "space.yaml"
    space.write_text("parameters:\n  ModelTrainer.LEARNIG_RATE: [0.1]\n")
    outcome = CliRunner().invoke(main, ["tune", "trec_6", "--space", str(space), "--embeddings", str(GLOVE_10K)])
    assert outcome.exit_code == 2 and "did you mean ModelTrainer.LEARNING_RATE," in outcome.output
    with pytest.raises(ConfigurationError, match="'20Q'"):
        parse_model_size("20Q")
    assert parse_model_size("20M") == 20_000_000 and parse_model_size("1.5G") == 1_500_000_000


def start_tune(corpus: Path, tmp_path: Path, *extra: str, ignore_ctrl_c: bool = False) -> subprocess.Popen:
    command = [sys.executable, "-m", "flair_hpo", "tune", str(corpus), "--embeddings", str(GLOVE_10K)]
    command += ["--duration", "10m", "--max-epochs", "3", "--output", str(tmp_path / "out"), *extra]
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_ctrl_c else None
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ), preexec_fn=ignore
    )


def wait_for_completed_trials(journal: Path, count: int, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        if journal.exists():
            with sqlite3.connect(journal) as connection:
                try:
                    done = connection.execute("SELECT count(*) FROM trials WHERE state = 'completed'").fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
            if done >= count:
                return
        time.sleep(0.5)
    raise AssertionError("no trial completed in time")


def test_first_ctrl_c_stops_the_search_and_keeps_the_best(trec_folder: Path, tmp_path: Path) -> None:
    process = start_tune(trec_folder, tmp_path)
    wait_for_completed_trials(tmp_path / "out" / "journal.sqlite", 2, process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stderr
    assert "search stopped by Ctrl-C" in stderr and "Best configuration (trial" in stdout
    assert "it/s]" not in stderr  # flair's evaluation bars are off without --verbose, on a terminal or not
    assert (tmp_path / "out" / "final-model" / "final-model.pt").is_file()
    with sqlite3.connect(tmp_path / "out" / "journal.sqlite") as connection:
        states = [row[0] for row in connection.execute("SELECT state FROM trials ORDER BY number")]
    assert states[:2] == ["completed", "completed"] and set(states[2:]) <= {"completed", "running", "failed"}
    text = (tmp_path / "out" / "param_selection.txt").read_text()
    assert text.count("\ntrial ") == states.count("completed") + states.count(
        "failed"
    )  # the running trial is discarded


def test_second_ctrl_c_exits_at_once_with_the_journal_intact(trec_folder: Path, tmp_path: Path) -> None:
    process = start_tune(trec_folder, tmp_path, "--max-epochs", "10", "--train-with-dev")
    wait_for_completed_trials(tmp_path / "out" / "journal.sqlite", 1, process, timeout=480)
    process.send_signal(signal.SIGINT)
    for line in process.stderr:
        if "search stopped by Ctrl-C" in line:
            break
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == 130
    assert not (tmp_path / "out" / "final-model" / "final-model.pt").exists()
    with sqlite3.connect(tmp_path / "out" / "journal.sqlite") as connection:
        assert connection.execute("SELECT count(*) FROM trials WHERE state = 'completed'").fetchone()[0] >= 1


def test_a_second_ctrl_c_while_the_first_still_stops_the_search_exits_at_once(
    trec_folder: Path, tmp_path: Path, monkeypatch
) -> None:
    """Ctrl-C after the first trial; another while the search writes its outputs on the way out."""
    from flair_hpo.search.orchestrator import Orchestrator
    from flair_hpo.search.progress import ProgressLine

    pressed = []

    def first_ctrl_c(self, trial, best) -> None:
        pressed.append(1)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)

    def second_ctrl_c_while_stopping(self, write=Orchestrator._write_outputs):
        if len(pressed) == 1:
            pressed.append(2)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
        return write(self)

    monkeypatch.setattr(ProgressLine, "on_trial_end", first_ctrl_c)
    monkeypatch.setattr(Orchestrator, "_write_outputs", second_ctrl_c_while_stopping)
    with pytest.raises(SystemExit) as exited:
        autotune(str(trec_folder), duration="60s", max_epochs=1, embeddings=str(GLOVE_10K), output=tmp_path / "out")
    assert exited.value.code == 130 and pressed == [1, 2]
    assert not (tmp_path / "out" / "final-model" / "final-model.pt").exists()
    assert "\ntrial 0" in (tmp_path / "out" / "param_selection.txt").read_text()  # written all the same


def test_sigterm_stops_the_search_at_once_and_the_same_command_resumes_it(trec_folder: Path, tmp_path: Path) -> None:
    """A batch scheduler's SIGTERM, with Ctrl-C ignored as in a script's background job: the training trial
    stops (flair's trainer would have ended it quietly as finished), every finished trial stays journalled, no
    final model is made in haste, and the same command resumes and makes it."""
    journal = tmp_path / "out" / "journal.sqlite"
    same_command = ("--max-epochs", "3", "--max-trials", "2", "--final-seeds", "1")
    process = start_tune(trec_folder, tmp_path, *same_command, ignore_ctrl_c=True)
    wait_for_completed_trials(journal, 1, process)
    training_log = tmp_path / "out" / "trials" / "0001" / "run-1" / "training.log"
    while "EPOCH 1 done" not in (training_log.read_text() if training_log.exists() else ""):
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)  # while trial 1 trains
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "Stopped by SIGTERM: every finished trial is in" in stderr and "Best configuration" not in stdout
    assert not (tmp_path / "out" / "final-model" / "final-model.pt").exists()
    with sqlite3.connect(journal) as connection:
        states = [row[0] for row in connection.execute("SELECT state FROM trials ORDER BY number")]
    assert states[0] == "completed" and "completed" not in states[1:], states
    assert "\ntrial 0" in (tmp_path / "out" / "param_selection.txt").read_text()

    resumed = start_tune(trec_folder, tmp_path, *same_command)
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert "1 finished trials" in (tmp_path / "out" / "search.log").read_text()
    assert (tmp_path / "out" / "final-model" / "final-model.pt").is_file()


def test_sigterm_while_the_final_model_trains_exits_without_a_final_model(trec_folder: Path, tmp_path: Path) -> None:
    """flair's trainer would save and test the model it trains on a KeyboardInterrupt: SIGTERM is not one."""
    command = ("--max-trials", "1", "--final-seeds", "1", "--max-epochs", "3", "--train-with-dev")
    process = start_tune(trec_folder, tmp_path, *command, ignore_ctrl_c=True)
    for line in process.stderr:
        if "final model on train+dev: epoch 1/3 done" in line:
            break
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "Test micro-F1" not in stdout and not (tmp_path / "out" / "final-model" / "final-model.pt").exists()


def test_a_glue_tsv_folder_is_a_classification_corpus(tmp_path: Path) -> None:
    folder = tmp_path / "sst2-slice"
    folder.mkdir()
    for name, count in (("train.tsv", 301), ("dev.tsv", 81), ("test.tsv", 21)):
        lines = (DATA / "datasets" / "sst2" / name).read_text(encoding="utf-8").splitlines()[:count]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    progress = io.StringIO()
    result = autotune(
        str(folder), duration="60s", max_trials=1, max_epochs=1, embeddings=str(GLOVE_10K), output=tmp_path / "out",
        progress=progress,
    )  # fmt: skip
    printed = progress.getvalue()
    assert "format TSV, text column 'sentence', label column 'label'" in printed
    assert "test.tsv has no label column, so it is not used as test data" in printed
    assert "sentences: train 300, dev 80, test none" in printed and "2 labels (one label each): " in printed
    assert type(result.model).__name__ == "TextClassifier" and result.test_score is None
    assert [trial.test_score for trial in result.search.trials] == [None]  # not flair's 0 for a missing test set


def test_fasttext_lines_with_a_bom_and_labels_at_the_end(tmp_path: Path) -> None:
    from flair_hpo.frontends.corpora import load_corpus

    folder = tmp_path / "labels-last"
    folder.mkdir()
    (folder / "q.train").write_text(
        "\ufeffhow to boil eggs __label__eggs\nwhich knife for bread __label__knives __label__bread\n",
        encoding="utf-8",
    )
    (folder / "q.valid").write_text("__label__eggs soft boiled eggs\n", encoding="utf-8")
    loaded = load_corpus(str(folder))
    assert loaded.task.name == "text_classification" and "format fastText" in loaded.source
    first, second = list(loaded.corpus.train)
    assert first.to_original_text() == "how to boil eggs" and first.get_label("class").value == "eggs"
    assert sorted(label.value for label in second.get_labels("class")) == ["bread", "knives"]
    assert loaded.corpus.test is None  # no test file: nothing is split off the training data


def test_a_corpus_is_multi_label_where_dev_sentences_carry_several_labels(tmp_path: Path) -> None:
    from flair_hpo.frontends.corpora import load_corpus

    folder = tmp_path / "dev-multi"
    folder.mkdir()
    (folder / "train.txt").write_text("__label__eggs boil eggs\n__label__bread bake bread\n", encoding="utf-8")
    (folder / "dev.txt").write_text("__label__eggs __label__bread egg bread\n", encoding="utf-8")
    loaded = load_corpus(str(folder))
    assert loaded.task.is_multi_label(loaded.corpus, loaded.label_type)


def test_a_training_file_names_one_corpus_of_a_folder_of_several(tmp_path: Path) -> None:
    from flair_hpo.frontends.corpora import load_corpus

    folder = tmp_path / "conll"
    folder.mkdir()
    for language, tag in (("esp", "B-PER"), ("ned", "B-LOC")):
        for split in ("train", "testa", "testb"):
            (folder / f"{language}.{split}").write_text(f"Ana {tag}\nhabla O\n\n", encoding="utf-8")
    loaded = load_corpus(str(folder / "ned.train"))
    assert "train ned.train, dev ned.testa, test ned.testb" in loaded.source
    assert {s.get_labels("ner")[0].value for s in loaded.corpus.get_all_sentences()} == {"LOC"}


def test_dev_and_test_files_are_the_training_files_own_and_named_as_splits(tmp_path: Path) -> None:
    """Not another corpus's dev file (ned.testa beside esp.train), not a file that only contains 'test' in its
    name; a dev file of another name stem is taken where no corpus of its own claims it (WNUT-17's files)."""
    from flair_hpo.frontends.corpora import split_files

    def names(files: list[str], train=None) -> dict[str, str]:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        for name in files:
            (folder / name).write_text("a O\n", encoding="utf-8")
        return {split: path.name for split, path in split_files(folder, train and folder / train).items()}

    languages = ["esp.train", "esp.testb", "ned.train", "ned.testa", "ned.testb"]
    assert names(languages, "esp.train") == {"train": "esp.train", "test": "esp.testb"}  # no dev: split off
    predictions = ["latest_predictions.txt", "train.txt", "dev.txt", "test.txt"]
    assert names(predictions) == {"train": "train.txt", "dev": "dev.txt", "test": "test.txt"}
    wnut = ["wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"]
    assert names(wnut) == {"train": "wnut17train.conll", "dev": "emerging.dev.conll", "test": "emerging.test.annotated"}


def test_csv_and_tsv_rows_are_checked_in_the_training_file_and_positions_do_not_make_a_header(tmp_path: Path) -> None:
    from flair_hpo.errors import ConfigurationError
    from flair_hpo.frontends.corpora import load_corpus

    folder = tmp_path / "no-header"
    folder.mkdir()
    (folder / "train.tsv").write_text("a fine film\t1\nthe worst one\t0\nquite good\t1\n", encoding="utf-8")
    (folder / "dev.tsv").write_text("not good\t0\nvery good\t1\n", encoding="utf-8")
    loaded = load_corpus(str(folder), text_column=["0"], label_column="1")
    assert "text column 0, label column 1" in loaded.source and "dev dev.tsv" in loaded.source  # no header guessed
    assert len(loaded.corpus.train) == 3 and len(loaded.corpus.dev) == 2
    named = tmp_path / "header-of-other-names"
    named.mkdir()
    (named / "train.tsv").write_text("utterance\tintent_name\nbook it\tbook\nplay it\tplay\nbook that\tbook\n")
    (named / "dev.tsv").write_text("utterance\tintent_name\nplay that\tplay\n", encoding="utf-8")
    loaded = load_corpus(str(named), text_column=["0"], label_column="1")
    assert "text column 'utterance', label column 'intent_name'" in loaded.source
    assert len(loaded.corpus.train) == 3 and len(loaded.corpus.dev) == 1
    assert {s.get_label("class").value for s in loaded.corpus.train} == {"book", "play"}
    rare = tmp_path / "rare-class-first"  # its first row's class is in no other row, but it is a sentence
    rare.mkdir()
    (rare / "train.csv").write_text("where is paris,LOC\nwho is he,HUM\nwho are they,HUM\nwhat is it,DESC\n")
    loaded = load_corpus(str(rare), text_column=["0"], label_column="1")
    assert "text column 0, label column 1" in loaded.source and len(loaded.corpus.train) == 4
    for name, train, message in [
        (
            "semicolons",
            "label;text\nHUM;who is it\nLOC;where is it\n",
            r"--text-column 1 is not a column of train.csv: its first row has 1",
        ),
        ("short-row", "label,text\nHUM,who is it\nLOC\n", r"train.csv:3: 1 fields"),
        ("empty-text", "label,text\nHUM,who is it\nLOC, \n", r"train.csv:3: the text column 'text' is empty"),
    ]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "train.csv").write_text(train, encoding="utf-8")
        with pytest.raises(ConfigurationError, match=message):
            load_corpus(
                str(folder),
                text_column=["1"] if name == "semicolons" else None,
                label_column="0" if name == "semicolons" else None,
            )


def test_the_command_keeps_flair_training_log_and_an_earlier_final_model(wnut_folder: Path, tmp_path: Path) -> None:
    arguments = ["tune", str(wnut_folder), "--embeddings", str(GLOVE_10K), "--max-trials", "1", "--max-epochs", "1"]
    arguments += ["--duration", "60s", "--output", str(tmp_path / "out")]
    first = CliRunner().invoke(main, arguments)
    assert first.exit_code == 0, first.output
    log_text = (tmp_path / "out" / "trials" / "0000" / "run-1" / "training.log").read_text()
    assert "Model training base path" in log_text and "EPOCH 1 done" in log_text
    again = CliRunner().invoke(main, arguments)  # the finished search is resumed; its final model is kept
    assert again.exit_code == 0, again.output
    assert (tmp_path / "out" / "final-model" / "final-model.previous.pt").is_file()
    assert (tmp_path / "out" / "final-model" / "final-model.pt").is_file()


def test_a_budget_too_short_for_one_epoch_says_so(wnut_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(
        AutotuneError, match=r"the time budget \(0.01 s\) ran out before the first trial finished one epoch"
    ):
        autotune(str(wnut_folder), duration=0.01, embeddings=str(GLOVE_10K), output=tmp_path / "out")


def test_ctrl_c_before_any_epoch_says_there_is_no_model(wnut_folder: Path, tmp_path: Path, monkeypatch) -> None:
    from flair_hpo.training.runner import TrialRunner

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt  # as Ctrl-C pressed while the first model is built

    monkeypatch.setattr(TrialRunner, "fresh_model", ctrl_c)
    with pytest.raises(
        AutotuneError, match=r"stopped by Ctrl-C before any trial finished \(the trial it stopped is discarded"
    ):
        autotune(str(wnut_folder), duration="60s", max_epochs=1, embeddings=str(GLOVE_10K), output=tmp_path / "out")


def test_numbers_written_as_strings_in_a_space_file(tmp_path: Path) -> None:
    from flair_hpo.frontends.space_files import load_space_file
    from flair_hpo.space import Categorical, Float
    from flair_hpo.tasks import TEXT_CLASSIFICATION

    path = tmp_path / "space.yaml"
    path.write_text(
        "parameters:\n"
        '  ModelTrainer.LEARNING_RATE: ["0.1", "0.2"]\n'
        "  DocumentRNNEmbeddings.DROPOUT: {low: 1e-3, high: 0.5}\n"
        "  DocumentRNNEmbeddings.RNN_TYPE: [GRU, LSTM]\n"
        f"  DocumentRNNEmbeddings.WORD_EMBEDDINGS: [[{GLOVE_10K}]]\n"
    )
    space = load_space_file(path, TEXT_CLASSIFICATION).to_space()
    assert space.distributions["learning_rate"] == Categorical([0.1, 0.2])
    assert space.distributions["DocumentRNNEmbeddings.dropout"] == Float(0.001, 0.5)
    assert space.distributions["DocumentRNNEmbeddings.rnn_type"] == Categorical(["GRU", "LSTM"])


def test_a_dataset_name_is_the_same_corpus_every_time(flair_cache: Path) -> None:
    """flair samples TREC-6's dev data from its training data with Python's global random: a search on
    ``trec_6`` resumes only if that sample is the same in every process."""
    import random

    from flair.datasets import TREC_6

    from flair_hpo.frontends.corpora import load_corpus
    from flair_hpo.training.corpus_checks import corpus_fingerprint

    fingerprints = set()
    for seed in (1, 2):
        random.seed(seed)
        fingerprints.add(corpus_fingerprint(load_corpus("trec_6").corpus, "question_class"))
        assert random.random() == random.Random(seed).random()  # the caller's random state is left alone
    assert len(fingerprints) == 1
    random.seed(3)
    assert corpus_fingerprint(TREC_6(), "question_class") not in fingerprints  # flair's own draw differs


def test_a_space_given_as_an_object_keeps_its_own_metric_and_epochs_unless_autotune_is_given_them(
    trec_folder: Path, tmp_path: Path, glove, monkeypatch
) -> None:
    import flair_hpo.frontends.autotune as autotune_module
    from flair_hpo import parameters as p
    from flair_hpo.objective import EvaluationMetric
    from flair_hpo.tasks import TextClassifierSearchSpace

    class Captured(Exception):
        pass

    def capture(orchestrator) -> None:
        settings = orchestrator.search_space.to_settings()
        raise Captured(settings.metric, settings.max_epochs)

    monkeypatch.setattr(autotune_module.Orchestrator, "optimize", capture)
    space = TextClassifierSearchSpace()
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=[0.1, 0.2])
    space.add_max_epochs_per_training_run(3)
    space.add_evaluation_metric("macro-f1")
    for arguments, expected in [
        ({}, (EvaluationMetric.MACRO_F1_SCORE, 3)),
        ({"metric": "f1", "max_epochs": 5}, (EvaluationMetric.MICRO_F1_SCORE, 5)),
        ({}, (EvaluationMetric.MACRO_F1_SCORE, 3)),  # what an earlier call was given does not stick
    ]:
        with pytest.raises(Captured) as captured:
            autotune(str(trec_folder), search_space=space, output=tmp_path / "out", strategy="grid", **arguments)
        assert captured.value.args == expected
    space_file = tmp_path / "space.yaml"
    space_file.write_text(f"parameters:\n  DocumentPoolEmbeddings.WORD_EMBEDDINGS: [[{GLOVE_10K}]]\n")
    with pytest.raises(Captured) as captured:
        autotune(str(trec_folder), search_space=space_file, output=tmp_path / "out", strategy="grid")
    assert captured.value.args == (EvaluationMetric.MICRO_F1_SCORE, 10)  # a space file sets neither: the defaults


def test_conll_document_separators_are_not_sentences(tmp_path: Path) -> None:
    from flair_hpo.frontends.corpora import load_corpus

    document = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n\n"
    for split in ("train", "dev", "test"):
        (tmp_path / f"{split}.txt").write_text(document * 2, encoding="utf-8")
    loaded = load_corpus(str(tmp_path))
    assert [len(split) for split in (loaded.corpus.train, loaded.corpus.dev, loaded.corpus.test)] == [4, 4, 4]
    assert "-DOCSTART-" not in {token.text for sentence in loaded.corpus.train for token in sentence}
    assert "6 -DOCSTART- lines left out (document separators, not sentences)" in loaded.source


def test_the_folder_stays_held_while_the_final_model_is_made(wnut_folder: Path, tmp_path: Path, monkeypatch) -> None:
    """A second command in the same folder is refused from the search's start until the final model is written,
    with no gap after the search (the other command is played by another thread, as the lock is per thread)."""
    from folder_lock import another_thread_takes

    from flair_hpo.frontends import autotune as module
    from flair_hpo.search.orchestrator import Orchestrator

    seen: list[str] = []
    real_optimize, real_final_model = Orchestrator.optimize, module.final_model

    def optimize_then_try(self, *args, **kwargs):
        result = real_optimize(self, *args, **kwargs)
        seen.append(another_thread_takes(tmp_path / "out"))  # after the search has released its own hold
        return result

    def final_model_then_try(*args, **kwargs):
        seen.append(another_thread_takes(tmp_path / "out"))
        return real_final_model(*args, **kwargs)

    monkeypatch.setattr(Orchestrator, "optimize", optimize_then_try)
    monkeypatch.setattr(module, "final_model", final_model_then_try)
    result = autotune(
        str(wnut_folder), duration="120s", max_trials=1, max_epochs=1, final_seeds=1, embeddings=str(GLOVE_10K),
        output=tmp_path / "out", progress=io.StringIO(),
    )  # fmt: skip
    assert seen == ["refused", "refused"] and result.model_path.is_file()
    assert another_thread_takes(tmp_path / "out") == "taken"  # released afterwards
