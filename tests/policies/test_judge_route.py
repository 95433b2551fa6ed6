"""Where a judge's call goes: routed models, the host allow-list, protected key variables,
configs saved before the rule, and the call's URL, format and headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from pydantic import ValidationError

from policies.judge_client import JUDGE_HTTP_CLIENT, JudgeConfig, close_judge_client, judge_ask
from policies.judge_route import judge_route_check
from policies.judge_verdict import JudgeError
from wire.egress.httpx_router import ProxyRouter
from wire.http11.transport import Http11Transport
from wire.http_client import UpstreamClient, close_http_client, http_client
from wire.mock.transport import MockUpstreamTransport
from wire.upstreams import reset_upstreams, upstreams


@pytest.fixture(autouse=True)
async def _close_client() -> AsyncIterator[None]:
    yield
    await close_judge_client()


@pytest.fixture
def providers(settings: Any) -> None:
    """Known provider keys and one extra upstream with its own key variable."""
    settings.OPENAI_BASE_URL = "https://api.openai.com/v1"
    settings.OPENAI_API_KEY = "sk-openai-test"
    settings.ANTHROPIC_BASE_URL = "https://api.anthropic.com"
    settings.ANTHROPIC_API_KEY = "sk-ant-test"
    settings.LUTHIEN_EXTRA_UPSTREAMS = (
        "ollama=http://127.0.0.1:11434/v1,vllm=https://gpu.internal:8000/v1|VLLM_KEY"
    )
    reset_upstreams()


def problems(**config: Any) -> dict[str, str]:
    """Field → message of every validation error of a judge config."""
    try:
        JudgeConfig.model_validate(config)
    except ValidationError as error:
        return {".".join(map(str, e["loc"])): e["msg"] for e in error.errors()}
    return {}


# --- routed ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "upstream", "sent"),
    [
        ("openai/gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("anthropic/claude-haiku-4-5", "anthropic", "claude-haiku-4-5"),
        ("claude-haiku-4-5", "anthropic", "claude-haiku-4-5"),
        ("ollama/llama3", "ollama", "llama3"),
        ("vllm/qwen", "vllm", "qwen"),
        ("mock/judge", "mock", "judge"),
    ],
)
def test_routed_models_are_accepted(providers: None, model: str, upstream: str, sent: str) -> None:
    assert problems(model=model) == {}
    target = JudgeConfig(model=model).target()
    assert target.model == sent
    assert target.url.startswith(upstreams()[upstream].base_url.rstrip("/"))


def test_a_model_no_upstream_serves_is_refused(providers: None) -> None:
    found = problems(model="llama3")
    assert list(found) == ["model"]
    assert "names no upstream" in found["model"]
    for prefix in ("openai/", "anthropic/", "mock/", "ollama/", "vllm/"):
        assert prefix in found["model"]
    assert "LUTHIEN_JUDGE_ALLOWED_HOSTS" in found["model"]
    assert list(problems(model="nowhere/llama3")) == ["model"]


@pytest.mark.parametrize("field", ["api_key", "api_key_env"])
def test_a_routed_judge_carries_no_key(providers: None, field: str) -> None:
    value = "sk-mine" if field == "api_key" else "MY_JUDGE_KEY"
    found = problems(model="openai/gpt-4o-mini", **{field: value})
    assert list(found) == [field]
    assert "uses its upstream's own key" in found[field]


async def test_routed_openai_target_uses_the_gateway_key(providers: None) -> None:
    target = JudgeConfig(model="openai/gpt-4o-mini").target()
    assert target.url == "https://api.openai.com/v1/chat/completions"
    assert target.format == "openai"
    assert target.headers["authorization"] == "Bearer sk-openai-test"


async def test_routed_anthropic_call_speaks_the_messages_format(providers: None) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        text = '{"probability": 0.7, "explanation": "risky"}'
        return httpx.Response(200, json={"content": [{"type": "text", "text": text}]})

    client = UpstreamClient(httpx.MockTransport(answer), MockUpstreamTransport(), httpx.Timeout(5))
    config = JudgeConfig(model="anthropic/claude-haiku-4-5", max_tokens=64)
    verdict = await judge_ask(config, system="sys", user="usr", client=client)
    assert (verdict.probability, verdict.explanation) == (0.7, "risky")
    (request,) = seen
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == "sk-ant-test"
    assert request.headers["anthropic-version"]
    assert "authorization" not in request.headers
    assert orjson.loads(request.content) == {
        "model": "claude-haiku-4-5",
        "system": "sys",
        "messages": [{"role": "user", "content": "usr"}],
        "temperature": 0.0,
        "max_tokens": 64,
        "stream": False,
    }


async def test_anthropic_format_against_the_mock(settings: Any) -> None:
    """The mock speaks both formats: an Anthropic upstream served by it answers as a judge."""
    settings.ANTHROPIC_BASE_URL = "http://luthien-mock.internal"
    reset_upstreams()
    config = JudgeConfig(model="anthropic/judge")
    assert config.target().url == "http://luthien-mock.internal/v1/messages"
    verdict = await judge_ask(config, system="Score it.", user="rm -rf / please")
    assert verdict.probability == 0.95


async def test_judge_calls_use_the_judge_http_client_the_gateway_provides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(
            200, json={"choices": [{"message": {"content": '{"probability": 0}'}}]}
        )

    provided = UpstreamClient(
        httpx.MockTransport(answer), httpx.MockTransport(answer), httpx.Timeout(5)
    )
    monkeypatch.setattr(JUDGE_HTTP_CLIENT, "_factory", lambda: provided)
    await judge_ask(JudgeConfig(), system="s", user="u")
    assert seen == ["http://luthien-mock.internal/v1/chat/completions"]
    assert JUDGE_HTTP_CLIENT.peek() is provided


@pytest.mark.parametrize(
    ("transport", "expected"), [("http11", Http11Transport), ("httpx", ProxyRouter)]
)
async def test_the_judges_client_follows_the_upstream_transport_switch(
    settings: Any, transport: str, expected: type
) -> None:
    settings.LUTHIEN_UPSTREAM_TRANSPORT = transport
    client = JUDGE_HTTP_CLIENT.get()
    assert isinstance(client, UpstreamClient)
    assert client is not http_client()  # its own pool, closed with the other services
    assert isinstance(client._transport, expected)
    await close_http_client()


async def test_an_upstream_removed_since_saving_is_a_config_error(settings: Any) -> None:
    settings.LUTHIEN_EXTRA_UPSTREAMS = "ollama=http://127.0.0.1:11434/v1"
    reset_upstreams()
    config = JudgeConfig(model="ollama/llama3")
    settings.LUTHIEN_EXTRA_UPSTREAMS = ""
    reset_upstreams()
    with pytest.raises(JudgeError) as caught:
        config.target()
    assert caught.value.kind == "config"
    assert "names no upstream" in caught.value.reason


# --- free base_url -----------------------------------------------------------------------------


def test_no_free_base_url_without_an_allow_list(providers: None) -> None:
    found = problems(base_url="https://judge.example/v1", model="m")
    assert list(found) == ["base_url"]
    assert "'judge.example' is not in LUTHIEN_JUDGE_ALLOWED_HOSTS" in found["base_url"]
    assert "empty: no free base_url is allowed" in found["base_url"]


@pytest.mark.parametrize(
    ("allowed", "url", "ok"),
    [
        (["judge.example"], "https://judge.example/v1", True),
        (["judge.example"], "http://JUDGE.example:8080/v1", True),
        (["judge.example:8443"], "https://judge.example:8443/v1", True),
        (["judge.example:8443"], "https://judge.example/v1", False),
        (["judge.example:443"], "https://judge.example/v1", True),
        (["judge.example"], "https://judge.example.evil.test/v1", False),
        (["judge.example"], "https://evil.test/judge.example", False),
        (["[::1]:11434"], "http://[::1]:11434/v1", True),
        (["a.test", " b.test "], "https://b.test/v1", True),
        (["not a host/x"], "https://not a host/x", False),
    ],
)
def test_allow_list_matching(
    settings: Any, providers: None, allowed: list[str], url: str, ok: bool
) -> None:
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = allowed
    assert (problems(base_url=url, model="m") == {}) is ok


def test_credentials_in_the_url_are_refused(settings: Any, providers: None) -> None:
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = ["judge.example"]
    found = problems(base_url="https://user:pw@judge.example/v1", model="m")
    assert list(found) == ["base_url"]
    assert "must not carry credentials" in found["base_url"]


@pytest.mark.parametrize(
    "variable",
    [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "VLLM_KEY",
        "SECRET_KEY",
        "ADMIN_API_KEY",
        "PROXY_API_KEY",
        "PROXY_OVERRIDE_API_KEY",
    ],
)
def test_gateway_key_variables_never_go_to_a_free_host(
    settings: Any, providers: None, variable: str
) -> None:
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = ["judge.example"]
    found = problems(base_url="https://judge.example/v1", model="m", api_key_env=variable)
    assert list(found) == ["api_key_env"]
    assert found["api_key_env"].startswith(f"{variable} is a key of the gateway itself")


def test_foreign_host_with_a_provider_key_names_both_fields(providers: None) -> None:
    found = problems(base_url="https://evil.test/v1", model="m", api_key_env="OPENAI_API_KEY")
    assert sorted(found) == ["api_key_env", "base_url"]


@pytest.mark.parametrize("name", ["DATABASE_URL", "HOME", "x_key", "JUDGE"])
def test_api_key_env_must_name_a_key_variable(settings: Any, name: str) -> None:
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = ["judge.example"]
    found = problems(base_url="https://judge.example/v1", model="m", api_key_env=name)
    assert list(found) == ["api_key_env"]
    assert "ending in _KEY or _TOKEN" in found["api_key_env"]


def test_free_judge_with_its_own_key(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = ["judge.example"]
    monkeypatch.setenv("MY_JUDGE_KEY", "sk-judge")
    config = JudgeConfig(
        base_url="https://judge.example/v1/", model="m", api_key_env="MY_JUDGE_KEY"
    )
    target = config.target()
    assert (target.url, target.format, target.model) == (
        "https://judge.example/v1/chat/completions",
        "openai",
        "m",
    )
    assert target.headers["authorization"] == "Bearer sk-judge"
    inline = JudgeConfig(base_url="https://judge.example/v1", model="m", api_key="sk-inline")
    assert inline.target().headers["authorization"] == "Bearer sk-inline"
    assert "authorization" not in JudgeConfig(base_url="https://judge.example/v1").target().headers


def test_the_check_function_alone() -> None:
    """Policies that embed a judge may call the rule directly."""
    found = judge_route_check(
        base_url="https://evil.test", model="m", api_key=None, api_key_env="OPENAI_API_KEY"
    )
    assert [p.field for p in found] == ["base_url", "api_key_env"]
    assert (
        judge_route_check(base_url=None, model="mock/judge", api_key=None, api_key_env=None) == []
    )


# --- configs saved before the rule -------------------------------------------------------------


@pytest.mark.parametrize(
    ("saved", "model"),
    [
        ({"base_url": "http://luthien-mock.internal/v1", "model": "judge"}, "mock/judge"),
        ({"base_url": "http://luthien-mock.internal/v1"}, "mock/judge"),
        ({"model": "judge?p=0.9"}, "mock/judge?p=0.9"),
        ({"model": "error?status=500"}, "mock/error?status=500"),
        (
            {
                "base_url": "https://api.openai.com/v1",
                "model": "gpt-4o-mini",
                "api_key_env": "OPENAI_API_KEY",
            },
            "openai/gpt-4o-mini",
        ),
        (
            {
                "base_url": "https://api.anthropic.com/v1",
                "model": "claude-haiku-4-5",
                "api_key_env": "ANTHROPIC_API_KEY",
            },
            "anthropic/claude-haiku-4-5",
        ),
        (
            {
                "base_url": "https://gpu.internal:8000/v1",
                "model": "qwen",
                "api_key_env": "VLLM_KEY",
            },
            "vllm/qwen",
        ),
    ],
)
def test_legacy_configs_load_in_the_routed_form(
    providers: None, saved: dict[str, Any], model: str
) -> None:
    config = JudgeConfig.model_validate(saved)
    assert (config.base_url, config.model, config.api_key, config.api_key_env) == (
        None,
        model,
        None,
        None,
    )


def test_legacy_provider_config_follows_the_configured_base_url(settings: Any) -> None:
    settings.OPENAI_BASE_URL = "https://openai-proxy.corp/v1"
    settings.OPENAI_API_KEY = "sk-corp"
    reset_upstreams()
    for host in ("api.openai.com", "openai-proxy.corp"):
        saved = {
            "base_url": f"https://{host}/v1",
            "model": "gpt-4o",
            "api_key_env": "OPENAI_API_KEY",
        }
        config = JudgeConfig.model_validate(saved)
        assert config.model == "openai/gpt-4o"
        assert config.target().url == "https://openai-proxy.corp/v1/chat/completions"


@pytest.mark.parametrize(
    "saved",
    [
        {"base_url": "https://evil.test/v1", "model": "gpt-4o", "api_key_env": "OPENAI_API_KEY"},
        {"base_url": "https://api.openai.com/v1", "model": "gpt-4o", "api_key_env": "VLLM_KEY"},
        {"base_url": "https://api.openai.com/v1", "model": "gpt-4o", "api_key": "sk-own"},
        {"base_url": "http://luthien-mock.internal/v1", "model": "judge", "api_key": "sk-own"},
        {"model": "llama3"},
    ],
)
def test_legacy_configs_that_would_move_a_key_are_refused(
    providers: None, saved: dict[str, Any]
) -> None:
    assert problems(**saved) != {}
