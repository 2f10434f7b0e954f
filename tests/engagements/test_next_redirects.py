"""Every engagements view that takes `next` stays on this site whatever `next` says."""

import re

import pytest
from django.urls import reverse

from engagements.models import Opportunity
from tests.conftest import client_for
from tests.core.hostile_input import HOSTILE_NEXT
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

LEGIT = "/pipeline/?scope=team&page=2"


@pytest.fixture
def opp(em, region_amer):
    return OpportunityFactory(
        engagement_manager=em, region=region_amer, em_confidence="Green", em_confidence_rationale="On track"
    )


@pytest.fixture
def unassigned(region_amer):
    return OpportunityFactory(region=region_amer, engagement_manager=None)


def _em_fields(em, opp, target):
    response = client_for(em).post(
        reverse("engagements:em_fields", args=[opp.pk]),
        {
            "em_confidence": "Amber",
            "em_confidence_rationale": "Slipping",
            "version": opp.version,
            "next": target,
        },
    )
    assert Opportunity.objects.get(pk=opp.pk).em_confidence == "Amber"
    return response, opp.get_absolute_url()


def _confirm(em, opp, target):
    response = client_for(em).post(
        reverse("engagements:confirm", args=[opp.pk]), {"version": opp.version, "next": target}
    )
    assert Opportunity.objects.get(pk=opp.pk).version == opp.version + 1
    return response, opp.get_absolute_url()


def _assign(em_manager, em, unassigned, target):
    response = client_for(em_manager).post(
        reverse("engagements:assign", args=[unassigned.pk]),
        {"engagement_manager": em.pk, "version": unassigned.version, "next": target},
    )
    assert Opportunity.objects.get(pk=unassigned.pk).engagement_manager_id == em.pk
    return response, unassigned.get_absolute_url()


def _sync_now(admin_person, settings, target):
    settings.SALESFORCE_CONSUMER_KEY = ""
    settings.SALESFORCE_AUTH_FLOW = ""
    response = client_for(admin_person).post(reverse("salesforce:sync_now"), {"next": target})
    return response, reverse("admin:salesforce_syncrun_health")


@pytest.fixture
def post_with_next(request, em, em_manager, admin_person, opp, unassigned, settings):
    def post(view, target):
        if view == "em_fields":
            return _em_fields(em, opp, target)
        if view == "confirm":
            return _confirm(em, opp, target)
        if view == "assign":
            return _assign(em_manager, em, unassigned, target)
        return _sync_now(admin_person, settings, target)

    return post


VIEWS = ["em_fields", "confirm", "assign", "sync_now"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
@pytest.mark.parametrize("view", VIEWS)
def test_hostile_next_lands_on_the_default(post_with_next, view, target):
    response, default = post_with_next(view, target)
    assert response.status_code == 302
    assert response["Location"] == default


@pytest.mark.parametrize("view", VIEWS)
def test_a_relative_next_is_followed(post_with_next, view):
    response, _ = post_with_next(view, LEGIT)
    assert response.status_code == 302
    assert response["Location"] == LEGIT


def _row_next(response) -> str:
    match = re.search(r'name="next" value="([^"]*)"', response.content.decode())
    assert match, "the row has a confirm form"
    return match.group(1)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_never_reaches_the_pipeline_row(em, opp, target):
    response = client_for(em).get(
        reverse("engagements:em_fields", args=[opp.pk]), {"cancel": "1", "context": "row", "next": target}
    )
    assert response.status_code == 200
    assert _row_next(response) == reverse("home")


def test_a_relative_next_is_kept_on_the_pipeline_row(em, opp):
    response = client_for(em).get(
        reverse("engagements:em_fields", args=[opp.pk]), {"cancel": "1", "context": "row", "next": LEGIT}
    )
    assert _row_next(response) == LEGIT.replace("&", "&amp;")
