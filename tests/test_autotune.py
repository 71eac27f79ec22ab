"""The autotune call and the ``flair-hpo`` command on real data: corpora, metrics, model size, Ctrl-C."""

from __future__ import annotations

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
    """600 training questions, and the validation questions whose tags all occur among them (flair 0.15.1's
    multi-label prediction fails on dev sentences with tags the model does not know)."""
    folder = tmp_path / "cooking-slice"
    folder.mkdir()
    train = (DATA / "datasets" / "cooking" / "cooking.train").read_text(encoding="utf-8").splitlines()[:600]
    known = {word for line in train for word in line.split() if word.startswith("__label__")}
    valid = (DATA / "datasets" / "cooking" / "cooking.valid").read_text(encoding="utf-8").splitlines()
    valid = [line for line in valid if {w for w in line.split() if w.startswith("__label__")} <= known][:150]
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
    result = autotune(
        str(wnut_folder), duration="60s", max_trials=2, max_epochs=1, embeddings=str(GLOVE_10K), output=tmp_path / "out",
        train_with_dev=True,
    )  # fmt: skip
    assert result.search.trials[0].parameters["embeddings"].startswith("WordEmbeddings(glove.6B.50d.top10k.txt")
    assert type(result.model).__name__ == "SequenceTagger" and result.model.label_type == "ner"
    assert result.model_path.is_file() and result.test_label == "micro-F1"
    assert result.model.model_card["training_parameters"]["train_with_dev"] is True


def test_a_fasttext_folder_with_top_k_predictions(cooking_folder: Path, tmp_path: Path) -> None:
    result = autotune(
        str(cooking_folder), metric="f1", predictions=2, duration="60s", max_trials=1, max_epochs=1,
        embeddings=str(GLOVE_10K), output=tmp_path / "out",
    )  # fmt: skip
    assert result.model.multi_label and result.model.label_type == "class"
    assert result.search.objective_label == "dev f1@top2 (higher is better)"
    assert result.test_label == "f1@top2" and 0.0 <= result.test_score <= 1.0
    trial = result.search.trials[0]
    assert len(trial.runs[0].dev_scores) == 1 and trial.score == trial.runs[0].dev_scores[0]


def test_a_label_metric_and_a_model_size_limit(flair_cache, tmp_path: Path) -> None:
    space_file = tmp_path / "space.yaml"
    space_file.write_text(
        "parameters:\n"
        f"  DocumentPoolEmbeddings.WORD_EMBEDDINGS: [[{GLOVE_10K}], [{GLOVE_50K}]]\n"
        "  ModelTrainer.LEARNING_RATE: {low: 0.05, high: 0.5, log: true}\n"
    )
    result = autotune(
        "trec_6", metric="f1:HUM", duration="90s", max_trials=4, max_epochs=1, model_size="5M", strategy="random",
        search_space=space_file, output=tmp_path / "out", seed=3,
    )  # fmt: skip
    by_embeddings = {t.state: [] for t in result.search.trials}
    for trial in result.search.trials:
        by_embeddings[trial.state].append(trial.parameters["DocumentPoolEmbeddings.embeddings"])
        if "top50k" in trial.parameters["DocumentPoolEmbeddings.embeddings"]:
            assert trial.state is State.FAILED and "ModelTooLarge" in trial.error and "limit of 5.0M" in trial.error
    assert by_embeddings[State.COMPLETED] and by_embeddings.get(State.FAILED)
    assert result.model_bytes <= 5_000_000 and result.model_path.stat().st_size <= 5_000_000
    assert result.search.objective_label == "dev f1:HUM (higher is better)" and result.test_label == "f1:HUM"

    with pytest.raises(AutotuneError, match=r"no configuration completed .* more than the limit of 100.0K"):
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
        (["trec_6", "--duration", "0"], "the time budget must be a positive number, but got 0"),
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


def start_tune(corpus: Path, tmp_path: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "flair_hpo", "tune", str(corpus), "--embeddings", str(GLOVE_10K)]
    command += ["--duration", "10m", "--max-epochs", "3", "--output", str(tmp_path / "out"), *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


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


def test_first_ctrl_c_stops_the_search_and_retrains_the_best(trec_folder: Path, tmp_path: Path) -> None:
    process = start_tune(trec_folder, tmp_path)
    wait_for_completed_trials(tmp_path / "out" / "journal.sqlite", 2, process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stderr
    assert "search stopped by Ctrl-C" in stderr and "Best configuration (trial" in stdout
    assert (tmp_path / "out" / "final-model" / "final-model.pt").is_file()
    with sqlite3.connect(tmp_path / "out" / "journal.sqlite") as connection:
        states = [row[0] for row in connection.execute("SELECT state FROM trials ORDER BY number")]
    assert states[:2] == ["completed", "completed"] and set(states[2:]) <= {"completed", "running", "failed"}
    text = (tmp_path / "out" / "param_selection.txt").read_text()
    assert text.count("\ntrial ") == states.count("completed") + states.count(
        "failed"
    )  # the running trial is discarded


def test_second_ctrl_c_exits_at_once_with_the_journal_intact(trec_folder: Path, tmp_path: Path) -> None:
    process = start_tune(trec_folder, tmp_path, "--max-epochs", "60")
    wait_for_completed_trials(tmp_path / "out" / "journal.sqlite", 1, process)
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
