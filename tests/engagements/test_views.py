import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from engagements.models import ConfidenceEvent, Opportunity, Risk
from tests.conftest import client_for, query_budget
from tests.engagements.factories import OpportunityFactory, RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(em, region_amer):
    return OpportunityFactory(engagement_manager=em, region=region_amer, name="Acme — Migration")


@pytest.fixture
def people(em, other_em, em_manager, leadership, ps_director, admin_person, make_person):
    return {
        "em": em,
        "other_em": other_em,
        "em_manager": em_manager,
        "leadership": leadership,
        "director": ps_director,
        "admin": admin_person,
        "practice": make_person(Role.PRACTICE_MANAGER, username="practice"),
        "ta": make_person(Role.TECHNICAL_ARCHITECT, username="ta"),
        "psops": make_person(Role.PS_OPERATIONS, username="psops"),
    }


# The read-only roles behave alike on these pages: they see everything and change nothing.
READ_ONLY = ("leadership", "director", "practice", "ta", "psops")


def _client(people, role):
    return Client() if role == "anonymous" else client_for(people[role])


# role -> expected status for GET pages. "login" = redirect to the login page.
PAGE_MATRIX = {
    "pipeline": {
        "anonymous": "login",
        "em": 200,
        "other_em": 200,
        "em_manager": 200,
        "leadership": 200,
        "director": 200,
        "admin": 200,
    },
    "detail": {
        "anonymous": "login",
        "em": 200,
        "other_em": 404,
        "em_manager": 200,
        "leadership": 200,
        "director": 200,
        "admin": 200,
    },
    "em_fields": {
        "anonymous": "login",
        "em": 200,
        "other_em": 404,
        "em_manager": 200,
        "leadership": 403,
        "director": 403,
        "admin": 200,
    },
    "risk_edit": {
        "anonymous": "login",
        "em": 200,
        "other_em": 404,
        "em_manager": 200,
        "leadership": 403,
        "director": 403,
        "admin": 200,
    },
    "password_change": {
        "anonymous": "login",
        "em": 200,
        "other_em": 200,
        "em_manager": 200,
        "leadership": 200,
        "director": 200,
        "admin": 200,
    },
}


for _matrix in (PAGE_MATRIX,):
    for _row in _matrix.values():
        for _role in READ_ONLY:
            _row.setdefault(_role, _row["leadership"])


def _url(name, opp, risk):
    return {
        "pipeline": reverse("engagements:pipeline"),
        "detail": reverse("engagements:detail", args=[opp.pk]),
        "em_fields": reverse("engagements:em_fields", args=[opp.pk]),
        "risk_edit": reverse("engagements:risk_edit", args=[risk.pk]),
        "password_change": reverse("password_change"),
    }[name]


@pytest.mark.parametrize(
    ("page", "role"), [(page, role) for page, roles in PAGE_MATRIX.items() for role in roles]
)
def test_page_access_per_role(people, opp, page, role):
    risk = RiskFactory(opportunity=opp)
    response = _client(people, role).get(_url(page, opp, risk))
    expected = PAGE_MATRIX[page][role]
    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected


POST_MATRIX = {
    "em_fields": {
        "anonymous": "login",
        "em": 302,
        "other_em": 404,
        "em_manager": 302,
        "leadership": 403,
        "director": 403,
        "admin": 302,
    },
    "confirm": {
        "anonymous": "login",
        "em": 302,
        "other_em": 404,
        "em_manager": 302,
        "leadership": 403,
        "director": 403,
        "admin": 302,
    },
    "risk_add": {
        "anonymous": "login",
        "em": 302,
        "other_em": 404,
        "em_manager": 302,
        "leadership": 403,
        "director": 403,
        "admin": 302,
    },
    "risk_close": {
        "anonymous": "login",
        "em": 302,
        "other_em": 404,
        "em_manager": 302,
        "leadership": 403,
        "director": 403,
        "admin": 302,
    },
    "assign": {
        "anonymous": "login",
        "em": 403,
        "other_em": 404,
        "em_manager": 302,
        "leadership": 403,
        "director": 403,
        "admin": 302,
    },
}


