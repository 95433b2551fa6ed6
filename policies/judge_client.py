"""The LLM judge shared by the judge policies: its config and one call.

`judge_ask` sends one request to the judge and returns a `JudgeVerdict` (or raises `JudgeError`;
both, and the forgiving reply parser, live in `policies.judge_verdict`). Where the call goes is
`policies.judge_route`'s business: by default a model the gateway routes (`mock/judge`,
`openai/gpt-4o-mini`, `anthropic/claude-…`), in that upstream's wire format with its key; an
OpenAI-compatible `base_url` only on an allow-listed host. The call goes through the judges'
HTTP client, a process-wide service (`JUDGE_HTTP_CLIENT`, one per event loop, closed at
shutdown): an upstream client of its own (`wire.http_client.new_upstream_client`), so the
transport switch (`LUTHIEN_UPSTREAM_TRANSPORT`), outbound proxy and TLS settings apply to judges
too, `mock/*` is served in-process, and judge calls do not take the proxy's pooled connections.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
import orjson
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from policies.base import PolicyConfigSchema
from policies.config_secrets import MASK, secret_field
from policies.engine.notices import pretty_arguments
from policies.judge_metrics import observe_judge
from policies.judge_route import (
    KEY_ENV_PATTERN,
    JudgeTarget,
    judge_legacy_migrate,
    judge_route_check,
    judge_target,
)
from policies.judge_verdict import JudgeError, JudgeVerdict, excerpt, parse_verdict
from wire import tracing
from wire.http_client import UpstreamClient, new_upstream_client
from wire.neutral import Request, TextBlock, ToolCallBlock
from wire.process_wide import Service
from wire.upstreams import MOCK_HOST

__all__ = [  # JudgeError, JudgeVerdict and parse_verdict are re-exported for the judge policies
    "CONTEXT_LIMIT",
    "DEFAULT_JUDGE_MODEL",
    "JUDGE_HTTP_CLIENT",
    "MOCK_JUDGE_BASE_URL",
    "JudgeConfig",
    "JudgeError",
    "JudgeVerdict",
    "close_judge_client",
    "judge_ask",
    "judge_complete",
    "judge_failed_tool_call_text",
    "latest_user_text",
    "parse_verdict",
    "score_text",
    "template_check",
    "template_render",
]

MOCK_JUDGE_BASE_URL = f"{MOCK_HOST}/v1"  # the old default base_url (configs saved with it load)
DEFAULT_JUDGE_MODEL = "mock/judge"
CONTEXT_LIMIT = 4000  # characters of conversation context (not of judged content) sent along
T = TypeVar("T")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


# --- config ------------------------------------------------------------------------------------


class JudgeConfig(PolicyConfigSchema):
    """Config fields every judge policy shares (subclass it as the policy's `Config`)."""

    base_url: str | None = Field(
        default=None,
        description="Leave unset: the gateway calls `model` through its own upstream (URL, "
        "wire format and key). Set only for an OpenAI-compatible API on a host listed in "
        "LUTHIEN_JUDGE_ALLOWED_HOSTS (`/chat/completions` is appended).",
    )
    model: str = Field(
        default=DEFAULT_JUDGE_MODEL,
        min_length=1,
        description="Judge model: one the gateway routes (`openai/gpt-4o-mini`, "
        "`anthropic/claude-haiku-4-5`, an LUTHIEN_EXTRA_UPSTREAMS name such as `ollama/llama3`, "
        "`mock/judge`); with `base_url`, the name that API expects.",
    )
    api_key: str | None = secret_field(
        description="Only with `base_url`: API key sent as a Bearer token. Write-only: shown "
        "as ••••; sending •••• back keeps the stored key."
    )
    api_key_env: str | None = Field(
        default=None,
        description="Only with `base_url`: environment variable holding the API key; it must "
        "end in `_KEY` or `_TOKEN` and may not be a provider key or a gateway secret.",
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

    @model_validator(mode="before")
    @classmethod
    def _saved_before_routing(cls, data: Any) -> Any:
        return judge_legacy_migrate(data)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _key_variable(cls, value: str | None) -> str | None:
        if value is not None and not KEY_ENV_PATTERN.fullmatch(value):
            raise ValueError("must name a key variable (upper case, ending in _KEY or _TOKEN)")
        return value

    @model_validator(mode="after")
    def _routable(self) -> JudgeConfig:
        if self.api_key and self.api_key_env:
            raise ValueError("set api_key or api_key_env, not both")
        problems = judge_route_check(
            base_url=self.base_url,
            model=self.model,
            api_key=self.api_key,
            api_key_env=self.api_key_env,
        )
        if problems:
            details = [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "judge_route", "{reason}", {"reason": problem.message}
                    ),
                    loc=(problem.field,),
                    input=MASK if problem.field == "api_key" else getattr(self, problem.field),
                )
                for problem in problems
            ]
            raise ValidationError.from_exception_data(type(self).__name__, details)
        return self

    def target(self) -> JudgeTarget:
        """Where this judge's call goes, with which key (`JudgeError` when unusable now)."""
        return judge_target(
            base_url=self.base_url,
            model=self.model,
            api_key=self.api_key,
            api_key_env=self.api_key_env,
        )


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


