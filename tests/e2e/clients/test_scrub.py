"""The fixture scrubber, and the committed corpus holding nothing private (fast, no CLI)."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from tests.e2e.clients.scrub import (
    FIXTURE_KEY,
    Scrubber,
    date_forms,
    fixture_from_capture,
    write_fixtures,
)

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "clients"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def scrubber(tmp: Path) -> Scrubber:
    return Scrubber.for_run(key="lk-secret-123", paths={tmp / "work": "/w", tmp: "/r"})


def test_paths_keys_ids_and_dates_are_replaced(tmp_path: Path) -> None:
    today = datetime.date.today()
    long_date = date_forms(today)[1]
    state = re.sub(r"[^A-Za-z0-9]", "-", f"{tmp_path}/work")  # how clients name project folders
    raw = (
        f'{{"cwd":"{tmp_path}/work/x","state":"{state}",'
        f'"key":"lk-secret-123","session":"3e5c6f05-3579-4ae2-893d-0b3eb642f991",'
        f'"again":"3e5c6f05-3579-4ae2-893d-0b3eb642f991","other":"msg_aaaaaaaa-3579-4ae2-893d-0b3eb642f991",'
        f'"use":"toolu_01AbCdEfGh","result_for":"toolu_01AbCdEfGh","call":"call_XyZ123abc",'
        '"meta":"{\\"turn_started_at_unix_ms\\":1796580799508}",'
        f'"beta":"advanced-tool-use-2025-11-20","today":"{long_date}","iso":"{today.isoformat()}"}}'
    )
    scrubbed = json.loads(scrubber(tmp_path).text(raw))
    assert scrubbed["cwd"] == "/w/x" and scrubbed["state"] == "-w"
    assert scrubbed["key"] == FIXTURE_KEY
    assert scrubbed["session"] == scrubbed["again"] == "00000000-0000-4000-8000-000000000001"
    assert scrubbed["other"] == "msg_00000000-0000-4000-8000-000000000002"
    assert scrubbed["use"] == scrubbed["result_for"] == "toolu_fixture0001"
    assert scrubbed["call"] == "call_fixture0001"
    assert json.loads(scrubbed["meta"]) == {"turn_started_at_unix_ms": 1767225600000}
    assert scrubbed["beta"] == "advanced-tool-use-2025-11-20"  # a constant, not today's date
    assert scrubbed["today"] == "Thursday, January 1, 2026" and scrubbed["iso"] == "2026-01-01"


def test_headers_lose_transport_and_keep_order(tmp_path: Path) -> None:
    capture = {
        "method": "POST",
        "path": "/v1/messages",
        "query": "beta=true",
        "headers": [
            ["host", "127.0.0.1:1"],
            ["x-api-key", "lk-secret-123"],
            ["x-b", "2"],
            ["content-length", "9"],
            ["x-a", "1"],
            ["Authorization", "Bearer lk-secret-123"],
        ],
        "body": '{"model":"m"}',
    }
    document = fixture_from_capture(
        capture, scrubber(tmp_path), client="c", version="1", case="plain"
    )
    assert document["headers"] == [
        ["x-api-key", FIXTURE_KEY],
        ["x-b", "2"],
        ["x-a", "1"],
        ["Authorization", f"Bearer {FIXTURE_KEY}"],
    ]
    assert document["body"] == {"model": "m"} and document["query"] == "beta=true"


def test_write_fixtures_replaces_the_cases_old_files(tmp_path: Path) -> None:
    (tmp_path / "plain-3.json").write_text("{}")
    (tmp_path / "tool-1.json").write_text("{}")
    written = write_fixtures(tmp_path, "plain", [{"a": 1}, {"b": 2}])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "plain-1.json",
        "plain-2.json",
        "tool-1.json",
    ]
    assert [json.loads(p.read_text()) for p in written] == [{"a": 1}, {"b": 2}]


def test_committed_corpus_holds_nothing_private() -> None:
    files = sorted(CORPUS.glob("*/*.json"))
    assert {p.parent.name for p in files} >= {"claude-code", "qwen-code"}
    for path in files:
        text = path.read_text()
        assert "pytest-of" not in text and "/tmp/pytest" not in text, path
        assert not re.search(r"lk-(?!fixture-key)[A-Za-z0-9_-]{8,}", text), path
        assert all(u.startswith("00000000-0000-4000-8000-") for u in UUID.findall(text)), path
        assert not re.search(r"\b(toolu|call)_(?!fixture)[A-Za-z0-9]{6,}", text), path
