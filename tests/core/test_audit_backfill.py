"""Upgrading fills the audit trail from the history kept before it existed: each historical change
with its values in words, and approval decisions, TA reviews and resolved sync conflicts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.models import AuditEntry
from engagements.models import Opportunity
from salesforce.models import SyncConflict
from scoping.models import TaReview
from tests.engagements.factories import OpportunityFactory
from tests.scoping.factories import ScopingIssueFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("core", "0002_auditentry")]
AFTER = [("core", "0003_backfill_audit_trail")]


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)


@pytest.fixture
def before_the_trail():
    _migrate(BEFORE)
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_history_before_the_trail_becomes_entries(before_the_trail, em, region_amer):
    AuditEntry.objects.all().delete()
    opportunity = OpportunityFactory(engagement_manager=em, region=region_amer, name="Acme — Migration")
    fresh = Opportunity.objects.get(pk=opportunity.pk)
    fresh.em_confidence, fresh.em_confidence_rationale = "Amber", "PO in legal review"
    fresh._history_user = em.user  # type: ignore[attr-defined]  # django-simple-history reads the saving user from here
    fresh.save()
    issue = ScopingIssueFactory(opportunity=opportunity, title="Acme discovery")
    TaReview.objects.create(
        scoping_issue=issue, decision="sent_back", actor=em.user, at=timezone.now(), comment="Too many hours"
    )
    SyncConflict.objects.create(
        opportunity=opportunity,
        field="em_confidence",
        local_value="Amber",
        salesforce_value="Red",
        detected_at=timezone.now() - dt.timedelta(hours=1),
        status="resolved",
        resolution="keep_local",
        resolved_by=em.user,
        resolved_at=timezone.now(),
    )
    AuditEntry.objects.all().delete()  # what the services wrote above: the upgrade starts with none

    _migrate(AFTER)

    entries = AuditEntry.objects.filter(content_type__model="opportunity", object_id=str(opportunity.pk))
    changed = entries.get(action="changed")
    assert changed.actor == em.user
    assert {"field": "EM confidence", "before": "Grey", "after": "Amber"} in changed.changes
    assert {
        "field": "EM confidence rationale",
        "before": "—",
        "after": "PO in legal review",
    } in changed.changes
    assert changed.object_label == "Acme — Migration"
    assert changed.object_url == opportunity.get_absolute_url()
    assert entries.filter(action="created").count() == 1
    assert entries.filter(action__startswith="kept the PS Pipeline").count() == 1
    review = AuditEntry.objects.get(
        content_type__model="scopingissue", action="sent the estimate back (TA review)"
    )
    assert review.note == "Too many hours" and review.object_label == "Acme discovery"


def test_nothing_is_filled_twice(before_the_trail, em, region_amer):
    AuditEntry.objects.all().delete()
    OpportunityFactory(engagement_manager=em, region=region_amer)
    _migrate(AFTER)
    count = AuditEntry.objects.count()
    assert count >= 1
    _migrate(BEFORE)
    _migrate(AFTER)
    assert AuditEntry.objects.count() == count
