"""The LLM judge shared by the judge policies: its config, one HTTP call, a forgiving parser.

`judge_ask` sends one OpenAI-compatible chat-completions request and returns a `JudgeVerdict`.
Every failure is a `JudgeError` whose `reason` reads well in a notice, and whose `kind` says
what went wrong:

    JudgeError
    ├── kind="config"    no API key: `api_key_env` names an unset environment variable
    ├── kind="timeout"   no complete answer within `timeout_s`
    ├── kind="network"   the judge could not be reached (connection refused, dropped, ...)
    ├── kind="http"      the judge answered with an HTTP error status
    └── kind="reply"     the answer holds no usable {"probability": ...} object

The parser accepts what judges really write: plain JSON, JSON in ```json fences, JSON inside
prose (the first balanced `{...}` object that has a "probability"), the probability as a
number, a string ("0.8") or a percentage ("85%"), clamped to [0, 1]; the explanation is
optional.

The default config needs no network and no key: `base_url` http://luthien-mock.internal/v1 is
served in-process by the mock upstream (its `judge` model), mounted on the shared client exactly
as `gateway.http_client` does for `mock/*` models. Other judges are reached with the upstream
calls' transport, outbound proxy and TLS trust (`gateway.egress.transports`).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from pydantic import Field, field_validator, model_validator

from gateway.loop_bound import LoopBound
from gateway.neutral import Request, TextBlock, ToolCallBlock
from gateway.upstreams import MOCK_HOST
from policies.base import PolicyConfig
from policies.engine.notices import pretty_arguments

MOCK_JUDGE_BASE_URL = f"{MOCK_HOST}/v1"
DEFAULT_JUDGE_MODEL = "judge"
CONTEXT_LIMIT = 4000  # characters of conversation context (not of judged content) sent along
_EXCERPT = 200
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


# --- config ------------------------------------------------------------------------------------


GATEWAY_SECRETS = frozenset({"SECRET_KEY", "ADMIN_API_KEY", "PROXY_API_KEY"})


class JudgeConfig(PolicyConfig):
    """Config fields every judge policy shares (subclass it as the policy's `Config`)."""

    base_url: str = Field(
        default=MOCK_JUDGE_BASE_URL,
        description="Base URL of an OpenAI-compatible API (`/chat/completions` is appended). "
        "The default is the in-process mock judge: no network, no key.",
    )
    model: str = Field(default=DEFAULT_JUDGE_MODEL, min_length=1, description="Judge model.")
    api_key: str | None = Field(
        default=None, description="API key sent as a Bearer token (prefer `api_key_env`)."
    )
    api_key_env: str | None = Field(
        default=None,
        description="Name of the environment variable holding the API key: it must end in "
        "`_API_KEY`, `_KEY` or `_TOKEN`, and may not be one of the gateway's own secrets.",
    )
    threshold: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="Block when the judge's probability is at or above this value (0..1).",
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(default=256, ge=1, le=32_000, description="Longest judge answer.")
    timeout_s: float = Field(
        default=15.0,
        gt=0.0,
        le=600.0,
        description="Seconds to wait for the judge's whole answer. Keep it below "
        "LUTHIEN_POLICY_TIMEOUT_S so a slow judge is reported as a judge failure.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _key_variable(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*(_KEY|_TOKEN)", value) or value in GATEWAY_SECRETS:
            raise ValueError(
                "must name a key variable (ending in _KEY or _TOKEN) that is not one of the "
                f"gateway's own secrets ({', '.join(sorted(GATEWAY_SECRETS))})"
            )
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> JudgeConfig:
        if self.api_key and self.api_key_env:
            raise ValueError("set api_key or api_key_env, not both")
        return self


def template_check(template: str, *, allowed: frozenset[str], required: frozenset[str]) -> str:
    """Validate the `{name}` placeholders of a template (other braces are literal text)."""
    used = set(_PLACEHOLDER.findall(template))
    unknown = sorted(used - allowed)
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in sorted(allowed))
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} (known: {known})")
    missing = sorted(required - used)
    if missing:
        raise ValueError(f"must contain the placeholder {{{missing[0]}}}")
    return template


def template_render(template: str, values: Mapping[str, str]) -> str:
    """Fill the `{name}` placeholders; inserted values are never expanded again."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


# --- verdicts and errors -----------------------------------------------------------------------


class JudgeError(Exception):
    """The judge gave no usable verdict; `reason` is readable, `kind` is the failure class."""

    def __init__(self, reason: str, *, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True, slots=True)
class JudgeVerdict:
    """A parsed answer: probability in [0, 1], explanation ("" if none), the reply text, and
    the whole JSON object the verdict came from (for extra fields such as "rule")."""

    probability: float
    explanation: str
    raw: str
    data: dict[str, Any] = field(default_factory=dict)


def parse_verdict(text: str) -> JudgeVerdict:
    """Parse a judge's reply text (see the module docstring); `JudgeError` if unusable."""
    data = _verdict_object(text)
    if data is None:
        raise JudgeError(
            f'judge reply has no JSON object with a "probability": {_excerpt(text)!r}',
            kind="reply",
        )
    explanation = data.get("explanation") or data.get("reason") or ""
    return JudgeVerdict(_probability(data["probability"]), str(explanation).strip(), text, data)


