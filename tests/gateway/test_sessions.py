"""Which session a call belongs to: the clients' own ids, then the key and a time gap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.sessions import GapSessions, client_session_id, gap_lookup_set, session_id
from wire.codecs import codec_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "clients"


def fixture(client: str, case: str) -> tuple[dict[str, str], Any]:
    data = json.loads((FIXTURES / client / f"{case}.json").read_text())
    headers = {name.lower(): value for name, value in data["headers"]}
    fmt = "anthropic" if data["path"].startswith("/v1/messages") else "openai"
    return headers, codec_for(fmt).decode_request(data["body"])  # type: ignore[arg-type]


def request(metadata: Any = None) -> Any:
    body: dict[str, Any] = {"model": "m", "max_tokens": 1, "messages": []}
    if metadata is not None:
        body["metadata"] = metadata
    return codec_for("anthropic").decode_request(body)


def test_claude_code_header_and_body_agree() -> None:
    headers, parsed = fixture("claude-code", "tool-1")
    assert client_session_id(headers, parsed) == "00000000-0000-4000-8000-000000000001"
    del headers["x-claude-code-session-id"]
    assert client_session_id(headers, parsed) == "00000000-0000-4000-8000-000000000001"


def test_codex_headers() -> None:
    data = json.loads(next((FIXTURES / "codex").glob("*.json")).read_text())
    headers = {name.lower(): value for name, value in data["headers"]}
    assert client_session_id(headers, request()) == "00000000-0000-4000-8000-000000000005"
    del headers["session-id"]
    headers["thread-id"] = "thread-7"
    assert client_session_id(headers, request()) == "thread-7"


def test_explicit_header_wins() -> None:
    headers = {"x-luthien-session-id": "mine", "x-claude-code-session-id": "cc", "session-id": "cx"}
    assert client_session_id(headers, request()) == "mine"


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [
        ('{"device_id":"d","session_id":"abc-1"}', "abc-1"),
        ("user_0123abcd_account_11111111-2222_session_9f0e1d2c-3b4a", "9f0e1d2c-3b4a"),
        ("plain-user-42", ""),  # a user id is not a session
        ('{"device_id": "d"}', ""),
        ("{not json", ""),
    ],
)
def test_metadata_user_id(user_id: str, expected: str) -> None:
    assert client_session_id({}, request({"user_id": user_id})) == expected


def test_ids_are_cut_to_200_characters() -> None:
    assert len(client_session_id({"x-luthien-session-id": "s" * 999}, request())) == 200


def test_a_key_without_ids_keeps_one_session_until_a_pause(settings: Any) -> None:
    settings.LUTHIEN_SESSION_GAP_S = 60
    gaps = GapSessions()
    first = gaps.session_for("k", now=1_000_000.0)
    assert first == "key:k:19700112T134640Z"
    assert gaps.session_for("k", now=1_000_050.0) == first  # 50 s later
    assert gaps.session_for("k", now=1_000_100.0) == first  # 50 s after the last call
    later = gaps.session_for("k", now=1_000_161.0)  # a pause of 61 s
    assert later != first and later.startswith("key:k:")
    assert gaps.session_for("other", now=1_000_161.0) != later


async def test_session_id_prefers_the_client_id() -> None:
    assert await session_id({"session-id": "cx"}, request(), "k") == "cx"
    assert (await session_id({}, request(), "k")).startswith("key:k:")


async def test_a_client_cannot_name_another_keys_gap_session() -> None:
    """Gap sessions are named after their key: a client naming one (to add strikes to another
    key's session, say) gets its own session instead."""
    bobs = await session_id({}, request(), "bob")
    assert bobs.startswith("key:bob:")
    assert client_session_id({"x-luthien-session-id": bobs}, request()) == ""
    in_body = request({"user_id": json.dumps({"device_id": "d", "session_id": bobs})})
    assert client_session_id({}, in_body) == ""
    mine = await session_id({"x-luthien-session-id": bobs}, request(), "mallory")
    assert mine.startswith("key:mallory:")


async def test_a_new_gap_session_first_asks_the_lookup() -> None:
    asked: list[tuple[str, float]] = []

    def lookup(key: str, since: float) -> str | None:
        asked.append((key, since))
        return "key:k:20260101T000000Z" if key == "k" else None

    gap_lookup_set(lookup)
    try:
        assert await session_id({}, request(), "k") == "key:k:20260101T000000Z"
        assert await session_id({}, request(), "k") == "key:k:20260101T000000Z"
        assert len(asked) == 1  # only when this worker would start a session
        assert (await session_id({}, request(), "new")).startswith("key:new:2")
    finally:
        gap_lookup_set(None)


async def test_a_failing_lookup_starts_a_session_of_this_worker() -> None:
    def lookup(key: str, since: float) -> str | None:
        raise ConnectionError("database down")

    gap_lookup_set(lookup)
    try:
        assert (await session_id({}, request(), "k")).startswith("key:k:")
    finally:
        gap_lookup_set(None)
