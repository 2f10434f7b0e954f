"""`manage.py sync_salesforce [--full] [--dry-run]`: one sync run now, in this process."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salesforce.config import load_config
from salesforce.errors import SalesforceNotConfigured
from salesforce.models import SyncRun
from salesforce.pull import pull_query
from salesforce.sync import salesforce_sync_run


class Command(BaseCommand):
    help = "Run one Salesforce sync now: pull opportunities, then push the EM fields."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="Ignore the watermark and read every opportunity."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read from Salesforce and report what would change; change nothing on either side.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        full, dry_run = options["full"], options["dry_run"]
        config = load_config()
        if dry_run and config.enabled:
            self.stdout.write(f"Query: {pull_query(config, full=full)}")
        try:
            result = salesforce_sync_run(trigger=SyncRun.Trigger.COMMAND, full=full, dry_run=dry_run)
        except SalesforceNotConfigured as exc:
            raise CommandError(f"The Salesforce sync is off: {exc}") from exc
        run = result.run
        verb = "would be" if result.dry_run else "were"
        self.stdout.write(
            f"{run.get_outcome_display()}: {run.pulled} pulled ({run.created} new, {run.updated} "
            f"updated, {run.removed} removed {verb} applied), {run.pushed} pushed, "
            f"{run.push_failed} failed, {run.conflicts} conflicts, {run.api_calls} API calls"
            + (f", org API usage {run.api_usage_used}/{run.api_usage_limit}" if run.api_usage_limit else "")
            + "."
        )
        if run.message:
            self.stdout.write(run.message)
        if run.outcome == SyncRun.Outcome.FAILED:
            raise CommandError("The sync failed; see the message above.")
