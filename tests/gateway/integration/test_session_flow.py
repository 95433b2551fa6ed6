"""Sessions through the production path on the real database: a Claude-Code-like session is
recorded under its id and read back as one timeline; trajectory rules read earlier calls from
the database (a worker with an empty cache still sees them); strikes are cleared by a person."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from activity.models import Transaction
from activity.recorder import recorder
from activity.sessions import session_list, session_page
from policies.active import ActivePolicy
from policies.registry import build_policy
from policies.runtime import policy_runtime
from policies.session import session_store
from tests.gateway.integration.conftest import Proxy

pytestmark = pytest.mark.django_db(transaction=True)
SESSION = "11111111-2222-4333-8444-555555555555"
ADMIN = "session-admin-key"


def tool_model(name: str, args: dict[str, Any]) -> str:
    return f"mock/tool?name={name}&args={quote(json.dumps(args))}&text=Let%20me%20look."


def activate(policy: str, config: dict[str, Any]) -> None:
    built = build_policy(policy, config, label=policy)
    policy_runtime().set(ActivePolicy(policy=built, name=policy, version=1, source="test"))


class Agent:
    """A Claude-Code-like client: Anthropic format, its session header, the conversation
    resent every turn with the tool calls it ran and their results."""

    def __init__(self, proxy: Proxy, session: str = SESSION) -> None:
        self.proxy, self.session = proxy, session
        self.messages: list[dict[str, Any]] = []

    async def send(self, model: str, stream: bool = False) -> Any:
        body = {"model": model, "max_tokens": 200, "stream": stream, "messages": self.messages}
        response = await self.proxy.anthropic(body, **{"x-claude-code-session-id": self.session})
        assert response.status_code == 200, response.content
        return response

    async def turn(self, prompt: str, model: str, result: str = "ok", stream: bool = False) -> Any:
        """The user's prompt; when the model calls tools, the agent runs them and sends their
        results in a second call (as Claude Code does). Returns the first reply's text."""
        self.messages.append({"role": "user", "content": [{"type": "text", "text": prompt}]})
        response = await self.send(model, stream)
        if stream:
            raw = b"".join([c async for c in response.streaming_content])
            return raw.decode(), response["x-luthien-transaction-id"]
        reply = orjson.loads(response.content)
        self.messages.append({"role": "assistant", "content": reply["content"]})
        calls = [b for b in reply["content"] if b["type"] == "tool_use"]
        if calls:
            results = [
                {"type": "tool_result", "tool_use_id": c["id"], "content": result} for c in calls
            ]
            self.messages.append({"role": "user", "content": results})
            follow = orjson.loads((await self.send("mock/text?chunks=3")).content)
            self.messages.append({"role": "assistant", "content": follow["content"]})
        text = "".join(b.get("text", "") for b in reply["content"] if b["type"] == "text")
        return text, reply


async def flushed() -> None:
    await sync_to_async(recorder().flush)(10)


async def test_a_session_is_one_timeline_in_order(proxy: Proxy) -> None:
    agent = Agent(proxy)
    await agent.turn("List the files", tool_model("Bash", {"command": "ls"}), result="README.md")
    await agent.turn(
        "Read the README", tool_model("Read", {"file_path": "README.md"}), result="# Hello"
    )
    await agent.turn("Thanks", "mock/echo")
    await flushed()
    rows = await sync_to_async(list)(Transaction.objects.filter(session_id=SESSION))
    assert len(rows) == 5
    page = await sync_to_async(session_page)(session_id=SESSION)
    assert page is not None
    flow = [(i.kind, i.title) for i in page.items]
    assert flow == [
        ("prompt", "user"),
        ("text", "assistant"),
        ("tool_call", "tool call: Bash"),
        ("tool_result", "tool result"),
        ("text", "assistant"),
        ("prompt", "user"),
        ("text", "assistant"),
        ("tool_call", "tool call: Read"),
        ("tool_result", "tool result"),
        ("text", "assistant"),
        ("prompt", "user"),
        ("text", "assistant"),
    ]
    texts = [i.text for i in page.items]
    assert texts[0] == "List the files" and texts[3] == "README.md" and texts[8] == "# Hello"
    assert texts[10] == "Thanks" and texts[11] == "You said: Thanks"
    assert page.totals.calls == 5 and page.totals.blocked == 0
    assert page.totals.tokens == sum((r.input_tokens or 0) + (r.output_tokens or 0) for r in rows)
    (listed,) = await sync_to_async(session_list)()
    assert (listed.session_id, listed.key, listed.totals.calls) == (SESSION, "test-client", 5)


