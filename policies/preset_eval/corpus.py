"""The preset corpus: labelled tool calls read from YAML groups or JSON lines.

A YAML file holds `split` and `groups`; each group has a `category`, a `source` and lists of
`dangerous` and `benign` cases (a shell command string, or a mapping with `command` or
`tool` + `arguments`, and an optional `note`). A `.jsonl` file holds one flat record a line
(`command` or `tool` + `arguments`, `label`, `category`, `source`, optional `split`). A file's
preset is its folder's name unless a record names one (`preset`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from wire.neutral import ToolCallBlock

LABELS = ("dangerous", "benign")
SHELL_TOOL = "Bash"


class CorpusError(ValueError):
    """A corpus file that cannot be read, naming the file and the case."""


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled tool call."""

    preset: str
    label: str
    category: str
    source: str
    split: str
    tool: str = SHELL_TOOL
    command: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    origin: str = ""

    @property
    def dangerous(self) -> bool:
        """Whether the preset must block this case."""
        return self.label == "dangerous"

    @property
    def text(self) -> str:
        """The case as one line, for listings."""
        if self.command is not None:
            return self.command
        return f"{self.tool} {json.dumps(self.arguments, ensure_ascii=False)}"

    def tool_call(self) -> ToolCallBlock:
        """The tool call the preset is shown."""
        arguments = {"command": self.command} if self.command is not None else self.arguments
        return ToolCallBlock(id="corpus", name=self.tool, arguments=json.dumps(arguments))


def default_corpus_dir() -> Path:
    """The project's corpus (one folder per preset)."""
    return Path(settings.BASE_DIR) / "tests" / "policies" / "presets" / "corpus"


def corpus_load(path: Path) -> list[Case]:
    """Every case in `path` (a file, or a folder searched recursively), in file order."""
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder")
    files = [path] if path.is_file() else sorted(_corpus_files(path))
    return [case for file in files for case in _load_file(file)]


def _corpus_files(folder: Path) -> Iterator[Path]:
    for pattern in ("*.yaml", "*.yml", "*.jsonl"):
        yield from folder.rglob(pattern)


def _load_file(file: Path) -> list[Case]:
    preset = file.parent.name
    try:
        if file.suffix == ".jsonl":
            lines = file.read_text().splitlines()
            return [
                _record(json.loads(line), preset, "", f"{file}:{number}")
                for number, line in enumerate(lines, 1)
                if line.strip()
            ]
        return list(_yaml_cases(yaml.safe_load(file.read_text()) or {}, preset, file))
    except (yaml.YAMLError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise CorpusError(f"{file}: {error}") from error


def _yaml_cases(data: dict[str, Any], preset: str, file: Path) -> Iterator[Case]:
    split = str(data.get("split", ""))
    for number, group in enumerate(data.get("groups", []), 1):
        for label in LABELS:
            for entry in group.get(label, []) or []:
                record = {"command": entry} if isinstance(entry, str) else dict(entry)
                record.setdefault("category", group["category"])
                record.setdefault("source", group.get("source", ""))
                record["label"] = label
                yield _record(record, preset, split, f"{file} group {number}")


def _record(record: dict[str, Any], preset: str, split: str, origin: str) -> Case:
    label = record["label"]
    if label not in LABELS:
        raise CorpusError(f"{origin}: label must be one of {LABELS}, not {label!r}")
    command = record.get("command")
    if command is None and not (isinstance(record.get("tool"), str) and "arguments" in record):
        raise CorpusError(f"{origin}: a case needs `command` or `tool` and `arguments`")
    if command is not None and not isinstance(command, str):
        raise CorpusError(f"{origin}: `command` must be a string, not {command!r}")
    return Case(
        preset=str(record.get("preset", preset)),
        label=label,
        category=str(record["category"]),
        source=str(record.get("source", "")),
        split=str(record.get("split", split)),
        tool=str(record.get("tool", SHELL_TOOL)),
        command=command,
        arguments=record.get("arguments") or {},
        note=str(record.get("note", "")),
        origin=origin,
    )
