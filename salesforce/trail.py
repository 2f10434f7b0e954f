"""What one pull page learns beyond the values: which Salesforce values are the app's own late
writes (echoes, pushed again), and who changed each value the pull takes in, and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models.functions import Left

from engagements.models import Opportunity, PendingPush
from people.models import Person
from salesforce import ledger
from salesforce.mapping import PulledOpportunity
from salesforce.models import SalesforceChange

LABELS = {
    "engagement_manager": "Engagement Manager",
    "em_confidence": "EM confidence",
    "em_confidence_rationale": "EM confidence rationale",
    "scoping_issue_link": "Scoping issue link",
    "name": "Name",
    "owner_name": "Owner",
    "owner_email": "Owner email",
    "stage": "Stage",
    "type": "Type",
    "record_type": "Record type",
    "close_date": "Close date",
    "amount": "Amount",
    "currency": "Currency",
    "probability": "Probability",
    "forecast_category": "Forecast category",
    "is_closed": "Closed",
    "is_won": "Won",
}


def shown(value: Any) -> str:
    """A value as the timeline shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 500 else text[:497] + "…"


class PullTrail:
    """Per page: the in-doubt values the app sent, the changes taken in, and fields to push again."""

    def __init__(
        self,
        opportunity_ids: list[int],
        pulled: list[PulledOpportunity],
        now: dt.datetime,
        *,
        own_user_id: str = "",
    ) -> None:
        self.now = now
        self.own_user_id = own_user_id
        self.echoes = ledger.in_doubt(opportunity_ids) if opportunity_ids else {}
        modifiers = {p.modified_by_id[:15] for p in pulled if p.modified_by_id}
        self.names: dict[str, str] = {}
        if modifiers:
            people = Person.objects.annotate(user_key=Left("salesforce_user_id", 15)).filter(
                user_key__in=modifiers
            )
            self.names = {(p.salesforce_user_id or "")[:15]: p.name for p in people}
        self.changes: list[SalesforceChange] = []
        self.requeued: list[tuple[Opportunity, str]] = []
        self.echo_count = 0

    def is_echo(self, opportunity_id: int, key: str, remote: str, local: str) -> bool:
        return ledger.is_echo(self.echoes, opportunity_id, key, remote, local)

    def saved_by_app(self, pulled: PulledOpportunity) -> bool:
        """Salesforce says the integration user saved the record last (so nobody edited it since)."""
        return ledger.saved_by(self.own_user_id, pulled.modified_by_id)

    def echo(self, opportunity: Opportunity, key: str) -> None:
        """Salesforce holds the app's own late write: keep the newer local value, push it again."""
        self.echo_count += 1
        self.requeued.append((opportunity, key))

    def took(
        self, opportunity: Opportunity, key: str, before: Any, after: Any, pulled: PulledOpportunity
    ) -> None:
        """The pull took in a value: note who changed it in Salesforce and when."""
        user_id = pulled.modified_by_id
        self.changes.append(
            SalesforceChange(
                opportunity=opportunity,
                field=key,
                label=LABELS.get(key, key.replace("_", " ").capitalize()),
                before=shown(before),
                after=shown(after),
                changed_by_id=user_id[:18],
                changed_by_name=(self.names.get(user_id[:15]) or pulled.modified_by_name or user_id)[:200],
                changed_at=pulled.modified_at or pulled.modstamp,
                pulled_at=self.now,
            )
        )

    def save(self, pushes: dict[int, PendingPush]) -> None:
        """Write the page's changes and requeue echoed fields (inside the page's transaction)."""
        if self.changes:
            SalesforceChange.objects.bulk_create(self.changes)
        for opportunity, key in self.requeued:
            ledger.requeue(opportunity, key, pushes)
