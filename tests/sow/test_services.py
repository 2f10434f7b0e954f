import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.roles import Role
from scoping import services as scoping_services
from scoping.models import ScopingIssue
from sow import margin, services
from sow.models import MANDATORY_SECTIONS, Approval, CostLine, MarginTarget, SowStatus, SowVersion
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def fill(version: SowVersion) -> SowVersion:
    for name in MANDATORY_SECTIONS:
        if not getattr(version, name):
            setattr(version, name, f"{name} text")
    version.save()
    return version


def submitted(em, draft):
    fill(draft)
    return services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)


def approved(em, director, draft):
    version = submitted(em, draft)
    return services.sow_approve(actor=director.user, version=version, expected_version=version.version)


def pdf_bytes() -> bytes:
    from sow.pdf import render_pdf

    return render_pdf("<p>Signed</p>")


# ---------------------------------------------------------------- drafting


def test_create_prefills_from_discovery_estimate_risks_and_costs(draft):
    assert draft.total == Decimal("26000.00") and draft.currency == "USD"
    assert draft.category == "migration"
    assert "Weekly releases" in draft.objectives and "Jenkins on VMs" in draft.objectives
    assert "Custom Migration: Execution (Engineer, 100 hours)" in draft.scope
    assert "Legacy jobs undocumented" in draft.risks
    lines = list(CostLine.objects.filter(cost_estimate__sow_version=draft).order_by("position"))
    assert [(line.role_name, line.hours, line.cost_rate) for line in lines] == [
        ("Technical Architect", Decimal("20.00"), Decimal("150.00")),
        ("Engineer", Decimal("100.00"), Decimal("100.00")),
    ]
    assert services.version_margin(draft).cogs == Decimal("13000.00")
    assert ScopingIssue.objects.get(pk=draft.sow.scoping_issue_id).status == "sow_in_progress"


def test_create_refused_without_agreed_estimate(em, region_amer, catalog):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="x")
    with pytest.raises(ValidationError) as exc:
        services.sow_create(actor=em.user, issue=issue)
    assert exc.value.code == "no_agreed_estimate"


def test_create_refused_while_ta_review_pending(em, make_person, region_amer):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Big")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Fee", quantity="1", unit_price="90000"
    )
    scoping_services.estimate_agree(actor=em.user, estimate=estimate)
    with pytest.raises(ValidationError) as exc:
        services.sow_create(actor=em.user, issue=issue)
    assert exc.value.code == "ta_review_pending"
    ta = make_person(Role.TECHNICAL_ARCHITECT)
    scoping_services.ta_approve(actor=ta.user, issue=issue)
    assert services.sow_create(actor=em.user, issue=issue).versions.count() == 1


def test_create_refused_for_leadership_and_other_em(leadership, other_em, ready_issue):
    for person in (leadership, other_em):
        with pytest.raises(PermissionDenied):
            services.sow_create(actor=person.user, issue=ready_issue)


def test_sections_edit_and_stale_version(em, draft):
    from core.exceptions import Conflict

    updated = services.sow_update_sections(
        actor=em.user,
        version=draft,
        expected_version=draft.version,
        pricing_type="fixed_fee",
        expiry_date=timezone.localdate() + dt.timedelta(days=30),
        deliverables="- Plan",
    )
    assert updated.deliverables == "- Plan"
    with pytest.raises(Conflict):
        services.sow_update_sections(
            actor=em.user,
            version=draft,
            expected_version=draft.version,
            pricing_type="fixed_fee",
            expiry_date=timezone.localdate() + dt.timedelta(days=30),
            deliverables="- Other",
        )
    assert SowVersion.objects.get(pk=draft.pk).deliverables == "- Plan"


# ---------------------------------------------------------------- margin


@pytest.mark.parametrize(
    ("price", "cogs", "expected"),
    [
        ("26000", "13000", Decimal("50")),
        ("10000", "7500", Decimal("25")),
        ("3", "2", Decimal("100") / 3),
        ("1000", "1200", Decimal("-20")),
    ],
)
def test_margin_math(price, cogs, expected):
    result = margin.compute(price=Decimal(price), cogs=Decimal(cogs), target_percent=Decimal("35"))
    assert result.percent == expected
    assert result.below_target == (expected < 35)


