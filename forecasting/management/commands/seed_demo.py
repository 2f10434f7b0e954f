"""Load the demo organisation: people with logins, accounts and opportunities. Idempotent.

Lives in the top app because it seeds every app below it.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from calls import demo as calls_demo
from core.roles import sync_role_groups
from engagements import demo as engagements_demo
from forecasting import demo as forecasting_demo
from people import demo as people_demo
from scoping import demo as scoping_demo
from sow import demo as sow_demo
from staffing import demo as staffing_demo


class Command(BaseCommand):
    help = (
        "Load demo data (people, logins, accounts, opportunities). Safe to run twice; refused in production."
    )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "seed_demo is refused with production settings: "
                "demo passwords must never reach a real deployment."
            )
        with transaction.atomic():
            sync_role_groups()
            people = people_demo.seed()
            created = engagements_demo.seed(people)
            scoping_demo.seed_catalog()
            scoping_demo.seed_issues()
            sow_demo.seed_templates()
            sow_demo.seed_sows()
            staffing_demo.seed()
            sow_demo.seed_change_requests()
            forecasting_demo.seed_rates_and_plans()
            forecasting_demo.seed_history()
            calls_demo.seed()  # after the history: the calls start from the figures
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} opportunities created)."))
        self.stdout.write(f"Demo logins (password for all: {people_demo.DEMO_PASSWORD}):")
        for username, label in people_demo.demo_logins():
            self.stdout.write(f"  {username:<12} {label}")
