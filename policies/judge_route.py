"""Where a judge's call goes: a model the gateway routes, or a URL the operator allowed.

A judge config takes one of two forms:

- **routed** (no `base_url`): `model` names a model the gateway can route, with the proxy's own
  rules (`openai/gpt-4o-mini`, `anthropic/claude-…`, an `LUTHIEN_EXTRA_UPSTREAMS` name such as
  `ollama/llama3`, `mock/judge`; `claude-*` and `gpt-*` pick their provider). The gateway
  supplies that upstream's URL, wire format and key; the config carries no key.
- **free** (`base_url` set): an OpenAI-compatible API on a host listed in
  `LUTHIEN_JUDGE_ALLOWED_HOSTS` (`host` or `host:port`; empty: no free judge at all), with no
  key, an inline `api_key`, or `api_key_env` naming a variable that is not one of the gateway's
  provider or secret variables (`protected_key_envs`).

So a policy editor can never send a provider key, or the gateway's own secrets, to a host of
their choosing. `judge_route_check` is the rule (the judge config model calls it; a policy that
embeds a judge config gets it by validating that model); `judge_legacy_migrate` rewrites configs
saved before the rule into the routed form where that sends no key anywhere new;
`judge_target` turns a valid config into the call's URL, wire format, model and headers.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from policies.judge_verdict import JudgeError
from wire.errors import GatewayError
from wire.headers import upstream_request_headers
from wire.mock.spec import BEHAVIOURS
from wire.neutral import WireFormat
from wire.upstreams import MOCK_HOST, Upstream, resolve_named_route, upstreams

GATEWAY_SECRET_ENVS = frozenset(
    {"SECRET_KEY", "ADMIN_API_KEY", "PROXY_API_KEY", "PROXY_OVERRIDE_API_KEY"}
)
PROVIDER_KEY_ENVS = frozenset({"OPENAI_API_KEY", "ANTHROPIC_API_KEY"})
OFFICIAL_HOSTS = {"openai": "api.openai.com", "anthropic": "api.anthropic.com"}
KEY_ENV_PATTERN = re.compile(r"[A-Z][A-Z0-9_]*(_KEY|_TOKEN)")
_MOCK_HOSTNAME = urlsplit(MOCK_HOST).hostname
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class RouteProblem:
    """Why a judge config is refused: the field to fix and the reason."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class JudgeTarget:
    """One judge call's destination: URL, wire format, model name and headers (with the key)."""

    url: str
    format: WireFormat
    model: str
    headers: dict[str, str]


# --- the rule ----------------------------------------------------------------------------------


def protected_key_envs() -> frozenset[str]:
    """Variables a free judge may never read: the gateway's secrets and every upstream's key."""
    routed = {upstream.key_env for upstream in upstreams().values() if upstream.key_env}
    return GATEWAY_SECRET_ENVS | PROVIDER_KEY_ENVS | routed


def allowed_host_parse(entry: str) -> tuple[str, int | None]:
    """`host` or `host:port` (IPv6 in brackets) → (lower-case host, port or None); ValueError
    when it is neither."""
    parts = urlsplit(f"//{entry.strip()}")
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{entry!r}: bad port") from error
    if not parts.hostname or parts.path or parts.query or parts.username is not None:
        raise ValueError(f"{entry!r} is not host or host:port")
    return parts.hostname, port


@lru_cache(maxsize=8)
def _parse_allowed(entries: tuple[str, ...]) -> tuple[tuple[str, int | None], ...]:
    parsed = []
    for entry in filter(str.strip, entries):
        try:
            parsed.append(allowed_host_parse(entry))
        except ValueError:
            continue  # allows nothing; the system check policies.E011 reports it
    return tuple(parsed)


def allowed_hosts() -> tuple[tuple[str, int | None], ...]:
    """`LUTHIEN_JUDGE_ALLOWED_HOSTS` parsed (read each time: tests change it)."""
    return _parse_allowed(tuple(settings.LUTHIEN_JUDGE_ALLOWED_HOSTS))