for _row in POST_MATRIX.values():
    for _role in READ_ONLY:
        _row.setdefault(_role, _row["leadership"])


@pytest.mark.parametrize(
    ("action", "role"), [(action, role) for action, roles in POST_MATRIX.items() for role in roles]
)
def test_actions_per_role(people, opp, action, role):
    risk = RiskFactory(opportunity=opp)
    url, data = {
        "em_fields": (
            reverse("engagements:em_fields", args=[opp.pk]),
            {"em_confidence": "Green", "em_confidence_rationale": "PO raised", "version": 1},
        ),
        "confirm": (reverse("engagements:confirm", args=[opp.pk]), {"version": 1}),
        "risk_add": (
            reverse("engagements:risk_add", args=[opp.pk]),
            {"description": "Key person leaving", "severity": "high"},
        ),
        "risk_close": (reverse("engagements:risk_close", args=[risk.pk]), {}),
        "assign": (
            reverse("engagements:assign", args=[opp.pk]),
            {"engagement_manager": people["em"].pk, "version": 1},
        ),
    }[action]
    before = Opportunity.objects.get(pk=opp.pk)
    response = _client(people, role).post(url, data)
    expected = POST_MATRIX[action][role]
    if expected == "login":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected
    if expected != 302:
        after = Opportunity.objects.get(pk=opp.pk)
        assert (after.em_confidence, after.version) == (before.em_confidence, before.version)
        assert Risk.objects.filter(opportunity=opp).count() == 1
        assert Risk.objects.get(pk=risk.pk).status == "open"


def test_leadership_sees_no_edit_controls(people, opp):
    response = client_for(people["leadership"]).get(reverse("engagements:pipeline") + "?scope=all")
    body = response.content.decode()
    assert opp.name in body
    assert reverse("engagements:em_fields", args=[opp.pk]) not in body
    detail = client_for(people["leadership"]).get(opp.get_absolute_url()).content.decode()
    assert 'data-testid="em-form"' not in detail


def test_em_sees_only_visible_opportunities_in_all_scope(people, opp, region_emea):
    hidden = OpportunityFactory(region=region_emea, name="EMEA secret deal")
    body = client_for(people["em"]).get(reverse("engagements:pipeline") + "?scope=all").content.decode()
    assert opp.name in body
    assert hidden.name not in body


def test_em_may_not_use_team_scope(people):
    response = client_for(people["em"]).get(reverse("engagements:pipeline") + "?scope=team")
    assert response.status_code == 403


