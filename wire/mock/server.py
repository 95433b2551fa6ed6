"""Run the mock upstream as an HTTP server (uvicorn), without Django.

Used by `python -m wire.mock` and `python manage.py mockllm`. Logs at warning level with no
access log; the error uvicorn logs for each deliberate `abort_after` drop is filtered out.
`--ssl-certfile`/`--ssl-keyfile` serve it over HTTPS (e.g. to try an outbound proxy and a CA
bundle with `LUTHIEN_MOCK_UPSTREAM=https://…`).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8100
_ABORT_NOISE = "ASGI callable returned without completing response."


class _DropAbortNoise(logging.Filter):
    """Hide uvicorn's error line for responses the mock leaves unfinished on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _ABORT_NOISE


def server_config(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> uvicorn.Config:
    """The uvicorn config serving `wire.mock.app.asgi_app` (over TLS with a certificate)."""
    import uvicorn

    from wire.mock.app import asgi_app

    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(known, _DropAbortNoise) for known in logger.filters):
        logger.addFilter(_DropAbortNoise())
    return uvicorn.Config(
        asgi_app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> None:
    """Serve the mock until interrupted."""
    import uvicorn

    config = server_config(host, port, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
    uvicorn.Server(config).run()


def build_parser(prog: str = "python -m wire.mock") -> argparse.ArgumentParser:
    """The command-line options shared by `__main__` and the management command."""
    parser = argparse.ArgumentParser(prog=prog, description="Serve the Luthien mock LLM upstream.")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument("--ssl-certfile", help="PEM certificate (chain): serve over HTTPS")
    parser.add_argument("--ssl-keyfile", help="PEM private key (if not in the certificate file)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve."""
    args = build_parser().parse_args(argv)
    serve(args.host, args.port, ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile)