def test_margin_with_no_price_is_below_target():
    result = margin.compute(price=Decimal("0"), cogs=Decimal("10"), target_percent=Decimal("35"))
    assert result.percent is None and result.below_target


def test_target_per_category_with_global_default(settings, draft):
    settings.SOW_DEFAULT_MARGIN_TARGET = "30"
    assert services.version_margin(draft).target_percent == Decimal("30")
    MarginTarget.objects.create(category="migration", target_percent=Decimal("55"))
    result = services.version_margin(draft)
    assert result.target_percent == Decimal("55") and result.below_target


def test_below_target_submit_requires_justification(em, draft):
    fill(draft)
    services.cost_line_add(actor=em.user, version=draft, kind="partner", description="Partner", amount="6000")
    # COGS 19,000 on 26,000 → 26.9 % < 35 %
    with pytest.raises(ValidationError) as exc:
        services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)
    assert any("below the 35.0 % target" in m for m in exc.value.messages)
    assert SowVersion.objects.get(pk=draft.pk).status == "draft"
    version = services.sow_submit(
        actor=em.user, version=draft, expected_version=draft.version, justification="Strategic logo"
    )
    assert version.status == "submitted" and version.below_target_justification == "Strategic logo"


# ---------------------------------------------------------------- costs


def test_cost_lines_kinds_and_validation(em, draft, make_person):
    person = make_person(Role.PS_ENGINEER, cost_rate=Decimal("80.00"), cost_currency="USD")
    line = services.cost_line_add(
        actor=em.user, version=draft, kind="person", description="Named", person=person, hours="10"
    )
    assert (line.cost_rate, line.cost) == (Decimal("80.00"), Decimal("800.0000"))
    travel = services.cost_line_add(
        actor=em.user, version=draft, kind="travel", description="Flights", amount="1200.50"
    )
    assert travel.cost == Decimal("1200.50")
    bad_lines: tuple[dict[str, Any], ...] = (
        {"kind": "role", "role_name": "Astronaut", "hours": "1"},
        {"kind": "role", "role_name": "Engineer", "hours": "-1"},
        {"kind": "travel", "amount": "abc"},
        {"kind": "partner", "amount": "0"},
        {"kind": "weird"},
    )
    for kwargs in bad_lines:
        with pytest.raises(ValidationError):
            services.cost_line_add(actor=em.user, version=draft, description="x", **kwargs)
    eur = make_person(Role.PS_ENGINEER, cost_currency="EUR")
    with pytest.raises(ValidationError):
        services.cost_line_add(
            actor=em.user, version=draft, kind="person", description="x", person=eur, hours="1"
        )
    assert CostLine.objects.filter(cost_estimate__sow_version=draft).count() == 4


def test_submit_requires_sections_and_costs(em, draft):
    with pytest.raises(ValidationError) as exc:
        services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)
    assert any("Deliverables" in m for m in exc.value.messages)
    fill(draft)
    CostLine.objects.filter(cost_estimate__sow_version=draft).delete()
    with pytest.raises(ValidationError) as exc:
        services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)
    assert any("COGS" in m for m in exc.value.messages)


# ---------------------------------------------------------------- transitions × roles

ROLES = ["em", "em_manager", "other_em", "leadership", "director", "admin"]


def _people(em, em_manager, other_em, leadership, director, admin_person):
    return {
        "em": em,
        "em_manager": em_manager,
        "other_em": other_em,
        "leadership": leadership,
        "director": director,
        "admin": admin_person,
    }


@pytest.mark.parametrize("role", ROLES)
def test_submit_by_role(role, em, em_manager, other_em, leadership, director, admin_person, draft):
    actor = _people(em, em_manager, other_em, leadership, director, admin_person)[role]
    fill(draft)
    if role in ("em", "em_manager", "admin"):
        assert (
            services.sow_submit(actor=actor.user, version=draft, expected_version=draft.version).status
            == "submitted"
        )
    else:
        with pytest.raises(PermissionDenied):
            services.sow_submit(actor=actor.user, version=draft, expected_version=draft.version)
        assert SowVersion.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize("role", ROLES)