def _verdict_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` (at any `{`, so nested ones too) with a probability."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and "probability" in value:
            return value
        start = text.find("{", start + 1)
    return None


def _probability(value: Any) -> float:
    """A number, numeric string or percentage string, clamped to [0, 1]."""
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        cleaned = value.strip()
        percent = cleaned.endswith("%")
        try:
            number = float(cleaned.rstrip("%").strip())
        except ValueError:
            number = None
        if number is not None and percent:
            number /= 100
    if number is None or math.isnan(number):
        raise JudgeError(f"judge probability is not a number: {value!r}", kind="reply")
    return min(1.0, max(0.0, number))


def _excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"


# --- the shared client -------------------------------------------------------------------------


def _new_judge_client() -> httpx.AsyncClient:
    from gateway.egress.transports import upstream_transport
    from gateway.mock.transport import MockUpstreamTransport

    return httpx.AsyncClient(
        transport=upstream_transport(),  # transport, proxy and TLS trust of upstream calls
        mounts={MOCK_HOST: MockUpstreamTransport()},
        trust_env=False,
    )


_client: LoopBound[httpx.AsyncClient] = LoopBound(_new_judge_client)


def judge_client() -> httpx.AsyncClient:
    """The shared judge client of the running event loop, created on first use."""
    return _client.get()


async def close_judge_client() -> None:
    """Close the shared judge client (shutdown, tests)."""
    await _client.close(httpx.AsyncClient.aclose)


# --- the call ----------------------------------------------------------------------------------


async def judge_ask(
    config: JudgeConfig, *, system: str, user: str, client: httpx.AsyncClient | None = None
) -> JudgeVerdict:
    """Ask the judge once (system + user message); `client` overrides the shared one (tests)."""
    payload = {
        "model": config.model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
        "stream": False,
    }
    headers = {"content-type": "application/json", **_auth_headers(config)}
    url = f"{config.base_url}/chat/completions"
    try:
        async with asyncio.timeout(config.timeout_s):
            response = await (client or judge_client()).post(
                url, content=orjson.dumps(payload), headers=headers, timeout=config.timeout_s
            )
    except (TimeoutError, httpx.TimeoutException) as error:
        raise JudgeError(f"judge timed out after {config.timeout_s:g}s", kind="timeout") from error
    except httpx.HTTPError as error:
        reason = f"judge unreachable ({type(error).__name__}: {error})"
        raise JudgeError(reason, kind="network") from error
    return parse_verdict(_reply_text(response))


def _auth_headers(config: JudgeConfig) -> dict[str, str]:
    key = config.api_key
    if config.api_key_env:
        key = os.environ.get(config.api_key_env)
        if not key:
            reason = f"environment variable {config.api_key_env} (the judge's API key) is not set"
            raise JudgeError(reason, kind="config")
    return {"authorization": f"Bearer {key}"} if key else {}


def _reply_text(response: httpx.Response) -> str:
    """The assistant text of a chat-completions response."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        message = _error_message(body) or _excerpt(response.text)
        raise JudgeError(f"judge returned HTTP {response.status_code}: {message}", kind="http")
    try:
        content = body["choices"][0]["message"]["content"]
    except (TypeError, KeyError, IndexError):
        raise JudgeError("judge response is not a chat completion", kind="reply") from None
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str) or not content.strip():
        raise JudgeError("judge reply is empty", kind="reply")
    return content


def _error_message(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return ""


# --- helpers for the judge policies ------------------------------------------------------------


def latest_user_text(request: Request, *, limit: int = CONTEXT_LIMIT) -> str:
    """Text of the latest user message that has text (tool results carry none), clipped."""
    for message in reversed(request.messages):
        if message.role == "user" and message.text().strip():
            text = message.text()
            return text if len(text) <= limit else text[:limit] + "…"
    return ""


def score_text(probability: float, threshold: float) -> str:
    """`risk 0.95, threshold 0.60`: the score shown next to a block's reason."""
    return f"risk {probability:.2f}, threshold {threshold:.2f}"


def judge_failed_tool_call_text(call: ToolCallBlock, *, policy: str, reason: str) -> TextBlock:
    """The text that replaces a tool call the judge could not check (fail closed)."""
    return TextBlock(
        text=(
            f'⛔ Luthien withheld a tool call (policy "{policy}"): the judge that checks it '
            "failed, so the call was not passed on.\n"
            f"Tool: {call.name}\n"
            f"Reason: {reason}\n"
            f"Arguments:\n{pretty_arguments(call)}\n"
        )
    )
