"""Checks on the client's request before it is decoded: size, JSON, message count, session."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings

from gateway.inbound import InboundRequest
from gateway.keys import ClientIdentity
from wire.errors import InvalidRequest, PayloadTooLarge, PermissionDenied, TooManyMessages
from wire.neutral import Request


def parse_body(http_request: InboundRequest) -> dict[str, Any]:
    """The JSON object of the body; 413 over the size limit, 400 if not a JSON object."""
    limit = settings.LUTHIEN_MAX_BODY_BYTES
    declared = http_request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes")
    body = http_request.body
    if len(body) > limit:
        raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidRequest(f"request body is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidRequest("request body must be a JSON object")
    return data


def check_message_count(request: Request) -> None:
    """400 when the conversation is longer than `LUTHIEN_MAX_MESSAGES`."""
    limit = settings.LUTHIEN_MAX_MESSAGES
    if len(request.messages) > limit:
        raise TooManyMessages(
            f"too many messages: {len(request.messages)} > {limit}", param="messages"
        )


def check_override_allowed(identity: ClientIdentity) -> None:
    """403 unless the gateway allows the `X-Luthien-Policy` header and this key was granted it."""
    if not settings.LUTHIEN_ALLOW_POLICY_OVERRIDE:
        raise PermissionDenied(
            "X-Luthien-Policy is disabled on this gateway (LUTHIEN_ALLOW_POLICY_OVERRIDE=0): "
            "the active policy applies to every call",
            param="X-Luthien-Policy",
        )
    if not identity.may_override_policy:
        raise PermissionDenied(
            "this API key may not choose a policy with X-Luthien-Policy (an admin grants the "
            "right per key)",
            param="X-Luthien-Policy",
        )


def session_id(headers: dict[str, str], request: Request) -> str:
    """The client's session id: `x-luthien-session-id`, `x-session-id`, or metadata.user_id."""
    session = header_session_id(headers)
    if not session:
        metadata = request.params.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
            session = metadata["user_id"]
    return session[:200]


def header_session_id(headers: dict[str, str]) -> str:
    """The session id the client sent as a header (`x-luthien-session-id`, `x-session-id`)."""
    return (headers.get("x-luthien-session-id") or headers.get("x-session-id", ""))[:200]
