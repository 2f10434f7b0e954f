from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import Conflict
from engagements.models import Opportunity, PendingPush
from scoping import services
from scoping.models import DeliveryRole, Estimate, EstimateLine, ScopingIssue, TaReview
from scoping.selectors import estimate_diff
from tests.scoping.factories import PackagedOfferingFactory, ScopingIssueFactory

pytestmark = pytest.mark.django_db


def new_estimate(em, issue):
    return services.estimate_create(actor=em.user, issue=issue)


def line_changes(estimate, overrides=None):
    changes = []
    for line in estimate.lines.all():
        values = {
            "description": line.description,
            "quantity": line.quantity,
            "hours": line.hours,
            "unit_price": line.unit_price,
        }
        values.update((overrides or {}).get(line.pk, {}))
        changes.append(services.LineChange(line_id=line.pk, **values))
    return changes


# ---------------------------------------------------------------- scoping issues and the link


def test_first_issue_sets_scoping_link_through_em_service(em, opp, settings):
    settings.SITE_URL = "https://pipeline.example.com"
    issue = services.scoping_issue_create(actor=em.user, opportunity=opp, title="Discovery")
    opp.refresh_from_db()
    assert opp.scoping_issue_link == f"https://pipeline.example.com/scoping/{issue.pk}/"
    assert PendingPush.objects.get(opportunity=opp).fields == ["scoping_issue_link"]
    assert opp.version == 2
    second = services.scoping_issue_create(actor=em.user, opportunity=opp, title="Phase 2")
    opp.refresh_from_db()
    assert opp.scoping_issue_link.endswith(f"/scoping/{issue.pk}/")
    assert second.pk != issue.pk


def test_existing_external_link_is_kept(em, opp):
    Opportunity.objects.filter(pk=opp.pk).update(scoping_issue_link="https://jira.example.com/PS-9")
    opp.refresh_from_db()
    services.scoping_issue_create(actor=em.user, opportunity=opp, title="Discovery")
    opp.refresh_from_db()
    assert opp.scoping_issue_link == "https://jira.example.com/PS-9"
    assert not PendingPush.objects.exists()


def test_create_refused_for_other_em_and_leadership(other_em, leadership, opp):
    for person in (other_em, leadership):
        with pytest.raises(PermissionDenied):
            services.scoping_issue_create(actor=person.user, opportunity=opp, title="x")
    assert not ScopingIssue.objects.exists()


def test_create_validates_title_and_link(em, opp):
    with pytest.raises(ValidationError) as exc:
        services.scoping_issue_create(actor=em.user, opportunity=opp, title="  ")
    assert "title" in exc.value.error_dict
    with pytest.raises(ValidationError):
        services.scoping_issue_create(
            actor=em.user, opportunity=opp, title="ok", external_link="javascript:x"
        )
    assert not ScopingIssue.objects.exists()


def test_update_with_stale_version_refused(em, issue):
    kwargs = {
        "title": "T",
        "assignee": em,
        "current_state": "now",
        "constraints": "",
        "desired_outcomes": "",
        "requirements": "",
        "service_types": ["migration"],
        "external_link": "",
    }
    services.scoping_issue_update(actor=em.user, issue=issue, expected_version=1, **kwargs)
    with pytest.raises(Conflict):
        services.scoping_issue_update(
            actor=em.user, issue=issue, expected_version=1, **{**kwargs, "title": "U"}
        )
    issue.refresh_from_db()
    assert issue.title == "T" and issue.service_types == ["migration"]


def test_unknown_service_type_refused(em, issue):
    with pytest.raises(ValidationError):
        services.scoping_issue_update(
            actor=em.user,
            issue=issue,
            expected_version=1,
            title="T",
            assignee=em,
            current_state="",
            constraints="",
            desired_outcomes="",
            requirements="",
            service_types=["astrology"],
            external_link="",
        )


# ---------------------------------------------------------------- calculator through the services


