import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecasting.services import snapshot_take


class Command(BaseCommand):
    help = "Store the forecast snapshot for this week (or --week YYYY-MM-DD). Re-running replaces the week."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", help="Any date in the week to snapshot (default: this week).")

    def handle(self, *args: object, **options: object) -> None:
        week = None
        if options.get("week"):
            try:
                week = dt.date.fromisoformat(str(options["week"]))
            except ValueError:
                raise CommandError("--week takes a date such as 2026-11-16.") from None
        try:
            snapshot = snapshot_take(week=week)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"{snapshot}: {snapshot.rows_count} opportunities stored."))
