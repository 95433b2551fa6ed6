"""Run the mock upstream as an HTTP server (uvicorn), without Django.

Used by `python -m gateway.mock` and `python manage.py mockllm`. Logs at warning level with no
access log; the error uvicorn logs for each deliberate `abort_after` drop is filtered out.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8100
_ABORT_NOISE = "ASGI callable returned without completing response."


class _DropAbortNoise(logging.Filter):
    """Hide uvicorn's error line for responses the mock leaves unfinished on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _ABORT_NOISE


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve `gateway.mock.app.asgi_app` until interrupted."""
    import uvicorn

    from gateway.mock.app import asgi_app

    config = uvicorn.Config(
        asgi_app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
    )
    logging.getLogger("uvicorn.error").addFilter(_DropAbortNoise())
    uvicorn.Server(config).run()


def build_parser(prog: str = "python -m gateway.mock") -> argparse.ArgumentParser:
    """The command-line options shared by `__main__` and the management command."""
    parser = argparse.ArgumentParser(prog=prog, description="Serve the Luthien mock LLM upstream.")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve."""
    args = build_parser().parse_args(argv)
    serve(args.host, args.port)