def test_approve_by_role(role, em, em_manager, other_em, leadership, director, admin_person, draft):
    actor = _people(em, em_manager, other_em, leadership, director, admin_person)[role]
    version = submitted(em, draft)
    if role in ("director", "admin"):
        assert (
            services.sow_approve(
                actor=actor.user, version=version, expected_version=version.version, comment="ok"
            ).status
            == "approved"
        )
        assert Approval.objects.get(sow_version=version).actor == actor.user
    else:
        with pytest.raises(PermissionDenied):
            services.sow_approve(actor=actor.user, version=version, expected_version=version.version)
        assert SowVersion.objects.get(pk=version.pk).status == "submitted"


def test_approver_cannot_approve_own_sow(director, ready_issue, em):
    director.user.user_permissions.add(*_edit_permissions())
    scoping_issue = ready_issue
    from sow.models import Sow

    sow = services.sow_create(actor=em.user, issue=scoping_issue)
    version = sow.versions.get()
    SowVersion.objects.filter(pk=version.pk).update(author=director.user)
    version.refresh_from_db()
    fill(version)
    services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    version.refresh_from_db()
    with pytest.raises(PermissionDenied, match="authored"):
        services.sow_approve(actor=director.user, version=version, expected_version=version.version)
    assert Sow.objects.get(pk=sow.pk).versions.get().status == "submitted"


def _edit_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=["add_sow", "change_sow"])


def test_request_changes_needs_comment_then_reopen_and_resubmit(em, director, draft):
    version = submitted(em, draft)
    with pytest.raises(ValidationError):
        services.sow_request_changes(
            actor=director.user, version=version, expected_version=version.version, comment=" "
        )
    services.sow_request_changes(
        actor=director.user, version=version, expected_version=version.version, comment="Add a phase gate"
    )
    version.refresh_from_db()
    assert version.status == "changes_requested"
    with pytest.raises(ValidationError):
        services.sow_update_sections(
            actor=em.user,
            version=version,
            expected_version=version.version,
            pricing_type="fixed_fee",
            expiry_date=timezone.localdate() + dt.timedelta(days=30),
            deliverables="x",
        )
    services.sow_reopen(actor=em.user, version=version, expected_version=version.version)
    version.refresh_from_db()
    services.sow_update_sections(
        actor=em.user,
        version=version,
        expected_version=version.version,
        pricing_type="fixed_fee",
        expiry_date=timezone.localdate() + dt.timedelta(days=30),
        deliverables="- With phase gate",
    )
    version.refresh_from_db()
    assert (
        services.sow_submit(actor=em.user, version=version, expected_version=version.version).status
        == "submitted"
    )
    assert list(Approval.objects.values_list("decision", flat=True)) == ["changes_requested"]


def test_approved_version_is_frozen_and_revise_needs_approval_again(em, director, draft):
    version = approved(em, director, draft)
    with pytest.raises(ValidationError):
        services.sow_update_sections(
            actor=em.user,
            version=version,
            expected_version=version.version,
            pricing_type="fixed_fee",
            expiry_date=timezone.localdate() + dt.timedelta(days=30),
            scope="changed",
        )
    with pytest.raises(ValidationError):
        services.cost_line_add(actor=em.user, version=version, kind="travel", description="x", amount="5")
    v2 = services.sow_revise(actor=em.user, version=version, expected_version=version.version)
    assert (v2.number, v2.status) == (2, "draft")
    assert CostLine.objects.filter(cost_estimate__sow_version=v2).count() == 2
    fill(v2)
    v2 = services.sow_submit(actor=em.user, version=v2, expected_version=v2.version)
    services.sow_approve(actor=director.user, version=v2, expected_version=v2.version)
    assert dict(SowVersion.objects.values_list("number", "status")) == {1: "superseded", 2: "approved"}


def test_sent_signed_handoff(em, director, draft, make_person):
    version = approved(em, director, draft)
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.sow_mark_signed(
            actor=em.user,
            version=version,
            expected_version=version.version,
            signed_on=today,
            signed_copy=SimpleUploadedFile("s.pdf", pdf_bytes()),
        )
    version = services.sow_mark_sent(
        actor=em.user,
        version=version,
        expected_version=version.version,
        sent_on=today,
        recipients="cfo@harbor.example",
    )
    version = services.sow_mark_signed(
        actor=em.user,
        version=version,
        expected_version=version.version,
        signed_on=today,
        signed_copy=SimpleUploadedFile("s.pdf", pdf_bytes(), content_type="application/pdf"),
    )
    version.refresh_from_db()
    assert version.signed_copy.name is not None
    assert version.status == "signed" and version.signed_copy.name.endswith(".pdf")
    assert services.days_to_signature(version) == 0
    with pytest.raises(ValidationError):
        services.sow_withdraw(
            actor=em.user, version=version, expected_version=version.version, reason="too late"
        )
    lead = make_person(Role.PROJECT_MANAGER)
    services.sow_hand_off(
        actor=em.user,
        version=version,
        expected_version=version.version,
        delivery_lead=lead,
        kickoff_date=today + dt.timedelta(7),
        staffing_confirmed=True,
        notes="Kickoff booked",
    )
    version.refresh_from_db()
    assert version.status == "handed_off" and version.hand_off.delivery_lead == lead


