"""`python manage.py mockllm --port N [--host H]`: serve the built-in mock LLM upstream."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wire.mock.server import DEFAULT_HOST, DEFAULT_PORT, serve


class Command(BaseCommand):
    """Serve `wire.mock` over HTTP with uvicorn (warning logs, no access log)."""

    help = "Serve the mock LLM upstream (OpenAI and Anthropic wire formats) over HTTP."
    requires_system_checks: list[str] = []  # the mock uses no model, setting or policy

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
        parser.add_argument(
            "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Mock LLM upstream on http://{options['host']}:{options['port']}/v1")
        serve(options["host"], options["port"])
