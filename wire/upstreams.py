"""Upstreams the gateway can call, built from settings, and model-name routing.

Routing (first match wins): an explicit `<upstream>/` prefix (stripped); `claude-*` →
anthropic; `gpt-*`, `o<digit>*`, `chatgpt-*` → openai; otherwise the upstream of the client's
own format (`resolve_route`, the proxy). Policies that call a model themselves (judges) use
`resolve_named_route`: the same rules without the last one, in the upstream's own format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from wire.errors import InvalidRequest, NotFound
from wire.neutral import WireFormat
from wire.process_wide import Service

MOCK_HOST = "http://luthien-mock.internal"
HOME_UPSTREAM: dict[WireFormat, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "responses": "openai",
}
"""The upstream a client format's unprefixed, unknown model names go to."""
_OPENAI_MODEL = re.compile(r"^(gpt-|chatgpt-|o\d)")


@dataclass(frozen=True, slots=True)
class Upstream:
    """One upstream API: its wire format, base URL, credential, and the environment variable
    the credential came from (`key_env`, "" if none)."""

    name: str
    format: WireFormat | None  # None: speaks both (the mock)
    base_url: str
    api_key: str = ""
    key_env: str = ""

    def url_for(self, fmt: WireFormat) -> str:
        """The endpoint URL for a call in wire format `fmt`."""
        base = self.base_url.rstrip("/")
        if fmt == "responses":
            return base + ("/v1/responses" if self.format is None else "/responses")
        if fmt == "openai":
            return base + ("/v1/chat/completions" if self.format is None else "/chat/completions")
        return base + "/v1/messages"


def with_query(url: str, query: str) -> str:
    """`url` with the client's query string appended (after any query the URL already has)."""
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


@dataclass(frozen=True, slots=True)
class Route:
    """Where one request goes: the upstream and the model name it should receive."""

    upstream: Upstream
    model: str
    format: WireFormat


def _parse_extra(spec: str) -> list[Upstream]:
    """`name=url[|KEY_ENV],name2=url2` → OpenAI-compatible upstreams."""
    import os

    upstreams = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, rest = item.partition("=")
        if not sep or not name.strip() or not rest.strip():
            raise ValueError(f"LUTHIEN_EXTRA_UPSTREAMS entry {item!r} is not name=url[|KEY_ENV]")
        url, _, key_env = rest.partition("|")
        key_env = key_env.strip()
        key = os.environ.get(key_env, "") if key_env else ""
        upstreams.append(Upstream(name.strip(), "openai", url.strip(), key, key_env))
    return upstreams


def upstreams() -> dict[str, Upstream]:
    """Every configured upstream by name (read from settings once per process)."""
    return _UPSTREAMS.get()


def reset_upstreams() -> None:
    """Read the upstreams from settings again on next use (tests that change them)."""
    _UPSTREAMS.reset()


def _upstreams_from_settings() -> dict[str, Upstream]:
    mock_base = settings.LUTHIEN_MOCK_UPSTREAM
    found = {
        "openai": Upstream(
            "openai", "openai", settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, "OPENAI_API_KEY"
        ),
        "anthropic": Upstream(
            "anthropic",
            "anthropic",
            settings.ANTHROPIC_BASE_URL,
            settings.ANTHROPIC_API_KEY,
            "ANTHROPIC_API_KEY",
        ),
        "mock": Upstream("mock", None, MOCK_HOST if mock_base == "inprocess" else mock_base),
    }
    for extra in _parse_extra(settings.LUTHIEN_EXTRA_UPSTREAMS):
        found[extra.name] = extra
    return found


_UPSTREAMS = Service("upstreams", _upstreams_from_settings)


def _named_upstream(model: str) -> tuple[Upstream, str] | None:
    """The upstream a model name picks by prefix or family, and the model it receives."""
    known = upstreams()
    prefix, sep, rest = model.partition("/")
    if sep and prefix in known:
        if not rest:
            raise NotFound(f"model {model!r} names upstream {prefix!r} but no model", param="model")
        return known[prefix], rest
    if model.startswith("claude-"):
        return known["anthropic"], model
    if _OPENAI_MODEL.match(model):
        return known["openai"], model
    return None


def resolve_named_route(model: str) -> Route:
    """The route of a model that names its upstream (`<upstream>/<model>`, `claude-*`,
    `gpt-*`, …), in that upstream's own format (the mock: OpenAI). NotFound otherwise."""
    named = _named_upstream(model)
    if named is None:
        prefixes = ", ".join(f"{name}/" for name in upstreams())
        raise NotFound(
            f"model {model!r} names no upstream: prefix it with one of {prefixes}", param="model"
        )
    upstream, upstream_model = named
    return Route(upstream=upstream, model=upstream_model, format=upstream.format or "openai")


def pick_upstream(model: str, client_format: WireFormat) -> tuple[Upstream, str]:
    """The upstream `model` routes to and the model name it receives, whatever format the
    upstream speaks; raises NotFound for an upstream prefix without a model."""
    return _named_upstream(model) or (upstreams()[HOME_UPSTREAM[client_format]], model)


def resolve_route(model: str, client_format: WireFormat) -> Route:
    """Pick the upstream for `model`; raises NotFound / InvalidRequest with a clear message."""
    upstream, upstream_model = pick_upstream(model, client_format)
    fmt = upstream.format or client_format
    if client_format == "responses" and fmt == "openai":
        fmt = "responses"  # an OpenAI-format upstream serves the Responses API too
    if fmt != client_format:
        raise InvalidRequest(
            f"model {model!r} is served by the {upstream.name} upstream, which speaks the {fmt} "
            f"format; call it through the {fmt} endpoint "
            f"({'/v1/messages' if fmt == 'anthropic' else '/v1/chat/completions'}) instead",
            param="model",
        )
    return Route(upstream=upstream, model=upstream_model, format=fmt)