def test_sent_date_rules(em, director, draft):
    version = approved(em, director, draft)
    with pytest.raises(ValidationError):
        services.sow_mark_sent(
            actor=em.user,
            version=version,
            expected_version=version.version,
            sent_on=timezone.localdate() + dt.timedelta(3),
            recipients="x",
        )
    with pytest.raises(ValidationError):
        services.sow_mark_sent(
            actor=em.user,
            version=version,
            expected_version=version.version,
            sent_on=timezone.localdate(),
            recipients=" ",
        )


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("contract.pdf", b"MZ\x90\x00 this is an exe renamed", "not_pdf"),
        ("contract.pdf", b"%PDF-1.7 but broken", "unreadable_pdf"),
        ("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024), "too_large"),
    ],
)
def test_signed_copy_checked_by_content_and_size(em, director, draft, name, content, code):
    version = approved(em, director, draft)
    version = services.sow_mark_sent(
        actor=em.user,
        version=version,
        expected_version=version.version,
        sent_on=timezone.localdate(),
        recipients="cfo",
    )
    with pytest.raises(ValidationError) as exc:
        services.sow_mark_signed(
            actor=em.user,
            version=version,
            expected_version=version.version,
            signed_on=timezone.localdate(),
            signed_copy=SimpleUploadedFile(name, content, content_type="application/pdf"),
        )
    assert exc.value.error_dict["signed_copy"][0].code == code
    assert SowVersion.objects.get(pk=version.pk).status == "sent"


@pytest.mark.parametrize("status_path", ["draft", "submitted", "approved"])
def test_withdraw_before_signature(em, director, draft, status_path):
    version = draft
    if status_path != "draft":
        version = submitted(em, draft)
    if status_path == "approved":
        version = services.sow_approve(actor=director.user, version=version, expected_version=version.version)
    with pytest.raises(ValidationError):
        services.sow_withdraw(actor=em.user, version=version, expected_version=version.version, reason="")
    assert (
        services.sow_withdraw(
            actor=em.user,
            version=version,
            expected_version=version.version,
            reason="Customer chose another partner",
        ).status
        == SowStatus.WITHDRAWN
    )


def test_notifications(em, director, second_director, draft, django_capture_on_commit_callbacks):
    em.user.email = "em.amer@example.com"
    em.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        version = submitted(em, draft)
    # One email to each director, each told once.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([director.user.email, second_director.user.email])
    assert all("SOW for approval" in m.subject for m in mail.outbox)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.sow_request_changes(
            actor=director.user, version=version, expected_version=version.version, comment="Tighten scope"
        )
    [message] = mail.outbox
    assert "Tighten scope" in message.body
    assert message.to == ["em.amer@example.com"]


def _to_state(state, em, director, draft):
    """Bring the draft to `state` through the services, acting as the EM and the director."""
    version = fill(draft)
    if state == "draft":
        return version
    version = services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    if state == "submitted":
        return version
    if state == "changes_requested":
        return services.sow_request_changes(
            actor=director.user, version=version, expected_version=version.version, comment="fix"
        )
    version = services.sow_approve(actor=director.user, version=version, expected_version=version.version)
    if state == "approved":
        return version
    version = services.sow_mark_sent(
        actor=em.user,
        version=version,
        expected_version=version.version,
        sent_on=timezone.localdate(),
        recipients="cfo",
    )
    if state == "sent":
        return version
    version = services.sow_mark_signed(
        actor=em.user,
        version=version,
        expected_version=version.version,
        signed_on=timezone.localdate(),
        signed_copy=SimpleUploadedFile("s.pdf", pdf_bytes()),
    )
    return version


