"""Shared fixtures: local copies of the real data, small corpus slices and GloVe vectors."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resources" / "scripts"))
from local_data import GLOVE_10K, GLOVE_50K, minilm_path, use_local_data  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def ctrl_c_handled():
    """Started in the background by a shell, this process would ignore Ctrl-C, and so would every search it
    starts; the tests of Ctrl-C need it handled, here and in the commands they start."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def flair_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return use_local_data("trec_6", "wnut_17", cache=tmp_path_factory.mktemp("flair-cache"))


@pytest.fixture(scope="session")
def glove(flair_cache: Path):
    from flair.embeddings import WordEmbeddings

    return WordEmbeddings(str(GLOVE_10K), no_header=True)


@pytest.fixture(scope="session")
def glove_50k(flair_cache: Path):
    from flair.embeddings import WordEmbeddings

    return WordEmbeddings(str(GLOVE_50K))


@pytest.fixture(scope="session")
def minilm(flair_cache: Path) -> str:
    return minilm_path()


@pytest.fixture
def trec(flair_cache: Path):
    """About 270 training, 30 dev and 25 test TREC-6 questions (fixed sample)."""
    import flair
    from flair.datasets import TREC_6

    flair.set_seed(0)
    return TREC_6().downsample(0.05)


@pytest.fixture
def wnut(flair_cache: Path):
    """About 170 training, 50 dev and 65 test WNUT-17 tweets (fixed sample)."""
    import flair
    from flair.datasets import WNUT_17

    flair.set_seed(0)
    return WNUT_17().downsample(0.05)
