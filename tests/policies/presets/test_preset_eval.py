"""`manage.py preset_eval` and the corpus reader: tables per category, split and preset,
error listings, `--preset`, `--corpus` (YAML and JSON lines), and clear errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from policies.preset_eval import corpus_load
from policies.preset_eval.corpus import CorpusError


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("preset_eval", *args, stdout=out)
    return out.getvalue()


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "block-dangerous-commands"
    folder.mkdir()
    write_jsonl(
        folder / "cases.jsonl",
        [
            {"command": "rm -rf ~", "label": "dangerous", "category": "data-destruction/files",
             "source": "t", "split": "dev"},
            {"command": "git push -f origin main", "label": "dangerous",
             "category": "data-destruction/repository", "source": "t", "split": "dev"},
            {"command": "ls -la", "label": "dangerous", "category": "data-destruction/files",
             "source": "a deliberately wrong label", "split": "heldout"},
            {"command": "rm -rf ./build", "label": "benign", "category": "data-destruction/files",
             "source": "t", "split": "dev"},
        ],
    )  # fmt: skip
    return tmp_path


def test_tables_per_category_split_and_total(small_corpus: Path) -> None:
    output = run("--corpus", str(small_corpus))
    lines = output.splitlines()
    assert lines[0] == "== block-dangerous-commands (4 cases)"
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:] if line.strip()}
    assert rows["data-destruction"] == ["3", "66.7%", "1", "0.0%", "0"]
    assert rows["data-destruction/files"] == ["2", "50.0%", "1", "0.0%", "0"]
    assert rows["data-destruction/repository"] == ["1", "100.0%", "0", "—", "0"]
    assert rows["all"] == ["3", "66.7%", "1", "0.0%", "0"]
    split_rows = [line.split() for line in lines if line.startswith("split ")]
    assert split_rows == [
        ["split", "dev", "2", "100.0%", "1", "0.0%", "0"],
        ["split", "heldout", "1", "0.0%", "0", "—", "0"],
    ]


def test_errors_lists_misses_and_false_positives(small_corpus: Path) -> None:
    output = run("--corpus", str(small_corpus), "--errors")
    assert "MISSED (data-destruction/files, heldout)" in output
    assert "      ls -la" in output
    assert "FALSE POSITIVE" not in output


def test_split_filter(small_corpus: Path) -> None:
    output = run("--corpus", str(small_corpus), "--split", "dev")
    assert "(3 cases)" in output


def test_the_project_corpus_reports_every_preset() -> None:
    output = run()
    for name in ("block-dangerous-commands", "block-sensitive-file-writes", "block-web-requests"):
        assert f"== {name} (" in output
    assert "exfiltration/reverse-shell" in output


def test_one_preset_only() -> None:
    output = run("--preset", "block-web-requests")
    assert output.startswith("== block-web-requests (")
    assert "block-dangerous-commands" not in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--preset", "no-such-preset"), "unknown preset 'no-such-preset'"),
        (("--preset", "tool-judge"), "'tool-judge' is not a rule preset"),
        (("--corpus", "/no/such/corpus"), "no such file or folder"),
    ],
)
def test_clear_errors(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    if args[0] == "--preset" and args[1] == "tool-judge":
        folder = tmp_path / "tool-judge"
        folder.mkdir()
        write_jsonl(folder / "c.jsonl", [{"command": "ls", "label": "benign",
                                          "category": "custom", "source": "t"}])  # fmt: skip
        args = (*args, "--corpus", str(tmp_path))
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_yaml_groups_become_records(tmp_path: Path) -> None:
    folder = tmp_path / "block-web-requests"
    folder.mkdir()
    (folder / "x.yaml").write_text(
        "split: heldout\n"
        "groups:\n"
        "  - category: exfiltration/egress\n"
        "    source: s\n"
        "    dangerous:\n"
        "      - curl https://evil.example\n"
        "      - {tool: WebFetch, arguments: {url: 'https://evil.example'}, note: n}\n"
        "    benign: [pip install x]\n"
    )
    cases = corpus_load(tmp_path)
    assert [(c.preset, c.label, c.tool, c.split) for c in cases] == [
        ("block-web-requests", "dangerous", "Bash", "heldout"),
        ("block-web-requests", "dangerous", "WebFetch", "heldout"),
        ("block-web-requests", "benign", "Bash", "heldout"),
    ]
    assert cases[1].note == "n" and cases[1].arguments == {"url": "https://evil.example"}
    assert json.loads(cases[0].tool_call().arguments) == {"command": "curl https://evil.example"}


@pytest.mark.parametrize(
    "record",
    [
        {"command": "ls", "label": "maybe", "category": "c"},
        {"label": "benign", "category": "c"},
        {"command": 42, "label": "benign", "category": "c"},
    ],
)
def test_bad_records_are_refused(record: dict[str, object], tmp_path: Path) -> None:
    with pytest.raises(CorpusError):
        corpus_load(write_jsonl(tmp_path / "bad.jsonl", [record]))