def test_packaged_offering_adds_quantity_times_price(em, issue, packaged_offering):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=packaged_offering, quantity=2)
    estimate.refresh_from_db()
    assert estimate.total == Decimal("48000.00")
    line = estimate.lines.get()
    assert (line.kind, line.quantity, line.unit_price, line.hours) == (
        "sku",
        2,
        Decimal("24000.00"),
        Decimal("240"),
    )


def test_custom_offering_adds_activities_at_copied_rates(em, issue, custom_offering):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    lines = list(estimate.lines.order_by("position"))
    assert [(line.role_name, line.hours, line.bill_rate, line.cost_rate) for line in lines] == [
        ("Technical Architect", Decimal("24"), Decimal("300.00"), Decimal("150.00")),
        ("Engineer", Decimal("80"), Decimal("200.00"), Decimal("95.00")),
    ]
    estimate.refresh_from_db()
    assert estimate.total == Decimal("23200.00")  # 24×300 + 80×200


def test_rate_card_change_never_changes_existing_estimate(em, issue, custom_offering):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    DeliveryRole.objects.filter(name="Engineer").update(bill_rate=Decimal("999.00"))
    services.estimate_update(
        actor=em.user,
        estimate=estimate,
        expected_version=Estimate.objects.get(pk=estimate.pk).version,
        contingency_percent="0",
        expenses="0",
        discount="0",
        lines=line_changes(estimate),
    )
    estimate.refresh_from_db()
    assert estimate.total == Decimal("23200.00")
    assert set(estimate.lines.values_list("bill_rate", flat=True)) == {Decimal("300.00"), Decimal("200.00")}


def test_update_contingency_expenses_discount(em, issue, custom_offering):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    estimate.refresh_from_db()
    totals = services.estimate_update(
        actor=em.user,
        estimate=estimate,
        expected_version=estimate.version,
        contingency_percent="10",
        expenses="1500.00",
        discount="700.00",
        lines=line_changes(estimate),
    )
    # 23,200 + 2,320 + 1,500 − 700
    assert totals.total == Decimal("26320.00")
    assert Estimate.objects.get(pk=estimate.pk).total == Decimal("26320.00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hours", "0"),
        ("hours", "-5"),
        ("hours", "10000.01"),
        ("hours", "abc"),
        ("hours", "NaN"),
        ("hours", "1.234"),
        ("contingency_percent", "101"),
        ("contingency_percent", "-1"),
        ("contingency_percent", "x"),
        ("expenses", "-1"),
        ("expenses", "1e400"),
        ("discount", "999999"),
    ],
)
def test_bad_values_are_field_errors_and_change_nothing(em, issue, custom_offering, field, value):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    estimate.refresh_from_db()
    before = (estimate.total, estimate.version, list(estimate.lines.values_list("hours", flat=True)))
    first = estimate.lines.order_by("position").first()
    overrides = {first.pk: {"hours": value}} if field == "hours" else {}
    settings_values = {"contingency_percent": "0", "expenses": "0", "discount": "0"}
    if field != "hours":
        settings_values[field] = value
    with pytest.raises(ValidationError) as exc:
        services.estimate_update(
            actor=em.user,
            estimate=estimate,
            expected_version=estimate.version,
            lines=line_changes(estimate, overrides),
            **settings_values,
        )
    expected_key = f"line-{first.pk}-hours" if field == "hours" else field
    assert expected_key in exc.value.error_dict
    estimate.refresh_from_db()
    assert (estimate.total, estimate.version, list(estimate.lines.values_list("hours", flat=True))) == before