# --- the call ----------------------------------------------------------------------------------


# One per event loop (connections belong to the loop that opened them); closed at shutdown.
JUDGE_HTTP_CLIENT = Service(
    "judge http client", new_upstream_client, close=UpstreamClient.aclose, per_loop=True
)


async def close_judge_client() -> None:
    """Close the judges' HTTP client of this loop (tests; shutdown closes every service)."""
    await JUDGE_HTTP_CLIENT.aclose()


async def judge_ask(
    config: JudgeConfig, *, system: str, user: str, client: UpstreamClient | None = None
) -> JudgeVerdict:
    """Ask the judge once (system + user message); `client` overrides the shared one (tests)."""
    return await judge_complete(
        config, system=system, user=user, client=client, parse=parse_verdict
    )


async def judge_complete(
    config: JudgeConfig,
    *,
    system: str,
    user: str,
    parse: Callable[[str], T],
    client: UpstreamClient | None = None,
) -> T:
    """Send one system + user message to the configured model and `parse` its reply text
    (`JudgeError` on timeout, network or HTTP error, an empty reply, or from `parse`; all count
    as failed calls in the judge metrics). The trusted model of `monitor` is called this way."""
    target = config.target()
    body = orjson.dumps(_payload(config, target, system=system, user=user))
    upstream = client or JUDGE_HTTP_CLIENT.get()
    started = time.perf_counter()
    outcome = "error"
    try:
        with tracing.span("luthien.judge", **{"luthien.judge.model": target.model}):
            async with asyncio.timeout(config.timeout_s):
                request = upstream.build_request(
                    "POST", target.url, content=body, headers=target.headers
                )
                response = await upstream.send(request, stream=False)
        result = parse(_reply_text(response, target))
        outcome = "ok"
        return result
    except (TimeoutError, httpx.TimeoutException) as error:
        outcome = "timeout"
        raise JudgeError(f"judge timed out after {config.timeout_s:g}s", kind="timeout") from error
    except httpx.HTTPError as error:
        reason = f"judge unreachable ({type(error).__name__}: {error})"
        raise JudgeError(reason, kind="network") from error
    finally:
        observe_judge(time.perf_counter() - started, outcome)


def _payload(config: JudgeConfig, target: JudgeTarget, *, system: str, user: str) -> dict[str, Any]:
    """The request body in the target's wire format."""
    options = {"temperature": config.temperature, "max_tokens": config.max_tokens, "stream": False}
    if target.format == "anthropic":
        messages = [{"role": "user", "content": user}]
        return {"model": target.model, "system": system, "messages": messages, **options}
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return {"model": target.model, "messages": messages, **options}


def _reply_text(response: httpx.Response, target: JudgeTarget) -> str:
    """The assistant text of a chat completion or an Anthropic message."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        message = _error_message(body) or excerpt(response.text)
        raise JudgeError(f"judge returned HTTP {response.status_code}: {message}", kind="http")
    try:
        if target.format == "anthropic":
            content = body["content"]
        else:
            content = body["choices"][0]["message"]["content"]
    except (TypeError, KeyError, IndexError):
        what = "an Anthropic message" if target.format == "anthropic" else "a chat completion"
        raise JudgeError(f"judge response is not {what}", kind="reply") from None
    if isinstance(content, list):
        content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
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
