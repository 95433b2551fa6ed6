"""Two real gateway processes on one database: a session's history and a key's policy are the
same whichever worker answers. A call blocked by worker A counts as a strike on worker B; a
policy assigned to a key through A is in force on B within a second (Redis or database stamp)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.servers import Server
from tests.e2e.test_policy_hot_reload import ADMIN_KEY, _start_pair

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["redis", "database"])
def workers(
    request: pytest.FixtureRequest,
    postgres_url: str,
    transactional_db: None,
    mock_server: Server,
    tmp_path: Path,
) -> Iterator[tuple[Server, Server]]:
    """Two gateways sharing the test database, and Redis or not."""
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    pair = _start_pair(mock_server, tmp_path, REDIS_URL=redis, LUTHIEN_SESSION_CACHE_TTL_S="0.2")
    yield pair
    for server in pair:
        server.stop()


def _admin(server: Server, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    return httpx.request(
        method, server.url + "/api/admin" + path, headers=headers, timeout=10, **kwargs
    )


def _call(server: Server, key: str, command: str, session: str) -> str:
    """One Anthropic-format call whose model runs `command` in Bash; the reply's text."""
    args = quote(json.dumps({"command": command}))
    response = httpx.post(
        server.url + "/v1/messages",
        json={
            "model": f"mock/tool?name=Bash&args={args}",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": command}],
        },
        headers={"x-api-key": key, "x-claude-code-session-id": session},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    blocks = response.json()["content"]
    return "".join(b.get("text", "") for b in blocks) + "".join(
        f"[tool {b['name']}]" for b in blocks if b["type"] == "tool_use"
    )


def test_a_strike_on_one_worker_locks_the_session_on_the_other(
    workers: tuple[Server, Server], e2e_key: str
) -> None:
    a, b = workers
    members = [
        {"policy": "block-dangerous-commands"},
        {"policy": "strikes", "config": {"max_blocked": 1}},
    ]
    enabled = _admin(
        a, "POST", "/policy/enable", json={"policy_class": "chain", "config": {"members": members}}
    )
    assert enabled.status_code == 200, enabled.text
    session = str(uuid.uuid4())
    deadline = time.monotonic() + 5
    while "[tool Bash]" not in _call(b, e2e_key, "ls", str(uuid.uuid4())):  # B runs the chain
        assert time.monotonic() < deadline
    assert "block-dangerous-commands" in _call(a, e2e_key, "rm -rf ~", session)
    deadline = time.monotonic() + 10
    while "locked" not in (text := _call(b, e2e_key, "ls", session)):
        assert "[tool Bash]" in text and time.monotonic() < deadline, "B never saw the strike"
        time.sleep(0.1)
    cleared = _admin(b, "POST", f"/sessions/{session}/clear", json={})
    assert cleared.status_code == 200, cleared.text
    deadline = time.monotonic() + 10
    while "[tool Bash]" not in _call(a, e2e_key, "ls", session):
        assert time.monotonic() < deadline, "A never saw the clearance"
        time.sleep(0.1)


def test_a_key_policy_assigned_on_one_worker_applies_on_the_other(
    workers: tuple[Server, Server], e2e_key: str
) -> None:
    a, b = workers
    created = _admin(a, "POST", "/policies", json={"name": "shout", "policy_class": "all-caps"})
    assert created.status_code == 201, created.text
    assert _echo(b, e2e_key) == "You said: hi"  # B has checked (and cached) the key
    assigned = _admin(a, "PUT", "/keys/e2e-client/policy", json={"policy": "shout"})
    assert assigned.status_code == 200, assigned.text
    assert _echo(a, e2e_key) == "YOU SAID: HI"  # A at once
    since = time.monotonic()
    while (text := _echo(b, e2e_key)) != "YOU SAID: HI":
        assert time.monotonic() - since < 1.0, f"B still answers {text!r}"
        time.sleep(0.05)
    assert _admin(b, "PUT", "/keys/e2e-client/policy", json={"policy": None}).status_code == 200
    since = time.monotonic()
    while _echo(a, e2e_key) != "You said: hi":
        assert time.monotonic() - since < 1.0, "A kept the assignment"
        time.sleep(0.05)


def _echo(server: Server, key: str) -> str:
    response = httpx.post(
        server.url + "/v1/chat/completions",
        json={"model": "mock/echo", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["choices"][0]["message"]["content"])