def test_add_line_limits(em, issue, rate_card):
    estimate = new_estimate(em, issue)
    for kwargs, key in [
        ({"kind": "activity", "role_name": "Engineer", "hours": "0"}, "hours"),
        ({"kind": "activity", "role_name": "Engineer", "hours": "10001"}, "hours"),
        ({"kind": "free", "quantity": "0", "unit_price": "10"}, "quantity"),
        ({"kind": "free", "quantity": "1", "unit_price": "-10"}, "unit_price"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.estimate_add_line(actor=em.user, estimate=estimate, description="x", **kwargs)
        assert key in exc.value.error_dict
    with pytest.raises(ValidationError):
        services.estimate_add_line(
            actor=em.user,
            estimate=estimate,
            kind="activity",
            description="x",
            role_name="Astronaut",
            hours="5",
        )
    assert not estimate.lines.exists()
    line = services.estimate_add_line(
        actor=em.user,
        estimate=estimate,
        kind="activity",
        description="x",
        role_name="Engineer",
        hours="10000",
    )
    assert line.hours == Decimal("10000")


def test_packaged_offering_in_other_currency_refused(em, issue):
    eur = PackagedOfferingFactory(currency="EUR", unit_price="22000")
    estimate = new_estimate(em, issue)
    with pytest.raises(ValidationError) as exc:
        services.estimate_add_offering(actor=em.user, estimate=estimate, offering=eur)
    assert exc.value.error_dict["offering"][0].code == "currency_mismatch"


def test_stale_estimate_save_refused(em, issue, custom_offering):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    estimate.refresh_from_db()
    stale = estimate.version
    services.estimate_update(
        actor=em.user,
        estimate=estimate,
        expected_version=stale,
        contingency_percent="5",
        expenses="0",
        discount="0",
        lines=line_changes(estimate),
    )
    with pytest.raises(Conflict):
        services.estimate_update(
            actor=em.user,
            estimate=estimate,
            expected_version=stale,
            contingency_percent="50",
            expenses="0",
            discount="0",
            lines=line_changes(estimate),
        )
    assert Estimate.objects.get(pk=estimate.pk).contingency_percent == Decimal("5")


# ---------------------------------------------------------------- versions


def test_revise_copies_lines_and_requires_reason(em, issue, custom_offering):
    v1 = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=v1, offering=custom_offering)
    services.estimate_share(actor=em.user, estimate=v1)
    with pytest.raises(ValidationError):
        services.estimate_revise(actor=em.user, estimate=v1, reason=" ")
    v2 = services.estimate_revise(actor=em.user, estimate=v1, reason="Customer asked for phased delivery")
    assert (v2.number, v2.status, v2.reason) == (2, "draft", "Customer asked for phased delivery")
    key = lambda e: sorted(e.lines.values_list("description", "hours", "bill_rate", "cost_rate"))  # noqa: E731
    assert key(v2) == key(v1)
    assert v2.total == Estimate.objects.get(pk=v1.pk).total
    with pytest.raises(ValidationError):
        services.estimate_revise(actor=em.user, estimate=v1, reason="again")  # v2 is still a draft


def test_shared_and_agreed_versions_are_frozen(em, issue, custom_offering, rate_card):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    services.estimate_share(actor=em.user, estimate=estimate)
    estimate.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.estimate_add_line(
            actor=em.user,
            estimate=estimate,
            kind="activity",
            description="x",
            role_name="Engineer",
            hours="1",
        )
    assert exc.value.code == "frozen"
    with pytest.raises(ValidationError):
        services.estimate_update(
            actor=em.user,
            estimate=estimate,
            expected_version=estimate.version,
            contingency_percent="5",
            expenses="0",
            discount="0",
            lines=line_changes(estimate),
        )
    with pytest.raises(ValidationError):
        services.estimate_delete_line(actor=em.user, line=estimate.lines.first())
    assert estimate.lines.count() == 2


def test_agreeing_supersedes_the_others(em, issue, custom_offering):
    v1 = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=v1, offering=custom_offering)
    services.estimate_agree(actor=em.user, estimate=v1)
    v2 = services.estimate_revise(actor=em.user, estimate=Estimate.objects.get(pk=v1.pk), reason="scope cut")
    services.estimate_agree(actor=em.user, estimate=v2)
    assert dict(issue.estimates.values_list("number", "status")) == {1: "superseded", 2: "agreed"}
    assert services.agreed_estimate(issue) == v2