def host_allowed(url: str) -> bool:
    """Whether `url`'s host (and port) is in `LUTHIEN_JUDGE_ALLOWED_HOSTS`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    return any(host == h and (p is None or p == port) for h, p in allowed_hosts())


def judge_route_check(
    *, base_url: str | None, model: str, api_key: str | None, api_key_env: str | None
) -> list[RouteProblem]:
    """Every reason the judge config (its four target fields) is refused; [] when it is fine."""
    if base_url is None:
        return _routed_problems(model, api_key=api_key, api_key_env=api_key_env)
    problems: list[RouteProblem] = []
    parts = urlsplit(base_url)
    if parts.username is not None or parts.password is not None:
        problems.append(
            RouteProblem("base_url", "must not carry credentials; put the key in api_key")
        )
    elif not host_allowed(base_url):
        problems.append(RouteProblem("base_url", _not_allowed(parts.hostname or base_url)))
    if api_key_env and api_key_env in protected_key_envs():
        problems.append(
            RouteProblem(
                "api_key_env",
                f"{api_key_env} is a key of the gateway itself (a provider key or a gateway "
                "secret) and is only ever sent to its own upstream: leave base_url unset and "
                "name a routed model (e.g. openai/gpt-4o-mini), or use a variable of the "
                "judge's own",
            )
        )
    return problems


def _routed_problems(
    model: str, *, api_key: str | None, api_key_env: str | None
) -> list[RouteProblem]:
    problems: list[RouteProblem] = []
    try:
        resolve_named_route(model)
    except GatewayError as error:
        message = f"{error.message}; or set base_url to a host in LUTHIEN_JUDGE_ALLOWED_HOSTS"
        problems.append(RouteProblem("model", message))
    for field, value in (("api_key", api_key), ("api_key_env", api_key_env)):
        if value:
            problems.append(
                RouteProblem(
                    field,
                    "a judge routed through the gateway uses its upstream's own key: remove "
                    f"{field}, or set base_url to a host in LUTHIEN_JUDGE_ALLOWED_HOSTS",
                )
            )
    return problems


def _not_allowed(host: str) -> str:
    listed = ", ".join(settings.LUTHIEN_JUDGE_ALLOWED_HOSTS) or "empty: no free base_url is allowed"
    return (
        f"host {host!r} is not in LUTHIEN_JUDGE_ALLOWED_HOSTS ({listed}); leave base_url unset "
        "and name a model the gateway routes (e.g. openai/gpt-4o-mini, mock/judge)"
    )


# --- configs saved before the rule -------------------------------------------------------------


def judge_legacy_migrate(data: Any) -> Any:
    """A judge config in the routed form when it was saved in a form that meant the same
    upstream with the same key (see docs/decisions.md); anything else is returned unchanged.

    - no `base_url` and a bare mock model (`judge?p=0.9`): the old default base URL was the
      in-process mock → `mock/judge?p=0.9`;
    - `base_url` on the mock's host and no key → `mock/<model>`;
    - `base_url` on a provider's official host (or the host of its configured base URL) with
      `api_key_env` naming that upstream's own key variable and no inline key →
      `<upstream>/<model>`, with the gateway's key for that upstream.
    """
    if not isinstance(data, dict):
        return data
    base_url, model = data.get("base_url"), data.get("model")
    if base_url is None:
        if isinstance(model, str) and model.split("?", 1)[0] in BEHAVIOURS:
            return {**data, "model": f"mock/{model}"}
        return data
    if not isinstance(base_url, str) or not isinstance(model, str | None):
        return data
    host = urlsplit(base_url).hostname
    has_key = bool(data.get("api_key")) or bool(data.get("api_key_env"))
    if host == _MOCK_HOSTNAME and not has_key:
        name = model or "judge"
        routed = name if name.startswith("mock/") else f"mock/{name}"
        return _routed(data, routed)
    upstream = _own_upstream(host, data.get("api_key_env"))
    if upstream is not None and model and not data.get("api_key"):
        return _routed(data, f"{upstream.name}/{model}")
    return data


def _own_upstream(host: str | None, key_env: Any) -> Upstream | None:
    """The upstream whose own key variable is `key_env` and whose host `host` is."""
    if not host or not isinstance(key_env, str) or not key_env:
        return None
    for upstream in upstreams().values():
        hosts = {urlsplit(upstream.base_url).hostname, OFFICIAL_HOSTS.get(upstream.name)}
        if upstream.key_env == key_env and host in hosts:
            return upstream
    return None


def _routed(data: dict[str, Any], model: str) -> dict[str, Any]:
    kept = {k: v for k, v in data.items() if k not in ("base_url", "api_key", "api_key_env")}
    return {**kept, "model": model}


# --- the call's target -------------------------------------------------------------------------


def judge_target(
    *, base_url: str | None, model: str, api_key: str | None, api_key_env: str | None
) -> JudgeTarget:
    """URL, format, model and headers of a judge call; JudgeError(kind="config") when the
    model is no longer routable or the key variable is unset."""
    if base_url is None:
        try:
            route = resolve_named_route(model)
        except GatewayError as error:
            raise JudgeError(f"judge model: {error.message}", kind="config") from error
        headers = upstream_request_headers(route.upstream, route.format, {})
        return JudgeTarget(route.upstream.url_for(route.format), route.format, route.model, headers)
    key = api_key or ""
    if api_key_env:
        key = os.environ.get(api_key_env, "")
        if not key:
            reason = f"environment variable {api_key_env} (the judge's API key) is not set"
            raise JudgeError(reason, kind="config")
    judge = Upstream("judge", "openai", base_url, key)
    headers = upstream_request_headers(judge, "openai", {})
    return JudgeTarget(judge.url_for("openai"), "openai", model, headers)
