"""The scoping board's days in status, and the estimate's actions on an empty draft."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from scoping import selectors, services
from scoping.models import ScopingIssue
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(em, opp):
    return services.scoping_issue_create(actor=em.user, opportunity=opp, title="Acme scoping")


def _card(em, issue):
    columns = selectors.board(selectors.issues_for_user(em.user))
    return next(card for column in columns for card in column.issues if card.pk == issue.pk)


def test_days_in_status_counts_whole_days_since_the_status_was_entered(em, issue):
    ScopingIssue.objects.filter(pk=issue.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=5))
    assert _card(em, issue).days_in_status == 5


def test_a_move_restarts_the_count_and_a_move_to_the_same_status_does_not(em, issue):
    entered = timezone.now() - dt.timedelta(days=4)
    ScopingIssue.objects.filter(pk=issue.pk).update(status_changed_at=entered)
    issue.refresh_from_db()
    services.scoping_issue_move(actor=em.user, issue=issue, status="open")
    issue.refresh_from_db()
    assert issue.status_changed_at == entered
    services.scoping_issue_move(actor=em.user, issue=issue, status="awaiting_discovery")
    issue.refresh_from_db()
    assert timezone.now() - issue.status_changed_at < dt.timedelta(minutes=1)
    assert _card(em, issue).days_in_status == 0


def test_the_move_audit_names_the_status_not_the_timestamp(em, issue):
    services.scoping_issue_move(actor=em.user, issue=issue, status="on_hold")
    entry = AuditEntry.objects.filter(action="moved on the board").latest("at")
    fields = [change["field"].lower() for change in entry.changes]
    assert any(field == "status" for field in fields)
    assert not any("changed at" in field for field in fields)


def test_board_shows_days_in_status_on_each_card(em, issue):
    ScopingIssue.objects.filter(pk=issue.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=1))
    html = client_for(em).get(reverse("scoping:board")).content.decode()
    assert "1 day in this status" in html
    assert 'draggable="true"' in html  # the EM may move it


def test_board_cards_of_others_are_not_draggable(leadership, issue):
    html = client_for(leadership).get(reverse("scoping:board")).content.decode()
    assert f'data-testid="card-{issue.pk}"' in html
    assert 'draggable="true"' not in html


def test_an_empty_draft_estimate_offers_no_share_or_agree_and_says_why(em, issue):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    html = client_for(em).get(estimate.get_absolute_url()).content.decode()
    assert reverse("scoping:estimate_agree", args=[estimate.pk]) not in html
    assert reverse("scoping:estimate_share", args=[estimate.pk]) not in html
    assert "Add a line first: an empty estimate cannot be shared or agreed." in html
    services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Workshop", quantity=1, unit_price="900"
    )
    html = client_for(em).get(estimate.get_absolute_url()).content.decode()
    assert reverse("scoping:estimate_agree", args=[estimate.pk]) in html
