"""`manage.py policy_enable --class all-caps --config '{}' [--name N]`: validate, save, activate."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policies.services import Actor, policy_enable
from policies.validation import PolicyManagementError, PolicyValidationError


class Command(BaseCommand):
    """Enable a policy from the command line (every worker follows within a second)."""

    help = "Validate, create or update, and activate a saved policy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--class",
            dest="policy_class",
            required=True,
            help="A registered policy class (see policy_list --classes).",
        )
        parser.add_argument("--config", default="{}", help="The config as a JSON object.")
        parser.add_argument("--name", default=None, help="Saved name (default: the class).")
        parser.add_argument("--description", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = json.loads(options["config"])
        except json.JSONDecodeError as error:
            raise CommandError(f"--config is not valid JSON: {error}") from error
        try:
            row = policy_enable(
                policy_class=options["policy_class"],
                config=config,
                name=options["name"],
                description=options["description"],
                actor=Actor(label="manage.py policy_enable"),
            )
        except PolicyValidationError as error:
            lines = [f"  {item.path or 'policy'}: {item.msg}" for item in error.errors]
            raise CommandError("invalid policy:\n" + "\n".join(lines)) from error
        except PolicyManagementError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{row.name} ({row.policy_class}) v{row.version} is now active.")
