"""Diffs: bodies as readable text, side-by-side rows, and the three classic policy changes
(request rewritten, text rewritten, tool call blocked) on the detail page and in JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from activity.diffs import (
    diff_view,
    inline_diff,
    request_lines,
    response_lines,
    side_by_side,
    transaction_diffs,
)
from tests.activity.pages.factories import (
    make_transaction,
    openai_reply,
    openai_request,
    tool_call,
)

BLOCKED_NOTICE = (
    '⛔ Luthien blocked a tool call (policy "tool-judge").\nTool: Bash\n'
    "Reason: deletes the user's home directory (risk 0.97, threshold 0.60)\n"
    'Arguments:\n{\n  "command": "rm -rf ~"\n}'
)


def test_request_lines_render_roles_tools_and_params() -> None:
    body = {
        "model": "mock/echo",
        "max_tokens": 64,
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "list files"},
                    {"type": "image", "source": {"data": "..."}},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "ls is fine", "signature": "s"},
                    {"type": "tool_use", "id": "tu_1", "name": "Bash", "input": {"command": "ls"}},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "a.txt"}],
            },
        ],
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
    }
    lines = request_lines(body)
    assert lines[0] == "max_tokens: 64"
    assert "mock/echo" not in "\n".join(lines)  # routing, not a policy change
    joined = "\n".join(lines)
    for expected in (
        "── system ──\nBe brief.",
        "── user ──\nlist files\n[image]",
        "[thinking]\nls is fine",
        '[tool call] Bash (tu_1)\n{\n  "command": "ls"\n}',
        "[tool result for tu_1]\na.txt",
        "── tools offered ──",
    ):
        assert expected in joined


def test_openai_response_lines_show_tool_calls_as_pretty_json() -> None:
    body = openai_reply(
        None, tool_calls=[tool_call("Bash", {"command": "rm -rf ~"})], finish="tool_calls"
    )
    assert response_lines(body)[:6] == [
        "── assistant ──",
        "[tool call] Bash (call_1)",
        "{",
        '  "command": "rm -rf ~"',
        "}",
        "finish_reason: tool_calls",
    ]


def test_unknown_shapes_fall_back_to_json() -> None:
    assert response_lines({"error": {"message": "x"}})[0] == "{"
    assert response_lines(None) == [] and request_lines("raw") == ['"raw"']


def test_unchanged_runs_are_collapsed_around_changes() -> None:
    left = [f"line {i}" for i in range(30)]
    right = [*left[:15], "line 15 changed", *left[16:]]
    rows = side_by_side(left, right, context=2)
    kinds = [row.kind for row in rows]
    assert kinds == ["skip", "same", "same", "change", "same", "same", "skip"]
    assert len(rows[0].lines) == 13 and rows[0].start == 1
    assert rows[3].left.number == 16 and rows[3].right.number == 16
    identical = side_by_side(left, list(left))
    assert [row.kind for row in identical] == ["skip"]


def test_inline_diff_highlights_only_the_changed_words() -> None:
    old, new = inline_diff("You said: hello there", "You typed: howdy there")
    assert [s.text for s in old if s.changed] == ["said", "hello"]
    assert [s.text for s in new if s.changed] == ["typed", "howdy"]
    assert "".join(s.text for s in new) == "You typed: howdy there"


def test_missing_bodies_are_flagged() -> None:
    views = transaction_diffs(None)
    assert [v.name for v in views] == ["request", "response"]
    assert all(v.original_missing and v.final_missing and not v.changed for v in views)
    half = diff_view("response", "Response", openai_reply("hi"), None, response=True)
    assert half.changed and half.final_missing and half.removed > 0 and half.added == 0


def _cells(html: str, side: str) -> list[str]:
    """Text of the changed (`old`/`new`) cells of the detail page."""
    cells = re.findall(rf'<td class="{side}"><pre>(.*?)</pre></td>', html, re.S)
    return [re.sub(r"<[^>]+>", "", cell) for cell in cells]


def _detail(client: Client, row: Any) -> str:
    response = client.get(f"/activity/{row.id}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_request_rewritten(staff_client: Client) -> None:
    row = make_transaction(
        request=openai_request("my card is 4111 1111 1111 1111"),
        request_final=openai_request("my card is [card number]"),
        events=[{"policy": "redact", "action": "rewrote", "reason": "replaced 1 in the request"}],
    )
    html = _detail(staff_client, row)
    request_section = html.split('id="diff-request"')[1].split('id="diff-response"')[0]
    assert "changed" in request_section and "−1" in request_section and "+1" in request_section
    assert "<del>4111 1111 1111 1111</del>" in request_section
    assert "<ins>[card number]</ins>" in request_section
    assert "unchanged" in html.split('id="diff-response"')[1].split("</h2>")[0]
    assert "replaced 1 in the request" in html


@pytest.mark.django_db
def test_text_rewritten(staff_client: Client) -> None:
    row = make_transaction(
        response=openai_reply("The colour of the sky"),
        response_final=openai_reply("The color of the sky"),
        events=[
            {"action": "rewrote", "reason": "replaced 1 in the response", "details": {"count": 1}}
        ],
    )
    html = _detail(staff_client, row)
    assert _cells(html, "old") == ["The colour of the sky"]
    assert _cells(html, "new") == ["The color of the sky"]
    assert "<del>colour</del>" in html and "<ins>color</ins>" in html
    assert "&quot;count&quot;: 1" in html  # decision details, pretty-printed and escaped


@pytest.mark.django_db
def test_tool_call_blocked(staff_client: Client) -> None:
    row = make_transaction(
        status="blocked",
        response=openai_reply(
            None, tool_calls=[tool_call("Bash", {"command": "rm -rf ~"})], finish="tool_calls"
        ),
        response_final=openai_reply(BLOCKED_NOTICE),
        events=[
            {
                "policy": "tool-judge",
                "action": "blocked",
                "reason": "deletes the user's home directory",
                "details": {"tool": "Bash", "probability": 0.97, "threshold": 0.6},
            }
        ],
    )
    html = _detail(staff_client, row)
    old, new = _cells(html, "old"), _cells(html, "new")
    assert "[tool call] Bash (call_1)" in old and "finish_reason: tool_calls" in old
    assert "⛔ Luthien blocked a tool call (policy &quot;tool-judge&quot;)." in new
    assert "finish_reason: stop" in new
    assert '"probability": 0.97' in json.dumps(row.events.get().details, indent=2)
    assert "action-blocked" in html and "deletes the user&#x27;s home directory" in html


@pytest.mark.django_db
def test_diff_json_of_a_blocked_tool_call(staff_client: Client) -> None:
    row = make_transaction(
        response=openai_reply(None, tool_calls=[tool_call("Bash", {"command": "rm -rf ~"})]),
        response_final=openai_reply(BLOCKED_NOTICE),
    )
    data = staff_client.get(f"/api/admin/debug/transactions/{row.id}/diff").json()
    assert data["id"] == row.id
    assert data["request"]["changed"] is False and data["request"]["unified"] == []
    response = data["response"]
    assert response["changed"] is True
    assert "-[tool call] Bash (call_1)" in response["unified"]
    assert '+⛔ Luthien blocked a tool call (policy "tool-judge").' in response["unified"]
    assert response["final"][1].startswith("⛔")
