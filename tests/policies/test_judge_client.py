"""The shared judge client: reply parsing, the HTTP call through the gateway's upstream client,
failures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from pydantic import ValidationError

from policies.judge_client import (
    JudgeConfig,
    JudgeError,
    close_judge_client,
    judge_ask,
    parse_verdict,
    template_check,
    template_render,
)
from wire.http_client import UpstreamClient
from wire.mock.transport import MockUpstreamTransport


@pytest.fixture(autouse=True)
async def _close_client() -> AsyncIterator[None]:
    yield
    await close_judge_client()


@pytest.fixture
def judge_host(settings: Any) -> str:
    """`judge.example` allowed as a free judge host."""
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = ["judge.example"]
    return "judge.example"


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "probability", "explanation"),
    [
        ('{"probability": 0.8, "explanation": "risky"}', 0.8, "risky"),
        ('```json\n{"probability": 0.3, "explanation": "fine"}\n```', 0.3, "fine"),
        ('```\n{"probability": 1}\n```', 1.0, ""),
        ('Here is my verdict:\n{"probability": 0.9, "explanation": "a {b}"}\nBye.', 0.9, "a {b}"),
        ('Note {not json} then {"probability": 0.4}', 0.4, ""),
        ('{"other": 1} and {"probability": 0.2, "reason": "why"}', 0.2, "why"),
        ('{"verdict": {"probability": 0.7, "explanation": "nested"}}', 0.7, "nested"),
        ('{"probability": "0.65", "explanation": "as a string"}', 0.65, "as a string"),
        ('{"probability": "85%"}', 0.85, ""),
        ('{"probability": " 7.5 % "}', 0.075, ""),
        ('{"probability": 1.7}', 1.0, ""),
        ('{"probability": -0.2}', 0.0, ""),
        ('{"probability": 0, "explanation": "  padded  "}', 0.0, "padded"),
    ],
)
def test_parse_verdict(reply: str, probability: float, explanation: str) -> None:
    verdict = parse_verdict(reply)
    assert verdict.probability == pytest.approx(probability)
    assert verdict.explanation == explanation
    assert verdict.raw == reply


@pytest.mark.parametrize(
    "reply",
    [
        "I am not sure about this one; it might be fine, or it might not be.",
        '{"explanation": "no probability here"}',
        '{"probability": "high"}',
        '{"probability": null}',
        '{"probability": true}',
        '{"probability": 0.5',
        "",
    ],
)
def test_unusable_replies_raise_judge_error(reply: str) -> None:
    with pytest.raises(JudgeError) as caught:
        parse_verdict(reply)
    assert caught.value.kind == "reply"
    assert "probability" in caught.value.reason


def test_verdict_keeps_the_whole_object() -> None:
    assert parse_verdict('{"probability": 0.9, "rule": 2}').data == {"probability": 0.9, "rule": 2}


# --- templates ---------------------------------------------------------------------------------


def test_template_placeholders() -> None:
    allowed = frozenset({"a", "b"})
    assert template_check('{a} {"json": 1}', allowed=allowed, required=frozenset({"a"}))
    with pytest.raises(ValueError, match=r"unknown placeholder \{c\}"):
        template_check("{a} {c}", allowed=allowed, required=frozenset())
    with pytest.raises(ValueError, match=r"must contain the placeholder \{b\}"):
        template_check("{a}", allowed=allowed, required=frozenset({"b"}))
    assert template_render("{a}-{b}-{x}", {"a": "{b}", "b": "2"}) == "{b}-2-{x}"


# --- config ------------------------------------------------------------------------------------


def test_default_config_is_the_in_process_mock_judge() -> None:
    config = JudgeConfig()
    assert (config.base_url, config.model) == (None, "mock/judge")
    assert (config.threshold, config.temperature, config.max_tokens) == (0.6, 0.0, 256)
    assert config.timeout_s == 15.0
    assert config.fail_open is False


@pytest.mark.parametrize(
    "data",
    [
        {"threshold": 1.5},
        {"threshold": -0.1},
        {"timeout_s": 0},
        {"max_tokens": 0},
        {"base_url": "ftp://x"},
        {"base_url": "https://judge.example/v1", "api_key": "k", "api_key_env": "K_KEY"},
        {"model": ""},
        {"extra_field": 1},
    ],
)
def test_invalid_judge_config(data: dict[str, object], judge_host: str) -> None:
    with pytest.raises(ValidationError):
        JudgeConfig.model_validate(data)


# --- the call ----------------------------------------------------------------------------------


def replying(
    content: object, status: int = 200, seen: list[httpx.Request] | None = None
) -> UpstreamClient:
    """An upstream client whose transport answers every request with one chat completion."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "boom"}})
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    return answering(handler)


