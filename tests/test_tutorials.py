"""Every code block of the tutorials runs, in order, offline, as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local_data import GLOVE_50K

pytestmark = pytest.mark.training

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"


@pytest.mark.parametrize("tutorial", sorted(p.name for p in TUTORIALS.glob("*.md")))
def test_tutorial_code_runs(tutorial: str, flair_cache, tmp_path: Path, monkeypatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (TUTORIALS / tutorial).read_text(encoding="utf-8"), flags=re.DOTALL)
    assert blocks
    monkeypatch.setenv("GLOVE_PATH", str(GLOVE_50K))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "tutorial"}
    for number, block in enumerate(blocks):
        exec(compile(block, f"{tutorial} block {number + 1}", "exec"), namespace)
