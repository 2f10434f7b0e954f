import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.roles import Role
from scoping import services
from scoping.models import Estimate, EstimateLine, ScopingIssue, ServiceOffering
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory
from tests.scoping.factories import ScopingIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(em, other_em, em_manager, leadership, ps_director, admin_person, make_person, ta):
    return {
        "em": em,
        "other_em": other_em,
        "em_manager": em_manager,
        "leadership": leadership,
        "director": ps_director,
        "admin": admin_person,
        "ta": ta,
        "practice": make_person(Role.PRACTICE_MANAGER, username="practice"),
        "psops": make_person(Role.PS_OPERATIONS, username="psops"),
    }


@pytest.fixture
def estimate(em, issue, custom_offering):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    estimate.refresh_from_db()
    return estimate


def _get(people, role, url):
    client = Client() if role == "anonymous" else client_for(people[role])
    return client.get(url)


VIEWERS = ("em", "em_manager", "leadership", "director", "admin", "ta", "practice", "psops")


@pytest.mark.parametrize("role", ["anonymous", "other_em", *VIEWERS])
@pytest.mark.parametrize(
    "page", ["list", "board", "detail", "estimate", "diff", "export", "create", "edit", "ta_queue"]
)
def test_page_access(people, issue, estimate, opp, page, role):
    services.estimate_share(actor=people["em"].user, estimate=estimate)
    services.estimate_revise(
        actor=people["em"].user, estimate=Estimate.objects.get(pk=estimate.pk), reason="r"
    )
    url = {
        "list": reverse("scoping:list"),
        "board": reverse("scoping:board"),
        "detail": reverse("scoping:detail", args=[issue.pk]),
        "estimate": reverse("scoping:estimate", args=[estimate.pk]),
        "diff": reverse("scoping:estimate_diff", args=[issue.estimates.get(number=2).pk]),
        "export": reverse("scoping:estimate_export", args=[estimate.pk]),
        "create": reverse("scoping:create", args=[opp.pk]),
        "edit": reverse("scoping:edit", args=[issue.pk]),
        "ta_queue": reverse("scoping:ta_queue"),
    }[page]
    response = _get(people, role, url)
    if role == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        return
    editors = {"em", "em_manager", "admin"}
    expected = {
        "list": 200,
        "board": 200,
        "detail": 404 if role == "other_em" else 200,
        "estimate": 404 if role == "other_em" else 200,
        "diff": 404 if role == "other_em" else 200,
        "export": 404 if role == "other_em" else 200,
        "create": 404 if role == "other_em" else (200 if role in editors else 403),
        "edit": 404 if role == "other_em" else (200 if role in editors else 403),
        "ta_queue": 200 if role in ("ta", "admin") else 403,
    }[page]
    assert response.status_code == expected


def test_other_region_issue_is_not_listed(people, issue, region_emea, other_em):
    hidden = ScopingIssueFactory(
        opportunity=OpportunityFactory(engagement_manager=other_em, region=region_emea),
        title="EMEA private scoping",
    )
    body = client_for(people["em"]).get(reverse("scoping:board")).content.decode()
    assert issue.title in body and hidden.title not in body


def test_leadership_sees_no_edit_controls_and_post_refused(people, estimate):
    client = client_for(people["leadership"])
    body = client.get(reverse("scoping:estimate", args=[estimate.pk])).content.decode()
    assert 'id="calculator"' not in body and "Add offering" not in body
    response = client.post(
        reverse("scoping:estimate_add_line", args=[estimate.pk]),
        {"kind": "free", "description": "x", "quantity": "1", "unit_price": "5"},
    )
    assert response.status_code == 403
    response = client.post(reverse("scoping:estimate_agree", args=[estimate.pk]))
    assert response.status_code == 403
    assert Estimate.objects.get(pk=estimate.pk).status == "draft"


def test_create_issue_from_opportunity_page(people, opp):
    client = client_for(people["em"])
    body = client.get(opp.get_absolute_url()).content.decode()
    assert reverse("scoping:create", args=[opp.pk]) in body
    response = client.post(
        reverse("scoping:create", args=[opp.pk]),
        {
            "title": "Discovery",
            "assignee": people["em"].pk,
            "current_state": "Jenkins",
            "constraints": "",
            "desired_outcomes": "Faster releases",
            "requirements": "",
            "service_types": ["implementation"],
            "external_link": "",
        },
    )
    issue = ScopingIssue.objects.get()
    assert response.status_code == 302 and response["Location"] == issue.get_absolute_url()
    assert issue.current_state == "Jenkins" and issue.service_types == ["implementation"]