async def test_calls_without_a_client_id_share_the_keys_session(proxy: Proxy) -> None:
    import time

    from gateway.sessions import gap_sessions

    started = gap_sessions().start("test-client", now=time.time() - 100)  # 100 s ago
    for number in range(3):
        if number == 2:  # another worker: nothing in memory, it finds the session recorded
            await flushed()
            gap_sessions().clear()
        body = {
            "model": "mock/echo",
            "max_tokens": 20,
            "messages": [{"role": "user", "content": "hi"}],
        }
        assert (await proxy.anthropic(body)).status_code == 200
    await flushed()
    ids = await sync_to_async(list)(Transaction.objects.values_list("session_id", flat=True))
    assert ids == [started] * 3


async def test_taint_is_read_back_from_the_database_by_a_fresh_worker(proxy: Proxy) -> None:
    activate("taint", {})
    agent = Agent(proxy)
    await agent.turn("Check config", tool_model("Read", {"file_path": "/app/.env"}), "X=1")
    text, _ = await agent.turn("Ping", tool_model("Bash", {"command": "ls"}))  # taint recorded
    assert "⛔" not in text
    await flushed()
    session_store().clear()  # another worker: nothing cached
    fresh = Agent(proxy)  # a compacted conversation: the Read is gone from the messages
    text, _ = await fresh.turn(
        "Upload", tool_model("WebFetch", {"url": "https://x.example/"}), stream=True
    )
    assert "Luthien blocked a tool call" in text and "tainted" in text
    await flushed()
    page = await sync_to_async(session_page)(session_id=SESSION)
    assert page is not None
    actions = [i.action for i in page.items if i.kind == "decision"]
    assert actions == ["tainted", "blocked"]
    assert page.totals.blocked == 1


async def test_strikes_lock_until_a_person_clears_the_session(proxy: Proxy, settings: Any) -> None:
    settings.ADMIN_API_KEY = ADMIN
    members = [
        {"policy": "block-dangerous-commands"},
        {"policy": "strikes", "config": {"max_blocked": 1}},
    ]
    activate("chain", {"members": members})
    agent = Agent(proxy)
    text, _ = await agent.turn("Clean up", tool_model("Bash", {"command": "rm -rf ~"}))
    assert "block-dangerous-commands" in text
    await flushed()
    session_store().clear()  # read the strike from the database
    text, _ = await agent.turn("List", tool_model("Bash", {"command": "ls"}))
    assert "this session is locked after 1 blocked tool calls" in text

    client = Client()
    cleared = await sync_to_async(client.post)(
        f"/api/admin/sessions/{SESSION}/clear",
        json.dumps({"note": "looked at it"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {ADMIN}",
    )
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["cleared_by"] == "admin API key"
    text, reply = await agent.turn("List again", tool_model("Bash", {"command": "ls"}))
    assert "locked" not in text and [
        b["name"] for b in reply["content"] if b["type"] == "tool_use"
    ] == ["Bash"]

    # a second strike locks it again; the staff page's button clears it too
    await agent.turn("Again", tool_model("Bash", {"command": "rm -rf /"}))
    await flushed()
    text, _ = await agent.turn("List", tool_model("Bash", {"command": "ls"}))
    assert "locked" in text
    staff = await sync_to_async(get_user_model().objects.create_superuser)("boss", "b@x.org", "x")
    await sync_to_async(client.force_login)(staff)
    page = await sync_to_async(client.post)(f"/activity/sessions/{SESSION}/clear")
    assert page.status_code == 302
    text, _ = await agent.turn("List", tool_model("Bash", {"command": "ls"}))
    assert "locked" not in text


async def test_a_fresh_worker_reads_earlier_tool_calls_from_the_database(proxy: Proxy) -> None:
    from policies.session import session_view_load
    from wire.neutral import Request

    agent = Agent(proxy)
    await agent.turn("List", tool_model("Bash", {"command": "ls"}), result="a.txt")
    await agent.turn("Read", tool_model("Read", {"file_path": "a.txt"}), result="hello")
    await flushed()
    session_store().clear()
    compacted = Request(format="anthropic", model="m", messages=[])
    view = await session_view_load(SESSION, compacted)
    assert [(c.name, c.parsed_arguments()) for c in view.tool_calls] == [
        ("Bash", {"command": "ls"}),
        ("Read", {"file_path": "a.txt"}),
    ]
    assert view.results == []  # results are only known from the conversation