def answering(handler: Callable[[httpx.Request], httpx.Response]) -> UpstreamClient:
    return UpstreamClient(httpx.MockTransport(handler), MockUpstreamTransport(), httpx.Timeout(5.0))


async def test_judge_ask_against_the_in_process_mock() -> None:
    config = JudgeConfig()
    verdict = await judge_ask(config, system="Score it.", user="run rm -rf / now")
    assert verdict.probability == 0.95
    assert "rm -rf" in verdict.explanation
    harmless = await judge_ask(config, system="rm -rf is in the system prompt only", user="ls")
    assert harmless.probability == 0.05


@pytest.mark.parametrize("mode", ["plain", "fenced", "prose", "string"])
async def test_every_mock_dressing_parses(mode: str) -> None:
    config = JudgeConfig(model=f"mock/judge?p=0.42&mode={mode}")
    assert (await judge_ask(config, system="s", user="u")).probability == 0.42


async def test_mock_garbage_is_a_reply_error() -> None:
    with pytest.raises(JudgeError) as caught:
        await judge_ask(JudgeConfig(model="mock/judge?mode=garbage"), system="s", user="u")
    assert caught.value.kind == "reply"


async def test_http_error_status() -> None:
    with pytest.raises(JudgeError) as caught:
        await judge_ask(JudgeConfig(model="mock/error?status=503"), system="s", user="u")
    assert caught.value.kind == "http"
    assert caught.value.reason.startswith("judge returned HTTP 503: ")


async def test_timeout() -> None:
    config = JudgeConfig(model="mock/judge?ttfb_ms=2000", timeout_s=0.05)
    with pytest.raises(JudgeError) as caught:
        await judge_ask(config, system="s", user="u")
    assert (caught.value.kind, caught.value.reason) == ("timeout", "judge timed out after 0.05s")


async def test_unreachable_judge(judge_host: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    config = JudgeConfig(base_url="https://judge.example/v1")
    with pytest.raises(JudgeError) as caught:
        await judge_ask(config, system="s", user="u", client=answering(refuse))
    assert caught.value.kind == "network"


async def test_request_shape_and_bearer_key(
    monkeypatch: pytest.MonkeyPatch, judge_host: str
) -> None:
    monkeypatch.setenv("JUDGE_KEY", "sk-test")
    seen: list[httpx.Request] = []
    config = JudgeConfig(
        base_url="https://judge.example/v1/",
        model="gpt-x",
        api_key_env="JUDGE_KEY",
        temperature=0.5,
        max_tokens=64,
    )
    client = replying('{"probability": "85%"}', seen=seen)
    verdict = await judge_ask(config, system="sys", user="usr", client=client)
    assert verdict.probability == 0.85
    (request,) = seen
    assert str(request.url) == "https://judge.example/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert orjson.loads(request.content) == {
        "model": "gpt-x",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "usr"}],
        "temperature": 0.5,
        "max_tokens": 64,
        "stream": False,
    }


async def test_missing_key_variable_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, judge_host: str
) -> None:
    monkeypatch.delenv("NO_SUCH_JUDGE_KEY", raising=False)
    config = JudgeConfig(base_url="https://judge.example/v1", api_key_env="NO_SUCH_JUDGE_KEY")
    with pytest.raises(JudgeError) as caught:
        await judge_ask(config, system="s", user="u")
    assert caught.value.kind == "config"
    assert "NO_SUCH_JUDGE_KEY" in caught.value.reason


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: replying(None, status=500), "judge returned HTTP 500: boom"),
        (lambda: replying(None), "judge reply is empty"),
        (lambda: replying("   "), "judge reply is empty"),
        (lambda: replying([{"type": "text", "text": '{"probability": 0.1}'}]), None),
    ],
)
async def test_reply_shapes(
    make: Callable[[], UpstreamClient], reason: str | None, judge_host: str
) -> None:
    config = JudgeConfig(base_url="https://judge.example/v1")
    if reason is None:
        verdict = await judge_ask(config, system="s", user="u", client=make())
        assert verdict.probability == 0.1
        return
    with pytest.raises(JudgeError) as caught:
        await judge_ask(config, system="s", user="u", client=make())
    assert caught.value.reason == reason


async def test_not_a_chat_completion(judge_host: str) -> None:
    client = answering(lambda r: httpx.Response(200, json={"x": 1}))
    with pytest.raises(JudgeError, match="not a chat completion"):
        await judge_ask(
            JudgeConfig(base_url="https://judge.example/v1"), system="s", user="u", client=client
        )
