"""Search spaces written in YAML, for the command line.

parameters:
  ModelTrainer.LEARNING_RATE: {low: 0.01, high: 0.5, log: true}
  ModelTrainer.MINI_BATCH_SIZE: [16, 32]             # a list: the options
  DocumentRNNEmbeddings.WORD_EMBEDDINGS: [[glove.6B.50d.gensim]]
  DocumentRNNEmbeddings.HIDDEN_SIZE: {options: [64, 128]}

Numbers written as strings (``"0.1"``, or ``1e-3``, which YAML reads as a string) are read as numbers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from flair_hpo.errors import ConfigurationError
from flair_hpo.frontends.word_embeddings import load_word_embeddings
from flair_hpo.tasks import TASKS, HyperParameter, ModelTask, TaskSearchSpace

_RANGE_KEYS = {"options", "low", "high", "log", "step"}
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SETTING_OPTIONS = ("--max-epochs", "--max-trials", "--duration", "--metric", "--strategy", "--final-seeds")


def _parameter(name: str, source: Path, task: ModelTask) -> HyperParameter:
    groups = {group.__name__: group for group in task.parameter_groups}
    target, _, member = str(name).partition(".")
    cls = groups.get(target)
    if cls is None or member not in cls.__members__:
        raise ConfigurationError(f"{source}: {name!r} is not a parameter of {task.name}; {_hint(str(name), task)}")
    return cls[member]


def _hint(name: str, task: ModelTask) -> str:
    """The names ``name`` may have meant: close ones, the same parameter in another group (``learning_rate`` is
    ``ModelTrainer.LEARNING_RATE``), or another task's parameter; else how names are written."""
    names = sorted(f"{group.__name__}.{member.name}" for group in task.parameter_groups for member in group)
    wanted = name.rpartition(".")[2].upper()
    close = [n for n in names if n.rpartition(".")[2] == wanted] or difflib.get_close_matches(name, names, n=3)
    if close:
        return f"did you mean {', '.join(close)}?"
    for other in TASKS:
        if other is not task and any(
            f"{group.__name__}.{member.name}" == name for group in other.parameter_groups for member in group
        ):
            return f"it is a parameter of {other.name} searches (--task {other.short_name})."
    groups = ", ".join(group.__name__ for group in task.parameter_groups)
    return f"names are GROUP.NAME with GROUP one of {groups}, e.g. ModelTrainer.LEARNING_RATE."


def _number(value: Any) -> Any:
    """A number written as a string (``"0.1"``, or ``1e-3``, which PyYAML reads as a string) as that number."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value) if any(c in value for c in ".eE") else int(value)
    return value


def _embeddings(value: Any) -> Any:
    if isinstance(value, list):
        return [_embeddings(item) for item in value]
    return load_word_embeddings(str(value))


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if not isinstance(key, Hashable):
                continue  # the safe loader refuses it itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is written twice: give each key once", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_space_file(path: Path, task: ModelTask) -> TaskSearchSpace:
    """The search space a YAML file describes; typos are errors that suggest the intended name."""
    try:
        document = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError(f"cannot read search-space file {str(path)!r}: {error}") from None
    others = sorted(str(key) for key in document) if isinstance(document, dict) else []
    others = [key for key in others if key != "parameters"]
    misplaced = [key for key in others if "." in key]  # parameter names, not indented under 'parameters:'
    if misplaced and "parameters" in document:
        raise ConfigurationError(
            f"{path}: {misplaced} stand beside 'parameters:', not under it: indent each parameter name under "
            "'parameters:'."
        )
    if others and "parameters" in document:
        raise ConfigurationError(
            f"{path}: the file holds only 'parameters:', but also has {others}; settings of the search are given "
            f"on the command line ({', '.join(_SETTING_OPTIONS)}) or to autotune()."
        )
    if not isinstance(document, dict) or not isinstance(document.get("parameters"), dict):
        found = f", but it holds {others}" if others else ""
        raise ConfigurationError(
            f"{path}: the file must hold one mapping 'parameters:' of parameter names to options or ranges{found}."
        )
    space = task.new_search_space()
    for name, specification in document["parameters"].items():
        parameter = _parameter(name, path, task)
        if isinstance(specification, list):
            specification = {"options": specification}
        if not isinstance(specification, dict) or set(specification) - _RANGE_KEYS:
            raise ConfigurationError(
                f"{path}: {name} must be a list of options or a mapping with {sorted(_RANGE_KEYS)}, but got {specification!r}."
            )
        if parameter in task.word_embedding_parameters and "options" in specification:
            specification = {**specification, "options": [_embeddings(option) for option in specification["options"]]}
        else:
            specification = {
                key: [_number(option) for option in value]
                if key == "options" and isinstance(value, list)
                else _number(value)
                for key, value in specification.items()
            }
        try:
            space.add_parameter(parameter, **specification)
        except ConfigurationError as error:
            raise ConfigurationError(f"{path}: {name}: {error}") from None
    return space
