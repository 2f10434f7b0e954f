"""Blocked actions look blocked and say why; a refused Mark sent keeps what was typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sow.models import SowVersion
from tests.conftest import client_for
from tests.sow.factories import take_to

pytestmark = pytest.mark.django_db


def test_create_sow_is_blocked_with_the_reason_until_an_estimate_is_agreed(em, ready_issue):
    ready_issue.estimates.update(status="draft")
    html = client_for(em).get(ready_issue.get_absolute_url()).content.decode()
    assert 'data-testid="create-sow-blocked"' in html and "disabled" in html
    assert "Mark an estimate version agreed before creating a SOW." in html
    assert reverse("sow:create", args=[ready_issue.pk]) not in html


def test_create_sow_is_primary_when_it_can_be_done(em, ready_issue):
    html = client_for(em).get(ready_issue.get_absolute_url()).content.decode()
    assert reverse("sow:create", args=[ready_issue.pk]) in html
    assert 'data-testid="create-sow-blocked"' not in html


def test_mark_sent_before_the_approval_names_the_approval_day_and_keeps_the_recipients(em, director, draft):
    version = take_to(draft, "approved", em=em, director=director)
    approved_on = timezone.localtime(version.decided_at).date()
    response = client_for(em).post(
        reverse("sow:transition", args=[version.pk, "sent"]),
        {
            "version": version.version,
            "sent_on": (approved_on - dt.timedelta(days=3)).isoformat(),
            "recipients": "cfo@harbor.example, cio@harbor.example",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{version.label} was approved on {approved_on:%d %b %Y}" in html
    assert "cfo@harbor.example, cio@harbor.example" in html
    assert SowVersion.objects.get(pk=version.pk).status == "approved"


def test_ta_approved_and_needs_review_badges_differ(em, ready_issue):
    html = client_for(em).get(ready_issue.get_absolute_url()).content.decode()
    assert 'data-testid="ta-state"' not in html  # below the threshold: no badge at all
    ready_issue.ta_review_state = "needs_review"
    ready_issue.save()
    needs = client_for(em).get(ready_issue.get_absolute_url()).content.decode()
    ready_issue.ta_review_state = "approved"
    ready_issue.save()
    approved = client_for(em).get(ready_issue.get_absolute_url()).content.decode()
    assert 'class="badge text-bg-warning" data-testid="ta-state" data-state="needs_review"' in needs
    assert 'class="badge text-bg-success" data-testid="ta-state" data-state="approved"' in approved
    assert "TA approved" in approved and "Needs TA review" in needs


def test_rate_card_inline_inputs_are_named_for_their_role(admin_person):
    from tests.scoping.factories import DeliveryRoleFactory

    DeliveryRoleFactory(name="Engineer", bill_rate=Decimal("200"), cost_rate=Decimal("100"))
    html = client_for(admin_person).get(reverse("admin:scoping_deliveryrole_changelist")).content.decode()
    assert 'aria-label="Bill rate for Engineer"' in html
    assert 'aria-label="Cost rate for Engineer"' in html


def test_admin_pages_wear_the_app_header(admin_person):
    html = client_for(admin_person).get(reverse("admin:sow_approvalqueueitem_changelist")).content.decode()
    assert 'class="app-brand"' in html and "css/admin.css" in html
    assert 'aria-label="Main navigation"' in html
    assert reverse("engagements:pipeline") in html
