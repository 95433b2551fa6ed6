"""`debug-logging`: logs at DEBUG on `policies.debug` and changes nothing."""

from __future__ import annotations

import logging

import pytest

from policies.base import StreamingMode
from policies.builtin.debug_logging import DebugLoggingPolicy
from policies.context import PolicyContext
from policies.registry import registry
from wire.neutral import Message, Request, TextBlock


def make_ctx(text: str = "hello there") -> PolicyContext:
    request = Request(format="openai", model="m", messages=[Message("user", [TextBlock(text)])])
    return PolicyContext(transaction_id="t", request=request)


async def test_logs_everything_and_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    policy = DebugLoggingPolicy()
    ctx = make_ctx()
    caplog.set_level(logging.DEBUG, logger="policies.debug")
    assert await policy.on_request(ctx.request, ctx) is ctx.request
    piece = "Hello"
    assert policy.on_text_delta(piece, ctx) is piece
    assert policy.on_text_delta(", world", ctx) == ", world"
    assert policy.on_text_end(ctx) == ""
    assert await policy.on_response_end(ctx) == []
    records = [r for r in caplog.records if r.name == "policies.debug"]
    assert all(r.levelno == logging.DEBUG for r in records)
    messages = [r.getMessage() for r in records]
    assert messages[0].startswith("[t] request: format=openai model=m stream=False messages=1")
    assert "user='hello there'" in messages[0]
    assert messages[1:4] == ["[t] text: 'Hello'", "[t] text: ', world'", "[t] text block end"]
    assert messages[4] == "[t] response end: 1 text blocks, 2 pieces, 12 chars, decisions=[]"
    assert ctx.decisions == []


async def test_long_text_is_clipped(caplog: pytest.LogCaptureFixture) -> None:
    policy = DebugLoggingPolicy.from_config({"max_chars": 3})
    caplog.set_level(logging.DEBUG, logger="policies.debug")
    assert policy.on_text_delta("abcdef", make_ctx()) == "abcdef"
    assert caplog.records[-1].getMessage() == "[t] text: 'abc… (6 chars)'"


async def test_silent_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    policy = DebugLoggingPolicy()
    ctx = make_ctx()
    caplog.set_level(logging.INFO, logger="policies.debug")
    await policy.on_request(ctx.request, ctx)
    policy.on_text_delta("x", ctx)
    await policy.on_response_end(ctx)
    assert [r for r in caplog.records if r.name == "policies.debug"] == []


def test_registered_pass_through() -> None:
    assert registry().get("debug-logging") is DebugLoggingPolicy
    DebugLoggingPolicy.Config.model_validate(DebugLoggingPolicy.example_config)
    assert DebugLoggingPolicy().mode is StreamingMode.PASS_THROUGH