def test_htmx_get_returns_row_form_partial(people, opp):
    response = client_for(people["em"]).get(
        reverse("engagements:em_fields", args=[opp.pk]) + "?context=row", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="opp-{opp.pk}"')
    assert "<html" not in body


def test_htmx_post_saves_and_returns_row(people, opp):
    response = client_for(people["em"]).post(
        reverse("engagements:em_fields", args=[opp.pk]),
        {
            "em_confidence": "Amber",
            "em_confidence_rationale": "Timing unclear",
            "version": 1,
            "context": "row",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "pipelineChanged"
    assert body.lstrip().startswith(f'<tr id="opp-{opp.pk}"') and "Amber" in body
    assert Opportunity.objects.get(pk=opp.pk).em_confidence == "Amber"


def test_htmx_pipeline_returns_results_partial(people, opp):
    response = client_for(people["em"]).get(
        reverse("engagements:pipeline") + "?scope=mine",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="pipeline-results",
    )
    assert "<html" not in response.content.decode()
    assert opp.name in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"em_confidence": "Green", "em_confidence_rationale": "", "version": 1},
        {"em_confidence": "Purple", "em_confidence_rationale": "x", "version": 1},
        {"em_confidence": "Grey", "scoping_issue_link": "javascript:alert(1)", "version": 1},
        {"em_confidence": "Grey", "version": "abc"},
        {"em_confidence": "Grey"},
        {"em_confidence": "Amber", "em_confidence_rationale": "x" * 5000, "version": 1},
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_rerenders_with_errors_and_changes_nothing(people, opp, data, htmx):
    headers: dict[str, Any] = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    payload = {**data, "context": "row"} if htmx else data
    response = client_for(people["em"]).post(
        reverse("engagements:em_fields", args=[opp.pk]), payload, **headers
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode() or "alert-danger" in response.content.decode()
    fresh = Opportunity.objects.get(pk=opp.pk)
    assert (fresh.em_confidence, fresh.version, fresh.scoping_issue_link) == ("Grey", 1, "")
    assert not ConfidenceEvent.objects.exists()


def test_user_text_is_escaped(people, opp):
    client_for(people["em"]).post(
        reverse("engagements:em_fields", args=[opp.pk]),
        {"em_confidence": "Red", "em_confidence_rationale": "<script>alert('x')</script>", "version": 1},
    )
    body = client_for(people["em"]).get(opp.get_absolute_url()).content.decode()
    assert "<script>alert('x')</script>" not in body
    assert "&lt;script&gt;" in body


def test_two_saves_from_the_same_version_second_refused(people, opp):
    url = reverse("engagements:em_fields", args=[opp.pk])
    first = client_for(people["em"]).post(
        url, {"em_confidence": "Green", "em_confidence_rationale": "Signed", "version": 1}
    )
    assert first.status_code == 302
    second = client_for(people["em_manager"]).post(
        url, {"em_confidence": "Red", "em_confidence_rationale": "Stalled", "version": 1}
    )
    assert second.status_code == 409
    body = second.content.decode()
    assert "Someone else changed this opportunity" in body
    # What the second user typed is kept, the values saved meanwhile shown beside it, with who saved them.
    assert ">Stalled</textarea>" in body
    assert '<option value="Red" selected>' in body
    current = body[body.index('data-testid="current-values"') :]
    assert "Green" in current and "Signed" in current
    assert f"Changed by {people['em'].name} at" in body
    # The kept form is at the current version: saving it again is a deliberate overwrite.
    assert 'name="version" value="2"' in body
    fresh = Opportunity.objects.get(pk=opp.pk)
    assert (fresh.em_confidence, fresh.em_confidence_rationale) == ("Green", "Signed")


def test_risk_add_bad_input_shows_errors(people, opp):
    response = client_for(people["em"]).post(
        reverse("engagements:risk_add", args=[opp.pk]), {"description": "", "severity": "nope"}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not Risk.objects.exists()


def test_risk_edit_saves(people, opp):
    risk = RiskFactory(opportunity=opp)
    response = client_for(people["em"]).post(
        reverse("engagements:risk_edit", args=[risk.pk]),
        {"description": "Changed", "severity": "low", "mitigation": "", "owner": "Sam", "status": "closed"},
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.description, risk.severity, risk.status, risk.owner) == ("Changed", "low", "closed", "Sam")


def test_unassigned_view_lets_manager_assign(people, region_amer):
    opp = OpportunityFactory(region=region_amer, engagement_manager=None, name="Needs an EM")
    client = client_for(people["em_manager"])
    body = client.get(reverse("engagements:pipeline") + "?scope=unassigned").content.decode()
    assert "Needs an EM" in body and "Assign EM" in body
    response = client.post(
        reverse("engagements:assign", args=[opp.pk]),
        {"engagement_manager": people["em"].pk, "version": 1, "next": "/pipeline/?scope=unassigned"},
    )
    assert response.status_code == 302 and response["Location"] == "/pipeline/?scope=unassigned"
    assert Opportunity.objects.get(pk=opp.pk).engagement_manager == people["em"]


def test_filters_totals_and_badges(people, em, region_amer):
    today = timezone.localdate()
    OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        em_confidence="Green",
        em_confidence_rationale="x",
        amount=1000,
        currency="USD",
        em_reviewed_at=timezone.now(),
    )
    OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        em_confidence="Green",
        em_confidence_rationale="x",
        amount=250,
        currency="EUR",
        em_reviewed_at=timezone.now() - dt.timedelta(days=30),
    )
    OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        em_confidence="Red",
        em_confidence_rationale="x",
        amount=500,
        currency="USD",
    )
    OpportunityFactory(engagement_manager=em, region=region_amer, close_date=today + dt.timedelta(days=400))
    client = client_for(people["em"])
    response = client.get(reverse("engagements:pipeline") + "?scope=mine")
    totals = {b.confidence: b for b in response.context["totals"]}
    assert totals["Green"].count == 2
    assert totals["Green"].amounts == {"EUR": 250, "USD": 1000}
    assert totals["Red"].amounts == {"USD": 500}
    assert response.context["total_count"] == 3  # the far-future one is outside this quarter
    body = response.content.decode()
    assert body.count('data-testid="stale"') == 2  # 30 days old, and never reviewed
    assert "this quarter</span>" in body
    only_red = client.get(reverse("engagements:pipeline") + "?scope=mine&confidence=Red")
    assert only_red.context["total_count"] == 1
    anywhere = client.get(reverse("engagements:pipeline") + "?scope=mine&quarter=any")
    assert anywhere.context["total_count"] == 4
    stale = client.get(reverse("engagements:pipeline") + "?scope=mine&stale=true&quarter=any")
    assert stale.context["total_count"] == 3


def test_bad_filter_values_do_not_error(people):
    response = client_for(people["em"]).get(
        reverse("engagements:pipeline") + "?scope=mine&quarter=FY99-Q9&sort=evil&page=x"
    )
    assert response.status_code == 200


def test_sorting_by_amount(people, em, region_amer):
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Small", amount=10)
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Big", amount=10_000)
    response = client_for(people["em"]).get(reverse("engagements:pipeline") + "?scope=mine&sort=-amount")
    assert [r.name for r in response.context["rows"]] == ["Big", "Small"]


def _pipeline_queries(client, django_assert_max_num_queries, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("engagements:pipeline") + "?scope=mine&quarter=any")
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(count, 25)
    return len(ctx.captured_queries)


def test_my_pipeline_query_count_constant(people, em, region_amer, django_assert_max_num_queries):
    client = client_for(people["em"])
    OpportunityFactory.create_batch(
        5, engagement_manager=em, region=region_amer, em_confidence="Amber", em_confidence_rationale="x"
    )
    few = _pipeline_queries(client, django_assert_max_num_queries, 5)
    OpportunityFactory.create_batch(
        495, engagement_manager=em, region=region_amer, em_confidence="Green", em_confidence_rationale="x"
    )
    many = _pipeline_queries(client, django_assert_max_num_queries, 500)
    assert few == many
    # session, user, person with permissions, filter choices (stages and regions), totals (which
    # also give the paginator its count), the page's rows, their SOW states, the notification bell
    assert many <= query_budget(8)


def test_pipeline_region_choices_and_filter(people, em, region_amer, region_emea):
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Amer deal", stage="Proposal")
    OpportunityFactory(region=region_emea, name="Emea deal", stage="Negotiation")
    client = client_for(people["leadership"])
    response = client.get(reverse("engagements:pipeline") + f"?scope=all&quarter=any&region={region_emea.pk}")
    assert response.status_code == 200
    assert [r.name for r in response.context["rows"]] == ["Emea deal"]
    body = response.content.decode()
    assert f'<option value="{region_emea.pk}" selected>{region_emea}</option>' in body
    assert f'<option value="{region_amer.pk}">{region_amer}</option>' in body
    # The stage choices come from every opportunity in scope, not only the filtered ones.
    stage_field = response.context["filter"].form.fields["stage"]
    assert [value for value, _ in stage_field.choices if value] == ["Negotiation", "Proposal"]
    bad = client.get(reverse("engagements:pipeline") + "?scope=all&quarter=any&region=999999")
    assert bad.status_code == 200
    assert bad.context["rows"] == []


def test_unassigned_query_count_constant(people, region_amer):
    client = client_for(people["em_manager"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for batch in (3, 60):
        OpportunityFactory.create_batch(batch, region=region_amer, engagement_manager=None)
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("engagements:pipeline") + "?scope=unassigned&quarter=any")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_home_redirects_by_role(people):
    assert client_for(people["em"]).get("/")["Location"].endswith("scope=mine")
    assert client_for(people["em_manager"]).get("/")["Location"].endswith("scope=team")
    assert client_for(people["leadership"]).get("/")["Location"] == "/forecast/"
    assert client_for(people["psops"]).get("/")["Location"].endswith("scope=all")


def test_user_without_role_gets_friendly_403(make_person):
    person = make_person(Role.PS_ENGINEER)
    response = client_for(person).get("/")
    assert response.status_code == 403
    assert "not allowed" in response.content.decode()


def test_footer_shows_fiscal_quarter(people):
    from core.fiscal import FiscalQuarter

    body = client_for(people["em"]).get(reverse("engagements:pipeline")).content.decode()
    assert FiscalQuarter.current().label in body


def test_login_page_is_public_and_works(people):
    client = Client()
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "em.amer", "password": "pw-for-tests-123"})
    assert response.status_code == 302
    assert client.get(reverse("engagements:pipeline")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("engagements:pipeline")).status_code == 302