# transition -> (state it starts from, callable(actor, version, extra))
TRANSITIONS = {
    "submit": (
        "draft",
        lambda actor, v, x: services.sow_submit(actor=actor.user, version=v, expected_version=v.version),
    ),
    "approve": (
        "submitted",
        lambda actor, v, x: services.sow_approve(actor=actor.user, version=v, expected_version=v.version),
    ),
    "reopen": (
        "changes_requested",
        lambda actor, v, x: services.sow_reopen(actor=actor.user, version=v, expected_version=v.version),
    ),
    "revise": (
        "approved",
        lambda actor, v, x: services.sow_revise(actor=actor.user, version=v, expected_version=v.version),
    ),
    "withdraw": (
        "submitted",
        lambda actor, v, x: services.sow_withdraw(
            actor=actor.user, version=v, expected_version=v.version, reason="r"
        ),
    ),
    "request_changes": (
        "submitted",
        lambda actor, v, x: services.sow_request_changes(
            actor=actor.user, version=v, expected_version=v.version, comment="c"
        ),
    ),
    "mark_sent": (
        "approved",
        lambda actor, v, x: services.sow_mark_sent(
            actor=actor.user,
            version=v,
            expected_version=v.version,
            sent_on=timezone.localdate(),
            recipients="cfo",
        ),
    ),
    "mark_signed": (
        "sent",
        lambda actor, v, x: services.sow_mark_signed(
            actor=actor.user,
            version=v,
            expected_version=v.version,
            signed_on=timezone.localdate(),
            signed_copy=SimpleUploadedFile("s.pdf", pdf_bytes()),
        ),
    ),
    "hand_off": (
        "signed",
        lambda actor, v, x: services.sow_hand_off(
            actor=actor.user,
            version=v,
            expected_version=v.version,
            delivery_lead=x,
            kickoff_date=timezone.localdate(),
            staffing_confirmed=True,
        ),
    ),
}
EM_SIDE = {"em", "em_manager", "admin"}
DIRECTOR_SIDE = {"director", "admin"}
DECISIONS = {"approve", "request_changes"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("transition", list(TRANSITIONS))
def test_transition_by_role(
    transition, role, em, em_manager, other_em, leadership, director, admin_person, draft, make_person
):
    people = _people(em, em_manager, other_em, leadership, director, admin_person)
    start, action = TRANSITIONS[transition]
    version = _to_state(start, em, director, draft)
    version.refresh_from_db()
    lead = make_person(Role.PROJECT_MANAGER)
    allowed = role in (DIRECTOR_SIDE if transition in DECISIONS else EM_SIDE)
    if allowed:
        action(people[role], version, lead)
    else:
        with pytest.raises(PermissionDenied):
            action(people[role], version, lead)
        assert SowVersion.objects.get(pk=version.pk).status == start


@pytest.mark.parametrize("transition", list(TRANSITIONS))
def test_transition_refused_from_wrong_state(transition, em, director, draft, make_person):
    start, action = TRANSITIONS[transition]
    lead = make_person(Role.PROJECT_MANAGER)
    wrong = {"withdraw": "signed", "submit": "submitted"}.get(transition, "draft")
    version = _to_state(wrong, em, director, draft)
    actor = director if transition in DECISIONS else em
    with pytest.raises(ValidationError):
        action(actor, version, lead)
    assert SowVersion.objects.get(pk=version.pk).status == wrong


@pytest.mark.parametrize("transition", list(TRANSITIONS))
def test_transition_refuses_a_stale_version(
    transition, em, director, draft, make_person, django_capture_on_commit_callbacks
):
    from core.exceptions import Conflict
    from sow.models import HandOff

    start, action = TRANSITIONS[transition]
    version = _to_state(start, em, director, draft)
    version.refresh_from_db()
    current, approvals = version.version, Approval.objects.count()
    version.version = current - 1  # the user's page was loaded before the last change
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        action(director if transition in DECISIONS else em, version, make_person(Role.PROJECT_MANAGER))
    fresh = SowVersion.objects.get(pk=version.pk)
    assert (fresh.status, fresh.version) == (start, current)
    assert SowVersion.objects.filter(sow=version.sow).count() == 1  # no new version from revise
    assert Approval.objects.count() == approvals and not HandOff.objects.exists()
    assert mail.outbox == []
