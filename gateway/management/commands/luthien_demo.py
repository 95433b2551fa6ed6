"""`manage.py luthien_demo`: seed the demo key and staff login, and print what to try."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gateway.demo import demo_seed


class Command(BaseCommand):
    """Prints the URLs, a fresh demo key and a curl line for each API."""

    help = "Create a fresh demo API key and staff login, and print how to try the gateway."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        creds = demo_seed()
        base = f"http://{options['host']}:{options['port']}"
        key = creds.api_key
        self.stdout.write(
            f"""
Luthien is starting on {base}

  Demo API key (shown once; `make run` makes a new one each time): {key}
  Staff login: {creds.username} / {creds.password}

  Admin            {base}/admin/
  Policies         {base}/policies/
  Live activity    {base}/activity/monitor
  History          {base}/activity/
  API docs         {base}/v1/docs
  Health, metrics  {base}/health  {base}/metrics

Try it (the built-in mock upstream answers `mock/*` models; no provider key needed):

  curl -s {base}/v1/chat/completions -H "Authorization: Bearer {key}" \\
    -H 'content-type: application/json' \\
    -d '{{"model":"mock/echo","messages":[{{"role":"user","content":"hello"}}]}}'

  curl -sN {base}/v1/messages -H "x-api-key: {key}" -H 'content-type: application/json' \\
    -d '{{"model":"mock/text","max_tokens":100,"stream":true,
         "messages":[{{"role":"user","content":"hi"}}]}}'

  curl -sN {base}/v1/responses -H "Authorization: Bearer {key}" \
    -H 'content-type: application/json' \
    -d '{{"model":"mock/thinking","stream":true,"input":"hello responses"}}'

  OpenAI SDK:    OPENAI_BASE_URL={base}/v1 OPENAI_API_KEY={key}
  Anthropic SDK: ANTHROPIC_BASE_URL={base} ANTHROPIC_API_KEY={key}
"""
        )
