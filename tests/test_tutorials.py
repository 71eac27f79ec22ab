"""Every code block of the tutorials runs, in order, offline, as written (Python in-process, bash in a shell)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from local_data import GLOVE_50K

pytestmark = pytest.mark.training

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"


@pytest.mark.parametrize("tutorial", sorted(p.name for p in TUTORIALS.glob("*.md")))
def test_tutorial_code_runs(tutorial: str, flair_cache, tmp_path: Path, monkeypatch) -> None:
    blocks = re.findall(
        r"```(python|bash)\n(.*?)```", (TUTORIALS / tutorial).read_text(encoding="utf-8"), flags=re.DOTALL
    )
    assert blocks
    monkeypatch.setenv("GLOVE_PATH", str(GLOVE_50K))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "tutorial"}
    for number, (language, code) in enumerate(blocks, start=1):
        if language == "python":
            exec(compile(code, f"{tutorial} block {number}", "exec"), namespace)
        else:
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", code], env=dict(os.environ), capture_output=True, text=True
            )
            assert done.returncode == 0, f"{tutorial} block {number}:\n{done.stdout}\n{done.stderr}"