def test_diff_shows_added_removed_changed_and_delta(em, issue, custom_offering, rate_card):
    v1 = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=v1, offering=custom_offering)
    services.estimate_share(actor=em.user, estimate=v1)
    v2 = services.estimate_revise(actor=em.user, estimate=v1, reason="phased")
    design, build = v2.lines.order_by("position")
    services.estimate_delete_line(actor=em.user, line=design)
    v2.refresh_from_db()
    services.estimate_update(
        actor=em.user,
        estimate=v2,
        expected_version=v2.version,
        contingency_percent="0",
        expenses="0",
        discount="0",
        lines=line_changes(v2, {build.pk: {"hours": "100"}}),
    )
    services.estimate_add_line(
        actor=em.user, estimate=v2, kind="free", description="Licence", quantity="1", unit_price="1000.00"
    )
    v1.refresh_from_db()
    v2.refresh_from_db()
    diff = estimate_diff(v1, v2)
    summary = sorted((d.change, d.description) for d in diff.lines)
    assert summary == [
        ("added", "Licence"),
        ("changed", f"{custom_offering.name}: Build"),
        ("removed", f"{custom_offering.name}: Design"),
    ]
    changed = next(d for d in diff.lines if d.change == "changed")
    assert changed.fields == ["hours"]
    # v1 23,200; v2 100×200 + 1,000 = 21,000
    assert diff.total_delta == Decimal("-2200.00")


# ---------------------------------------------------------------- TA review


@pytest.mark.parametrize(
    ("total", "needs_review"),
    [("49999.99", False), ("50000.00", False), ("50000.01", True)],
)
def test_ta_threshold(em, issue, total, needs_review):
    estimate = new_estimate(em, issue)
    services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Fixed fee", quantity="1", unit_price=total
    )
    issue.refresh_from_db()
    assert issue.ta_review_state == ("needs_review" if needs_review else "not_needed")
    services.estimate_agree(actor=em.user, estimate=estimate)
    if needs_review:
        with pytest.raises(ValidationError) as exc:
            services.scoping_issue_ready_for_sow(issue)
        assert exc.value.code == "ta_review_pending"
    else:
        assert services.scoping_issue_ready_for_sow(issue) == estimate


def test_guard_refuses_ready_for_approval_until_ta_approves(em, ta, issue):
    estimate = new_estimate(em, issue)
    services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Big", quantity="1", unit_price="80000"
    )
    with pytest.raises(ValidationError):
        services.scoping_issue_move(actor=em.user, issue=issue, status="ready_for_approval")  # nothing agreed
    services.estimate_agree(actor=em.user, estimate=estimate)
    with pytest.raises(ValidationError):
        services.scoping_issue_move(actor=em.user, issue=issue, status="ready_for_approval")
    issue.refresh_from_db()
    assert issue.status == "open"
    services.ta_send_back(actor=ta.user, issue=issue, comment="Split phase 2 out")
    issue.refresh_from_db()
    assert issue.ta_review_state == "sent_back"
    with pytest.raises(ValidationError):
        services.scoping_issue_ready_for_sow(issue)
    review = services.ta_approve(actor=ta.user, issue=issue, comment="Architecture is sound")
    issue.refresh_from_db()
    assert issue.ta_review_state == "approved"
    assert (review.estimate, review.actor, review.comment) == (estimate, ta.user, "Architecture is sound")
    moved = services.scoping_issue_move(actor=em.user, issue=issue, status="ready_for_approval")
    assert moved.status == "ready_for_approval"
    assert list(TaReview.objects.filter(scoping_issue=issue).values_list("decision", flat=True)) == [
        "approved",
        "sent_back",
    ]


def test_send_back_needs_comment_and_only_tas_review(em, ta, issue):
    estimate = new_estimate(em, issue)
    services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Big", quantity="1", unit_price="80000"
    )
    with pytest.raises(ValidationError):
        services.ta_send_back(actor=ta.user, issue=issue, comment="")
    with pytest.raises(PermissionDenied):
        services.ta_approve(actor=em.user, issue=issue)
    assert not TaReview.objects.exists()