def test_sorting_by_confidence_goes_by_likelihood_not_by_name(people, em, region_amer):
    for name, confidence in [("A", "Grey"), ("B", "Red"), ("C", "Green"), ("D", "Amber")]:
        OpportunityFactory(
            engagement_manager=em,
            region=region_amer,
            name=name,
            em_confidence=confidence,
            em_confidence_rationale="x",
        )
    client = client_for(people["em"])
    ascending = client.get(reverse("engagements:pipeline") + "?scope=mine&sort=confidence")
    assert [r.em_confidence for r in ascending.context["rows"]] == ["Green", "Amber", "Red", "Grey"]
    descending = client.get(reverse("engagements:pipeline") + "?scope=mine&sort=-confidence")
    assert [r.em_confidence for r in descending.context["rows"]] == ["Grey", "Red", "Amber", "Green"]
    assert descending.context["sort"] == "-confidence"


def test_an_unknown_sort_falls_back_to_close_date(people, em, region_amer):
    import datetime as dt

    OpportunityFactory(
        engagement_manager=em, region=region_amer, name="Late", close_date=dt.date(2027, 1, 20)
    )
    OpportunityFactory(
        engagement_manager=em, region=region_amer, name="Early", close_date=dt.date(2026, 11, 20)
    )
    response = client_for(people["em"]).get(
        reverse("engagements:pipeline") + "?scope=mine&quarter=any&sort=evil"
    )
    assert response.status_code == 200 and response.context["sort"] == "close_date"
    assert [r.name for r in response.context["rows"]] == ["Early", "Late"]


def test_each_row_links_to_its_own_opportunity(people, region_amer):
    """The row links are built once per page: every row's page, edit, confirm and assign link is
    the one reversed for that row's own opportunity."""
    mine = OpportunityFactory.create_batch(3, region=region_amer, engagement_manager=people["em"])
    page = client_for(people["em"]).get(reverse("engagements:pipeline") + "?scope=mine&quarter=any")
    html = page.content.decode()
    for opp in mine:
        row = html.split(f'id="opp-{opp.pk}"')[1].split("</tr>")[0]
        assert f'href="{reverse("engagements:detail", args=[opp.pk])}"' in row
        assert f'hx-get="{reverse("engagements:em_fields", args=[opp.pk])}?context=row"' in row
        assert f'action="{reverse("engagements:confirm", args=[opp.pk])}"' in row
    unassigned = OpportunityFactory(region=region_amer, engagement_manager=None)
    page = client_for(people["em_manager"]).get(
        reverse("engagements:pipeline") + "?scope=unassigned&quarter=any"
    )
    row = page.content.decode().split(f'id="opp-{unassigned.pk}"')[1].split("</tr>")[0]
    assert f'action="{reverse("engagements:assign", args=[unassigned.pk])}"' in row
