"""The learning-rate finder: flair's file format and plot, weights and optimizer restored, a suggestion."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from flair.visual.training_curves import Plotter

from flair_hpo.frontends.cli import main
from flair_hpo.trainers import ModelTrainer, suggest_learning_rate
from local_data import GLOVE_10K

pytestmark = pytest.mark.training


@pytest.fixture
def tagger(wnut, glove):
    from flair.models import SequenceTagger

    labels = wnut.make_label_dictionary("ner", add_unk=False)
    return SequenceTagger(hidden_size=32, embeddings=glove, tag_dictionary=labels, tag_type="ner", use_crf=True)


def test_the_finder_writes_flairs_format_and_restores_the_model(tagger, wnut, tmp_path: Path) -> None:
    before = {name: tensor.clone() for name, tensor in tagger.state_dict().items()}
    trainer = ModelTrainer(tagger, wnut)
    tsv = trainer.find_learning_rate(tmp_path, torch.optim.Adam, iterations=40, mini_batch_size=16, stop_early=False)

    with tsv.open() as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    assert rows[0] == ["ITERATION", "TIMESTAMP", "LEARNING_RATE", "TRAIN_LOSS"]
    assert [int(row[0]) for row in rows[1:]] == list(range(1, 41))
    rates = [float(row[2]) for row in rows[1:]]
    assert rates == sorted(rates) and rates[0] == pytest.approx(1e-7 * (10 / 1e-7) ** (1 / 40))
    assert rates[-1] == pytest.approx(10.0)
    assert all(torch.equal(before[name], tensor) for name, tensor in tagger.state_dict().items())
    assert rates[0] <= trainer.suggested_learning_rate <= rates[-1]

    Plotter().plot_learning_rate(tsv)
    assert (tmp_path / "learning_rate.png").stat().st_size > 10_000


def test_a_given_optimizer_gets_its_state_back(tagger, wnut, tmp_path: Path) -> None:
    optimizer = torch.optim.SGD(tagger.parameters(), lr=0.1, momentum=0.9)
    loss = tagger.forward_loss(list(wnut.train)[:8])[0]
    loss.backward()
    optimizer.step()
    state = {index: entry["momentum_buffer"].clone() for index, entry in optimizer.state_dict()["state"].items()}
    assert state
    ModelTrainer(tagger, wnut).find_learning_rate(tmp_path, optimizer, iterations=10)
    assert optimizer.param_groups[0]["lr"] == 0.1
    after = optimizer.state_dict()["state"]
    assert all(torch.equal(buffer, after[index]["momentum_buffer"]) for index, buffer in state.items())


def test_early_stopping_ends_a_diverging_run(tagger, wnut, tmp_path: Path) -> None:
    tsv = ModelTrainer(tagger, wnut).find_learning_rate(
        tmp_path, torch.optim.SGD, start_learning_rate=1e-3, end_learning_rate=1e6, iterations=60
    )
    assert len(tsv.read_text().splitlines()) - 1 < 60


def test_the_suggestion_is_where_the_loss_falls_fastest() -> None:
    rates = list(np.logspace(-6, 0, 61))
    losses = [3.0 if r < 1e-3 else 3.0 - 2.5 * (np.log10(r) + 3) / 1.5 if r < 10**-1.5 else 0.5 for r in rates]
    suggestion = suggest_learning_rate(rates, losses, smoothing_factor=0.0)
    assert 1e-3 <= suggestion <= 10**-1.5


def test_find_lr_command_writes_the_plot(flair_cache, tmp_path: Path, monkeypatch) -> None:
    """Without opening a window: flair's plotter calls plt.show(block=True), which waits for a window to close
    where a display and an interactive backend are found."""
    import matplotlib
    import matplotlib.pyplot as plt

    shown_with: list[str] = []
    monkeypatch.setattr(plt, "show", lambda **kwargs: shown_with.append(matplotlib.get_backend().lower()))
    matplotlib.use("svg")  # another backend than the one the command must choose (a desktop's would open windows)
    outcome = CliRunner().invoke(
        main,
        [
            "find-lr",
            "wnut_17",
            "--embeddings",
            str(GLOVE_10K),
            "--output",
            str(tmp_path),
            "--iterations",
            "20",
            "--optimizer",
            "Adam",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "learning_rate.png").is_file() and "suggested learning rate:" in outcome.output
    assert shown_with == ["agg"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--iterations", "0"], "iterations must be a positive whole number, but got 0"),
        (["--mini-batch-size", "-4"], "mini_batch_size must be a positive whole number, but got -4"),
        (["--start-learning-rate", "1", "--end-learning-rate", "0.1"], r"must hold, but got \(1, 0.1\)"),
        (["--fine-tune", "--transformer", "t", "--start-learning-rate", "0.05"], r"must hold, but got \(0.05, 0.01\)"),
        (["--transformer", "t"], r"--transformer 't' applies with --fine-tune"),  # else it would be ignored
    ],
)
def test_find_lr_refuses_bad_options_before_it_reads_the_corpus(options: list[str], message: str, tmp_path) -> None:
    output = tmp_path / "out"
    result = CliRunner().invoke(main, ["find-lr", str(tmp_path / "no-such-corpus"), "--output", str(output), *options])
    assert result.exit_code == 2 and re.search(message, result.output), result.output
    assert not output.exists()


def test_find_lr_reads_a_headerless_tsv_by_its_column_options(tmp_path: Path) -> None:
    folder = tmp_path / "reviews"
    folder.mkdir()
    rows = ["a fine film\t1", "the worst one\t0", "quite good\t1", "not good at all\t0"] * 10
    (folder / "train.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "dev.tsv").write_text("\n".join(rows[:8]) + "\n", encoding="utf-8")
    arguments = ["find-lr", str(folder), "--embeddings", str(GLOVE_10K), "--output", str(tmp_path / "lr")]
    refused = CliRunner().invoke(main, arguments)
    assert refused.exit_code == 2 and "say which column holds the text (--text-column" in refused.output
    found = CliRunner().invoke(main, [*arguments, "--text-column", "0", "--label-column", "1", "--iterations", "8"])
    assert found.exit_code == 0, found.output
    assert "suggested learning rate:" in found.output
