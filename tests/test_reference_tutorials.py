"""The code of flair's two tuning tutorials runs against flair_hpo with only imports, data and budgets changed.

Each tutorial section that loads its own corpus is a separate program, run in its own working directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local_data import GLOVE_10K, GLOVE_50K, REFERENCE

pytestmark = pytest.mark.training


def python_blocks(prefix: str) -> list[str]:
    [path] = REFERENCE.glob(f"{prefix}_*.txt")
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


def adapt(code: str, replacements: list[tuple[str, str]]) -> str:
    for old, new in replacements:
        assert old in code, f"the tutorial no longer contains {old!r}"
        code = code.replace(old, new)
    return code


def run_program(code: str, folder: Path, monkeypatch) -> dict:
    folder.mkdir()
    monkeypatch.chdir(folder)
    namespace: dict = {"__name__": "tutorial"}
    exec(compile(code, "tutorial", "exec"), namespace)
    return namespace


GLOVE = f"WordEmbeddings({str(GLOVE_10K)!r}, no_header=True)"
IMPORTS = [("flair.hyperparameter.param_selection", "flair_hpo.param_selection")]


def test_tutorial_8_sequence_labelling(flair_cache, tmp_path: Path, monkeypatch) -> None:
    blocks = python_blocks("003")
    code = adapt(
        "\n".join(blocks[0:3]),
        IMPORTS
        + [
            ("WNUT_17().downsample(0.1)", "WNUT_17().downsample(0.05)"),
            ("WordEmbeddings('en')", GLOVE),
            (
                "StackedEmbeddings([FlairEmbeddings('news-forward'), FlairEmbeddings('news-backward')])",
                f"StackedEmbeddings([{GLOVE}, WordEmbeddings({str(GLOVE_50K)!r})])",
            ),
            ("training_runs=3", "training_runs=1"),
            ("max_epochs=50", "max_epochs=1"),
            ("max_evals=100", "max_evals=2"),
        ],
    )
    run_program(code, tmp_path / "tagging", monkeypatch)
    text = (tmp_path / "tagging" / "resources" / "results" / "param_selection.txt").read_text()
    assert text.count("\ntrial ") == 2 and "best parameter combination: trial" in text
    assert re.search(r"  hidden_size: (32|64|128)\n", text)


def test_tutorial_8_text_classification(flair_cache, minilm: str, tmp_path: Path, monkeypatch) -> None:
    blocks = python_blocks("003")
    code = adapt(
        "\n".join(blocks[3:6]),
        IMPORTS
        + [
            ("corpus = TREC_6()", "corpus = TREC_6().downsample(0.03)"),
            ("options=['bert-base-uncased', 'roberta-base']", f"options=[{minilm!r}]"),
            ("max_epochs=50", "max_epochs=1"),
            ("training_runs=3", "training_runs=1"),
            ("max_evals=100", "max_evals=2"),
        ],
    )
    run_program(code, tmp_path / "classification", monkeypatch)
    results = tmp_path / "classification" / "resources" / "results"
    text = (results / "param_selection.txt").read_text()
    assert text.count("\ntrial ") == 2 and "TransformerDocumentEmbeddings.fine_tune: True" in text
    assert "recipe: fine_tune" not in text  # the tutorial's learning rates (0.05 to 0.2) are SGD's, as flair trained
    logs = [log.read_text() for log in results.glob("trials/*/run-*/training.log")]
    assert len(logs) == 2 and all("Recipe | train: optimizer SGD" in log for log in logs)


def test_tutorial_11_orchestrator(flair_cache, tmp_path: Path, monkeypatch) -> None:
    code = adapt(
        "\n".join(python_blocks("004")),
        [
            ("from flair.hyperparameter import search_strategies", "from flair_hpo import search_strategies"),
            ("import flair.hyperparameter.parameters as parameter", "import flair_hpo.parameters as parameter"),
            ("from flair.hyperparameter import orchestrator", "from flair_hpo import orchestrator"),
            ("corpus: Corpus = TREC_6()", "corpus: Corpus = TREC_6().downsample(0.05)"),
            ("add_budget(parameter.Budget.TIME_IN_H, 24)", "add_budget(parameter.Budget.RUNS, 3)"),
            ("add_max_epochs_per_training_run(25)", "add_max_epochs_per_training_run(1)"),
            ("WordEmbeddings('glove')", GLOVE),
        ],
    )
    namespace = run_program(code, tmp_path / "orchestrator", monkeypatch)
    results = tmp_path / "orchestrator" / "hyperopt" / "trec6"
    assert (results / "best-model.pt").is_file() and (results / "best_parameters.json").is_file()
    assert type(namespace["search_strategy"]).__name__ == "EvolutionarySearch"
    assert (results / "trials.tsv").read_text().count("\n") == 4  # header and three trials
