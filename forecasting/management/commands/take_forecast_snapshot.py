import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecasting.services import snapshot_take


class Command(BaseCommand):
    help = (
        "Store the forecast snapshot for this week (or --week YYYY-MM-DD). A past week's snapshot is "
        "frozen: replacing it with today's pipeline needs --replace, and is recorded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", help="Any date in the week to snapshot (default: this week).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace a past week's snapshot with today's pipeline and rates (recorded on that week).",
        )

    def handle(self, *args: object, **options: object) -> None:
        week = None
        if options.get("week"):
            try:
                week = dt.date.fromisoformat(str(options["week"]))
            except ValueError:
                raise CommandError("--week takes a date such as 2026-11-16.") from None
        try:
            snapshot = snapshot_take(week=week, replace=bool(options.get("replace")))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"{snapshot}: {snapshot.rows_count} opportunities stored."))