def test_revision_after_approval_needs_review_again(em, ta, issue):
    v1 = new_estimate(em, issue)
    services.estimate_add_line(
        actor=em.user, estimate=v1, kind="free", description="Big", quantity="1", unit_price="80000"
    )
    services.estimate_agree(actor=em.user, estimate=v1)
    services.ta_approve(actor=ta.user, issue=issue)
    v2 = services.estimate_revise(actor=em.user, estimate=Estimate.objects.get(pk=v1.pk), reason="more scope")
    services.estimate_add_line(
        actor=em.user, estimate=v2, kind="free", description="More", quantity="1", unit_price="5000"
    )
    services.estimate_agree(actor=em.user, estimate=v2)
    issue.refresh_from_db()
    assert issue.ta_review_state == "needs_review"


def test_assistance_request_and_assisted(em, ta, issue):
    services.ta_request_assistance(actor=em.user, issue=issue, note="Air-gapped runners")
    issue.refresh_from_db()
    assert (issue.ta_assistance, issue.ta_assistance_note) == ("requested", "Air-gapped runners")
    services.ta_mark_assisted(actor=ta.user, issue=issue, comment="Proposed a mirror registry")
    issue.refresh_from_db()
    assert issue.ta_assistance == "assisted"
    with pytest.raises(ValidationError):
        services.ta_request_assistance(actor=em.user, issue=issue, note="")


def test_leadership_cannot_edit_estimates(em, leadership, issue, rate_card):
    estimate = new_estimate(em, issue)
    with pytest.raises(PermissionDenied):
        services.estimate_add_line(
            actor=leadership.user,
            estimate=estimate,
            kind="activity",
            description="x",
            role_name="Engineer",
            hours="1",
        )
    with pytest.raises(PermissionDenied):
        services.estimate_agree(actor=leadership.user, estimate=estimate)
    with pytest.raises(PermissionDenied):
        services.scoping_issue_move(actor=leadership.user, issue=issue, status="closed")


def test_other_issue_ids_are_not_reachable(em, other_em, region_emea):
    from tests.engagements.factories import OpportunityFactory

    foreign = ScopingIssueFactory(
        opportunity=OpportunityFactory(engagement_manager=other_em, region=region_emea)
    )
    with pytest.raises(PermissionDenied):
        services.estimate_create(actor=em.user, issue=foreign)
    assert not EstimateLine.objects.exists()


def test_ta_threshold_is_read_from_settings_when_asked(em, issue, settings):
    settings.TA_REVIEW_THRESHOLD = "1000"
    estimate = new_estimate(em, issue)
    services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Fee", quantity="1", unit_price="1000.01"
    )
    issue.refresh_from_db()
    assert issue.ta_review_state == "needs_review"


def test_calculator_opened_before_sharing_is_refused(em, issue, custom_offering):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    page = Estimate.objects.get(pk=estimate.pk)  # what the calculator page showed
    services.estimate_share(actor=em.user, estimate=Estimate.objects.get(pk=estimate.pk))
    with pytest.raises(Conflict):
        services.estimate_update(
            actor=em.user,
            estimate=page,
            expected_version=page.version,
            contingency_percent="50",
            expenses="0",
            discount="0",
            lines=line_changes(page),
        )
    fresh = Estimate.objects.get(pk=estimate.pk)
    assert (fresh.status, fresh.contingency_percent) == ("shared", Decimal("0"))


def test_a_line_added_makes_an_open_calculator_stale(em, issue, custom_offering, rate_card):
    estimate = new_estimate(em, issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    page = Estimate.objects.get(pk=estimate.pk)
    services.estimate_add_line(
        actor=em.user,
        estimate=Estimate.objects.get(pk=estimate.pk),
        kind="activity",
        description="Cut-over",
        role_name="Engineer",
        hours="8",
    )
    with pytest.raises(Conflict):
        services.estimate_update(
            actor=em.user,
            estimate=page,
            expected_version=page.version,
            contingency_percent="5",
            expenses="0",
            discount="0",
            lines=line_changes(page),
        )
    assert Estimate.objects.get(pk=estimate.pk).contingency_percent == Decimal("0")
