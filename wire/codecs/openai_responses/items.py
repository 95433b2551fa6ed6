"""Building Responses output items from neutral blocks; shared by the body and stream encoders.

A text block is one `output_text` part of a `message` item: consecutive parts of the same item
(`TextBlock.extra["item"]["id"]`) go into one message; a text block without an item (a policy's
notice, a gateway reply) starts a message of its own. Opaque blocks are whole items (reasoning,
built-in tool calls, unknown items) or, for `refusal`, content parts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Final

from wire.codecs.openai_responses.mapping import ITEM, ITEM_OF_PART, PART, PART_TYPES, new_id
from wire.neutral import OpaqueBlock, TextBlock

_SHELL_DEFAULTS: Final[dict[str, Any]] = {
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "output": [],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "summary": None},
    "store": False,
    "temperature": None,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": None,
    "truncation": "disabled",
    "usage": None,
    "metadata": {},
}


def response_shell(response_id: str, model: str, status: str) -> dict[str, Any]:
    """A response object for answers that did not come from a Responses upstream."""
    rid = response_id if response_id.startswith("resp_") else f"resp_{response_id}"
    return {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        **{k: (dict(v) if isinstance(v, dict) else v) for k, v in _SHELL_DEFAULTS.items()},
    }


def is_part(block: object) -> bool:
    """Whether a block is a content part of a message item (text or an opaque part)."""
    if isinstance(block, TextBlock):
        return True
    return isinstance(block, OpaqueBlock) and block.raw.get("type") in PART_TYPES


def item_of(block: TextBlock | OpaqueBlock) -> dict[str, Any] | None:
    """The message item (without `content`) a part block belongs to, if it says."""
    item = block.extra.get(ITEM) if isinstance(block, TextBlock) else block.raw.get(ITEM_OF_PART)
    return item if isinstance(item, dict) and item.get("type", "message") == "message" else None


def new_message(item: dict[str, Any] | None, status: str) -> dict[str, Any]:
    """A message item's head (its `content` empty), with `status` when the item has one."""
    if item is None:
        return {"id": new_id("msg"), "type": "message", "status": status, "content": [],
                "role": "assistant"}  # fmt: skip
    out = dict(item)
    out.setdefault("id", new_id("msg"))
    out.setdefault("type", "message")
    if "status" in out or "role" not in out:
        out["status"] = status
    out.setdefault("role", "assistant")
    out["content"] = []
    return out


ANNOTATION_ADDED: Final = "response.output_text.annotation.added"


def text_part(block: TextBlock, text: str, deltas: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The `output_text` part of a text block with its full `text`, and the annotations its
    stream added (`response.output_text.annotation.added` among `deltas`)."""
    part = block.extra.get(PART)
    out: dict[str, Any] = {"type": "output_text", "annotations": [], "logprobs": []}
    if isinstance(part, dict):
        out = {**part} if "type" in part else {**out, **part}
    added = [
        d["annotation"] for d in deltas if d.get("type") == ANNOTATION_ADDED and "annotation" in d
    ]
    if added:
        known = out.get("annotations")
        out["annotations"] = [*(known if isinstance(known, list) else []), *added]
    out["text"] = text
    return out


def opaque_part(raw: dict[str, Any]) -> dict[str, Any]:
    """An opaque content part as sent (without the gateway's own key)."""
    return {k: v for k, v in raw.items() if k != ITEM_OF_PART}


def item_status(response_status: str) -> str:
    """The status of finished items in a response with `response_status`."""
    return "incomplete" if response_status == "incomplete" else "completed"
