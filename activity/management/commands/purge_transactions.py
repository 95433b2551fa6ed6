"""`manage.py purge_transactions`: apply the retention settings to the transaction log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from activity.services import transaction_purge


class Command(BaseCommand):
    """Delete bodies past body retention and whole transactions past metadata retention."""

    help = (
        "Delete transaction bodies older than --body-days and whole transactions (with their "
        "events) older than --metadata-days. Defaults: LUTHIEN_BODY_RETENTION_DAYS and "
        "LUTHIEN_METADATA_RETENTION_DAYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--body-days", type=int, default=None)
        parser.add_argument("--metadata-days", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true", help="Only count what would go.")

    def handle(self, *args: Any, **options: Any) -> None:
        body_days = _days(options["body_days"], settings.LUTHIEN_BODY_RETENTION_DAYS, "body")
        metadata_days = _days(
            options["metadata_days"], settings.LUTHIEN_METADATA_RETENTION_DAYS, "metadata"
        )
        counts = transaction_purge(
            body_days=body_days, metadata_days=metadata_days, dry_run=options["dry_run"]
        )
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(
            f"{verb} {counts['transactions']} transactions, {counts['events']} events and "
            f"{counts['bodies']} bodies (bodies > {body_days} days, "
            f"transactions > {metadata_days} days)."
        )


def _days(value: int | None, default: int, name: str) -> int:
    days = default if value is None else value
    if days < 0:
        raise CommandError(f"--{name}-days must be 0 or more")
    return days
