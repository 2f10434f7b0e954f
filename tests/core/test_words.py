"""Words for people: field names, choice values, ids and logins shown as their labels and names."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core import actions
from engagements.models import Opportunity
from salesforce.panels import field_labels
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_pending_push_fields_are_named_as_the_page_names_them():
    assert field_labels(["em_confidence_rationale", "scoping_issue_link"]) == [
        "EM confidence rationale",
        "Scoping issue link",
    ]


def test_a_login_in_the_audit_is_its_persons_name(em):
    field = Opportunity._meta.get_field("engagement_manager")
    assert actions.in_words(field, em.pk) == em.name
    from core.models import AuditEntry

    actor = AuditEntry._meta.get_field("actor")  # a login, as every "by" field holds
    assert actions.in_words(actor, em.user.pk) == em.name


def test_a_bad_drill_link_says_so_in_plain_words(leadership):
    response = client_for(leadership).get(reverse("forecasting:drill") + "?metric=bogus&quarter=FY27-Q4")
    html = response.content.decode()
    assert response.status_code in (200, 400)
    assert "The link names a figure the dashboard does not have" in html
    assert "Select a valid choice" not in html
