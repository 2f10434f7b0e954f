"""The board move and the TA decision go back to `next` only when it is a path on this site."""

import pytest
from django.urls import reverse

from scoping import services
from scoping.models import ScopingIssue, TaReview
from tests.conftest import client_for
from tests.core.hostile_input import HOSTILE_NEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_estimate(em, issue):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Big", quantity="1", unit_price="60000"
    )
    return estimate


def _move(em, issue, target):
    response = client_for(em).post(
        reverse("scoping:move", args=[issue.pk]), {"status": "strawman", "next": target}
    )
    assert ScopingIssue.objects.get(pk=issue.pk).status == "strawman"
    return response


def _ta_decide(ta, issue, target):
    response = client_for(ta).post(
        reverse("scoping:ta_decide", args=[issue.pk]),
        {"decision": "approve", "comment": "ok", "next": target},
    )
    assert TaReview.objects.filter(scoping_issue=issue, decision="approved").exists()
    return response


@pytest.fixture
def post_with_next(em, ta, issue, big_estimate):
    def post(view, target):
        return _move(em, issue, target) if view == "move" else _ta_decide(ta, issue, target)

    return post


@pytest.mark.parametrize("target", HOSTILE_NEXT)
@pytest.mark.parametrize("view", ["move", "ta_decide"])
def test_hostile_next_lands_on_the_issue(post_with_next, issue, view, target):
    response = post_with_next(view, target)
    assert response.status_code == 302
    assert response["Location"] == issue.get_absolute_url()


@pytest.mark.parametrize(
    ("view", "target"), [("move", "/scoping/board/?status=open"), ("ta_decide", "/scoping/ta-queue/")]
)
def test_a_relative_next_is_followed(post_with_next, view, target):
    response = post_with_next(view, target)
    assert response.status_code == 302
    assert response["Location"] == target
