"""Upstreams the gateway can call, built from settings, and model-name routing.

Routing (first match wins): an explicit `<upstream>/` prefix (stripped); `claude-*` →
anthropic; `gpt-*`, `o<digit>*`, `chatgpt-*` → openai; otherwise the upstream of the client's
own format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from gateway.errors import InvalidRequest, NotFound
from gateway.neutral import WireFormat

MOCK_HOST = "http://luthien-mock.internal"
_OPENAI_MODEL = re.compile(r"^(gpt-|chatgpt-|o\d)")


@dataclass(frozen=True, slots=True)
class Upstream:
    """One upstream API: its wire format, base URL and credential."""

    name: str
    format: WireFormat | None  # None: speaks both (the mock)
    base_url: str
    api_key: str = ""

    def url_for(self, fmt: WireFormat) -> str:
        """The endpoint URL for a call in wire format `fmt`."""
        base = self.base_url.rstrip("/")
        if fmt == "openai":
            return base + ("/v1/chat/completions" if self.format is None else "/chat/completions")
        return base + "/v1/messages"


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
        key = os.environ.get(key_env.strip(), "") if key_env.strip() else ""
        upstreams.append(Upstream(name.strip(), "openai", url.strip(), key))
    return upstreams


@lru_cache(maxsize=1)
def upstreams() -> dict[str, Upstream]:
    """Every configured upstream by name (cached; `upstreams.cache_clear()` in tests)."""
    mock_base = settings.LUTHIEN_MOCK_UPSTREAM
    found = {
        "openai": Upstream("openai", "openai", settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY),
        "anthropic": Upstream(
            "anthropic", "anthropic", settings.ANTHROPIC_BASE_URL, settings.ANTHROPIC_API_KEY
        ),
        "mock": Upstream("mock", None, MOCK_HOST if mock_base == "inprocess" else mock_base),
    }
    for extra in _parse_extra(settings.LUTHIEN_EXTRA_UPSTREAMS):
        found[extra.name] = extra
    return found


def pick_upstream(model: str, client_format: WireFormat) -> tuple[Upstream, str]:
    """The upstream `model` routes to and the model name it receives, whatever format the
    upstream speaks; raises NotFound for an upstream prefix without a model."""
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
    return known[client_format], model


def resolve_route(model: str, client_format: WireFormat) -> Route:
    """Pick the upstream for `model`; raises NotFound / InvalidRequest with a clear message."""
    upstream, upstream_model = pick_upstream(model, client_format)
    fmt = upstream.format or client_format
    if fmt != client_format:
        raise InvalidRequest(
            f"model {model!r} is served by the {upstream.name} upstream, which speaks the {fmt} "
            f"format; call it through the {fmt} endpoint "
            f"({'/v1/messages' if fmt == 'anthropic' else '/v1/chat/completions'}) instead",
            param="model",
        )
    return Route(upstream=upstream, model=upstream_model, format=fmt)
