"""The one error hierarchy of the proxy, rendered once per wire format.

    GatewayError                    status  OpenAI type             Anthropic type
    ├── InvalidRequest              400     invalid_request_error   invalid_request_error
    │   └── TooManyMessages         400     invalid_request_error   invalid_request_error
    ├── AuthenticationFailed        401     invalid_request_error   authentication_error
    ├── PermissionDenied            403     permission_error        permission_error
    ├── NotFound                    404     invalid_request_error   not_found_error
    │   └── UnknownEndpoint         404     invalid_request_error   not_found_error
    ├── MethodNotAllowed            405     invalid_request_error   invalid_request_error
    ├── PayloadTooLarge             413     invalid_request_error   request_too_large
    ├── RateLimited                 429     rate_limit_error        rate_limit_error
    ├── PolicyFailed                500     server_error            api_error
    └── UpstreamFailure
        ├── UpstreamError           (upstream's own status and body, passed through)
        ├── TranslatedUpstreamError (upstream's own status; its message in the client's shape)
        ├── UpstreamUnavailable     502     server_error            api_error
        ├── UpstreamCircuitOpen     503     server_error            overloaded_error
        └── UpstreamTimeout         504     timeout_error           timeout_error

`render_error` builds the JSON body for a format; `render_stream_error` the SSE bytes sent when
streaming already began. Nothing else builds error JSON. `GatewayError.headers` names the
response headers an error carries (`Retry-After` on 429, `Allow` on 405).
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson

from wire.neutral import WireFormat


class GatewayError(Exception):
    """Base: an HTTP status, a type per wire format and a human message."""

    status: ClassVar[int] = 500
    openai_type: ClassVar[str] = "server_error"
    anthropic_type: ClassVar[str] = "api_error"
    code: ClassVar[str | None] = None
    record_status: ClassVar[str] = "rejected"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def http_status(self) -> int:
        """The status the client receives."""
        return self.status

    def type_for(self, fmt: WireFormat) -> str:
        """The error `type` string in the given wire format."""
        return self.anthropic_type if fmt == "anthropic" else self.openai_type

    def headers(self) -> dict[str, str]:
        """Response headers that come with this error (none by default)."""
        return {}


class InvalidRequest(GatewayError):
    status = 400
    openai_type = "invalid_request_error"
    anthropic_type = "invalid_request_error"


class TooManyMessages(InvalidRequest):
    code = "too_many_messages"


class AuthenticationFailed(GatewayError):
    status = 401
    openai_type = "invalid_request_error"
    anthropic_type = "authentication_error"
    code = "invalid_api_key"


class PermissionDenied(GatewayError):
    status = 403
    openai_type = "permission_error"
    anthropic_type = "permission_error"


class NotFound(GatewayError):
    status = 404
    openai_type = "invalid_request_error"
    anthropic_type = "not_found_error"
    code = "model_not_found"


class UnknownEndpoint(NotFound):
    """A path under `/v1/` the gateway does not serve (never forwarded upstream)."""

    code = "unknown_url"


class MethodNotAllowed(GatewayError):
    """A known path called with a method it does not take; `allowed` fills `Allow`."""

    status = 405
    openai_type = "invalid_request_error"
    anthropic_type = "invalid_request_error"
    code = "method_not_allowed"

    def __init__(self, message: str, *, allowed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class PayloadTooLarge(GatewayError):
    status = 413
    openai_type = "invalid_request_error"
    anthropic_type = "request_too_large"
    code = "request_too_large"


class RateLimited(GatewayError):
    """A key ran out of requests; `retry_after_s` (whole seconds, at least 1) is the real wait
    until a request would be accepted, sent as `Retry-After`."""

    status = 429
    openai_type = "rate_limit_error"
    anthropic_type = "rate_limit_error"

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class PolicyFailed(GatewayError):
    status = 500
    record_status = "policy_error"


class UpstreamFailure(GatewayError):
    """Anything that went wrong talking to the upstream."""

    record_status = "upstream_error"


class UpstreamError(UpstreamFailure):
    """The upstream answered with an error status: passed through with its status and body."""

    def __init__(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        super().__init__(f"upstream returned HTTP {status}")
        self.upstream_status = status
        self.body = body
        self.content_type = content_type

    def http_status(self) -> int:
        return self.upstream_status


class TranslatedUpstreamError(UpstreamFailure):
    """An upstream error status when the upstream speaks another format than the client: the
    upstream's status and message, with the client format's error type for that status."""

    def __init__(self, status: int, message: str, *, param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.upstream_status = status

    def http_status(self) -> int:
        return self.upstream_status

    def type_for(self, fmt: WireFormat) -> str:
        return error_type_for_status(fmt, self.upstream_status)


_ANTHROPIC_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_OPENAI_TYPES: dict[int, str] = {
    401: "invalid_request_error",
    403: "permission_error",
    429: "rate_limit_error",
    504: "timeout_error",
}


def error_type_for_status(fmt: WireFormat, status: int) -> str:
    """The error `type` the real API of `fmt` uses for an HTTP `status`."""
    if fmt == "anthropic":
        fallback = "api_error" if status >= 500 else "invalid_request_error"
        return _ANTHROPIC_TYPES.get(status, fallback)
    fallback = "server_error" if status >= 500 else "invalid_request_error"
    return _OPENAI_TYPES.get(status, fallback)


class UpstreamUnavailable(UpstreamFailure):
    status = 502


class UpstreamCircuitOpen(UpstreamFailure):
    """The upstream failed repeatedly and its circuit is open: the call fails fast, without
    being sent; `retry_after_s` is when the circuit lets a probe through."""

    status = 503
    openai_type = "server_error"
    anthropic_type = "overloaded_error"
    code = "upstream_circuit_open"

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class UpstreamTimeout(UpstreamFailure):
    status = 504
    openai_type = "timeout_error"
    anthropic_type = "timeout_error"


def error_body(fmt: WireFormat, err: GatewayError) -> dict[str, Any]:
    """The error object as the real API of `fmt` would send it."""
    if fmt == "anthropic":
        return {"type": "error", "error": {"type": err.type_for(fmt), "message": err.message}}
    return {
        "error": {
            "message": err.message,
            "type": err.type_for(fmt),
            "param": err.param,
            "code": err.code,
        }
    }


def render_error(fmt: WireFormat, err: GatewayError) -> tuple[int, bytes, str]:
    """Status, body bytes and content type for a non-streaming error response."""
    if isinstance(err, UpstreamError):
        return err.upstream_status, err.body or orjson.dumps(error_body(fmt, err)), err.content_type
    return err.http_status(), orjson.dumps(error_body(fmt, err)), "application/json"


def render_stream_error(fmt: WireFormat, err_type: str, message: str) -> bytes:
    """The SSE bytes of an error after streaming began (the stream then ends cleanly)."""
    if fmt == "anthropic":
        payload = {"type": "error", "error": {"type": err_type, "message": message}}
        return b"event: error\ndata: " + orjson.dumps(payload) + b"\n\n"
    payload2 = {"error": {"message": message, "type": err_type, "param": None, "code": None}}
    return b"data: " + orjson.dumps(payload2) + b"\n\n"
