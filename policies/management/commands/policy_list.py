"""`manage.py policy_list [--classes]`: saved policies (the active one marked, secrets masked),
or classes."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from policies.config_secrets import config_mask
from policies.selectors import policy_class_list, policy_config_list, policy_current_get


class Command(BaseCommand):
    """List saved policies, or the registered policy classes."""

    help = "List saved policies (* marks the active one), or policy classes with --classes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--classes", action="store_true", help="List policy classes.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["classes"]:
            for cls in policy_class_list():
                example = json.dumps(cls["example_config"])
                self.stdout.write(f"{cls['name']}: {cls['description']}  example: {example}")
            return
        for row in policy_config_list():
            mark = "*" if row.is_active else " "
            config = json.dumps(config_mask(row.policy_class, row.config), ensure_ascii=False)
            self.stdout.write(f"{mark} {row.name}  {row.policy_class}  v{row.version}  {config}")
        current = policy_current_get()
        self.stdout.write(f"in force: {current.name} v{current.version} ({current.source})")