@pytest.mark.parametrize(
    "data",
    [
        {"title": ""},
        {"title": "ok", "external_link": "javascript:alert(1)"},
        {"title": "ok", "service_types": ["nope"]},
        {"title": "x" * 500},
    ],
)
def test_create_issue_bad_input(people, opp, data):
    response = client_for(people["em"]).post(reverse("scoping:create", args=[opp.pk]), data)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode() or "invalid-feedback" in response.content.decode()
    assert not ScopingIssue.objects.exists()


def test_xss_in_discovery_is_escaped(people, issue):
    ScopingIssue.objects.filter(pk=issue.pk).update(current_state="<script>alert(1)</script>")
    body = client_for(people["em"]).get(issue.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contingency_percent", "150"),
        ("expenses", "-5"),
        ("discount", "9999999"),
        ("expenses", "abc"),
        ("hours", "0"),
        ("hours", "99999"),
        ("hours", "<b>"),
    ],
)
def test_calculator_bad_input_is_field_error_and_changes_nothing(people, estimate, field, value):
    line = estimate.lines.order_by("position").first()
    data = {"version": estimate.version, "contingency_percent": "0", "expenses": "0", "discount": "0"}
    for each in estimate.lines.all():
        data[f"line-{each.pk}-description"] = each.description
        data[f"line-{each.pk}-hours"] = str(each.hours)
    if field == "hours":
        data[f"line-{line.pk}-hours"] = value
    else:
        data[field] = value
    response = client_for(people["em"]).post(reverse("scoping:estimate_save", args=[estimate.pk]), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was saved" in body and "is-invalid" in body
    fresh = Estimate.objects.get(pk=estimate.pk)
    assert (fresh.total, fresh.version, fresh.contingency_percent) == (
        estimate.total,
        estimate.version,
        Decimal("0"),
    )
    assert EstimateLine.objects.get(pk=line.pk).hours == line.hours


def test_calculator_save_and_htmx_preview(people, estimate):
    client = client_for(people["em"])
    data = {"version": estimate.version, "contingency_percent": "10", "expenses": "1000", "discount": "0"}
    for each in estimate.lines.all():
        data[f"line-{each.pk}-description"] = each.description
        data[f"line-{each.pk}-hours"] = str(each.hours)
    preview = client.post(
        reverse("scoping:estimate_preview", args=[estimate.pk]), data, HTTP_HX_REQUEST="true"
    )
    body = preview.content.decode()
    assert "<html" not in body and "not saved yet" in body
    assert "USD 26,520.00" in body  # 23,200 + 2,320 + 1,000
    assert Estimate.objects.get(pk=estimate.pk).total == Decimal("23200.00")
    bad = client.post(
        reverse("scoping:estimate_preview", args=[estimate.pk]),
        {**data, "expenses": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 200 and "Fix the highlighted values" in bad.content.decode()
    saved = client.post(reverse("scoping:estimate_save", args=[estimate.pk]), data)
    assert saved.status_code == 302
    assert Estimate.objects.get(pk=estimate.pk).total == Decimal("26520.00")


def test_add_offering_and_line_bad_input(people, estimate):
    client = client_for(people["em"])
    before = estimate.lines.count()
    response = client.post(
        reverse("scoping:estimate_add_offering", args=[estimate.pk]), {"offering": "999999", "quantity": "1"}
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    response = client.post(
        reverse("scoping:estimate_add_line", args=[estimate.pk]),
        {"kind": "activity", "description": "x", "role_name": "Engineer", "hours": "-3"},
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert estimate.lines.count() == before


def test_revise_share_agree_via_views(people, estimate):
    client = client_for(people["em"])
    assert client.post(reverse("scoping:estimate_share", args=[estimate.pk])).status_code == 302
    response = client.post(
        reverse("scoping:estimate_revise", args=[estimate.pk]), {"reason": "Phased delivery"}
    )
    v2 = Estimate.objects.get(scoping_issue=estimate.scoping_issue, number=2)
    assert response["Location"] == v2.get_absolute_url()
    diff = client.get(reverse("scoping:estimate_diff", args=[v2.pk])).content.decode()
    assert "Phased delivery" in diff and "No line changed" in diff
    client.post(reverse("scoping:estimate_agree", args=[v2.pk]))
    assert dict(Estimate.objects.values_list("number", "status")) == {1: "superseded", 2: "agreed"}


def test_csv_export_neutralises_formulas(people, estimate):
    line = estimate.lines.first()
    EstimateLine.objects.filter(pk=line.pk).update(description='=HYPERLINK("http://evil")')
    response = client_for(people["em"]).get(reverse("scoping:estimate_export", args=[estimate.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    descriptions = [row[1] for row in rows[2:]]
    assert '\'=HYPERLINK("http://evil")' in descriptions
    assert rows[-1][1:] == ["Total", "", "", "", "", "", "23200.00"]


def test_ta_reviews_from_queue(people, issue, em):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Big", quantity="1", unit_price="60000"
    )
    client = client_for(people["ta"])
    body = client.get(reverse("scoping:ta_queue")).content.decode()
    assert issue.title in body
    response = client.post(
        reverse("scoping:ta_decide", args=[issue.pk]), {"decision": "send_back", "comment": ""}
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.ta_review_state == "needs_review"  # refused: comment required
    client.post(reverse("scoping:ta_decide", args=[issue.pk]), {"decision": "approve", "comment": "ok"})
    issue.refresh_from_db()
    assert issue.ta_review_state == "approved"
    assert (
        client_for(people["em"])
        .post(reverse("scoping:ta_decide", args=[issue.pk]), {"decision": "approve"})
        .status_code
        == 403
    )


def test_move_on_board(people, issue):
    client = client_for(people["em"])
    response = client.post(
        reverse("scoping:move", args=[issue.pk]), {"status": "strawman", "next": "/scoping/board/"}
    )
    assert response["Location"] == "/scoping/board/"
    issue.refresh_from_db()
    assert issue.status == "strawman"
    client.post(reverse("scoping:move", args=[issue.pk]), {"status": "ready_for_approval"})
    issue.refresh_from_db()
    assert issue.status == "strawman"  # refused: no agreed estimate
    client.post(reverse("scoping:move", args=[issue.pk]), {"status": "bogus"})
    issue.refresh_from_db()
    assert issue.status == "strawman"


def test_practice_manager_edits_catalog_in_admin_em_cannot(people, custom_offering):
    practice = client_for(people["practice"])
    assert practice.get(reverse("admin:scoping_serviceoffering_changelist")).status_code == 200
    assert practice.get(reverse("admin:scoping_deliveryrole_add")).status_code == 200
    em = client_for(people["em"])
    response = em.get(reverse("admin:scoping_serviceoffering_changelist"))
    assert response.status_code == 302  # not staff: sent to the admin login
    leadership = client_for(people["leadership"])
    assert leadership.get(reverse("admin:scoping_serviceoffering_changelist")).status_code == 302
    assert ServiceOffering.objects.filter(pk=custom_offering.pk).exists()


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_board_query_count_constant(people, em, region_amer):
    client = client_for(people["em"])
    ScopingIssueFactory.create_batch(
        3, opportunity=OpportunityFactory(engagement_manager=em, region=region_amer)
    )
    few = _count(client, reverse("scoping:board"))
    for _ in range(30):
        ScopingIssueFactory(opportunity=OpportunityFactory(engagement_manager=em, region=region_amer))
    assert _count(client, reverse("scoping:board")) == few
    assert _count(client, reverse("scoping:list")) == _count(client, reverse("scoping:list") + "?q=Scoping")


def test_estimate_page_query_count_constant(people, em, estimate, rate_card):
    client = client_for(people["em"])
    url = reverse("scoping:estimate", args=[estimate.pk])
    few = _count(client, url)
    for index in range(40):
        services.estimate_add_line(
            actor=em.user,
            estimate=Estimate.objects.get(pk=estimate.pk),
            kind="activity",
            description=f"Task {index}",
            role_name="Engineer",
            hours="4",
        )
    assert _count(client, url) == few
