"""Errors of the mock upstream, rendered in each wire format's own error shape.

    MockError            status chosen by the raiser (any 4xx/5xx)
    ├── MockSpecError    the model name: 404 unknown behaviour, 400 bad option
    └── MockRequestError 400: the body is not JSON, or has no usable `messages`

`MockAbort` is not an HTTP error: a stream raises it to drop the connection mid-body.
"""

from __future__ import annotations


class MockError(Exception):
    """An error answered as an HTTP status plus the format's error body."""

    def __init__(self, message: str, *, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class MockSpecError(MockError):
    """The model name names no behaviour, or carries an invalid option."""


class MockRequestError(MockError):
    """The request body cannot be served (invalid JSON, no messages)."""


class MockAbort(Exception):
    """Raised by a response stream where the connection must be dropped abruptly."""
