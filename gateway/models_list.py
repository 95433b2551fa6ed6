"""The models `/v1/models` lists, in the OpenAI and the Anthropic shape.

The gateway routes by name (see `wire.upstreams`), so it lists what it knows without asking
any upstream: the built-in mock's models and one `<upstream>/*` entry per other upstream, which
stands for every model of that upstream. A `mock/` name with options (`mock/text?chunks=3`) is
a model too when looked up by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wire.errors import InvalidRequest
from wire.mock.errors import MockSpecError
from wire.mock.spec import BEHAVIOURS, PREFIX, parse_model
from wire.upstreams import upstreams

ANTHROPIC_DEFAULT_LIMIT = 20
ANTHROPIC_MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One listed model."""

    id: str
    owned_by: str
    display_name: str
    created: int = 0  # Unix seconds; the gateway does not know when a provider made a model

    def openai(self) -> dict[str, Any]:
        """The OpenAI model object."""
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
        }

    def anthropic(self) -> dict[str, Any]:
        """The Anthropic model object."""
        created_at = datetime.fromtimestamp(self.created, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": created_at,
        }


def model_catalog() -> list[ModelEntry]:
    """Every listed model: mock models, then one wildcard entry per other upstream."""
    entries = [
        ModelEntry(f"{PREFIX}{name}", "luthien-mock", f"Luthien mock: {name}")
        for name in BEHAVIOURS
    ]
    entries += [
        ModelEntry(f"{name}/*", name, f"Any {name} model ({name}/<model>)")
        for name in upstreams()
        if name != "mock"
    ]
    return entries


def model_find(model_id: str) -> ModelEntry | None:
    """The entry for `model_id`: a listed id, or a `mock/` name whose options parse."""
    for entry in model_catalog():
        if entry.id == model_id:
            return entry
    if model_id.startswith(PREFIX):
        try:
            spec = parse_model(model_id)
        except MockSpecError:
            return None
        return ModelEntry(model_id, "luthien-mock", f"Luthien mock: {spec.behaviour}")
    return None


def openai_model_list() -> dict[str, Any]:
    """The OpenAI list: every model, no pagination."""
    return {"object": "list", "data": [entry.openai() for entry in model_catalog()]}


def anthropic_model_page(query: dict[str, str]) -> dict[str, Any]:
    """One Anthropic page: `limit` (1–1000, default 20) models after `after_id` or before
    `before_id`; raises InvalidRequest for a bad limit or an id not in the list."""
    entries = model_catalog()
    ids = [entry.id for entry in entries]
    limit = _limit(query.get("limit"))
    after, before = query.get("after_id"), query.get("before_id")
    if after and before:
        raise InvalidRequest("send at most one of after_id and before_id")
    start, stop = 0, len(entries)
    if after:
        start = _position(ids, after, "after_id") + 1
    elif before:
        stop = _position(ids, before, "before_id")
        start = max(0, stop - limit)
    page = entries[start : min(stop, start + limit)]
    more = start + len(page) < len(entries) if not before else start > 0
    return {
        "data": [entry.anthropic() for entry in page],
        "has_more": more,
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
    }


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return ANTHROPIC_DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= ANTHROPIC_MAX_LIMIT:
        raise InvalidRequest(
            f"limit must be an integer from 1 to {ANTHROPIC_MAX_LIMIT}; got {raw[:40]!r}",
            param="limit",
        )
    return int(raw)


def _position(ids: list[str], model_id: str, name: str) -> int:
    try:
        return ids.index(model_id)
    except ValueError:
        raise InvalidRequest(
            f"{name} {model_id[:200]!r} is not a model id of this list", param=name
        ) from None
