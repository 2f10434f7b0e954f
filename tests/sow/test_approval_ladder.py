"""The approval ladder: rules pick the steps, steps run in order, anyone may send it back, nobody
approves their own SOW, delegates decide on behalf of the approver, and the margin floor holds."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditEntry
from core.roles import Role
from sow import services
from sow.margin import compute
from sow.models import (
    ApprovalRule,
    ApprovalStep,
    ApproverRole,
    ApproverRoleMember,
    Delegation,
    MarginTarget,
    SowStatus,
)
from sow.services import ladder
from tests.sow.factories import take_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles(make_person, region_amer):
    """Finance and VP PS approvers (logins that may open the approval queue), each a role member."""
    boss = make_person(Role.LEADERSHIP, username="ceo", name="Cora Ceo")
    finance = make_person(Role.PS_DIRECTOR, username="finance", name="Fiona Finance", manager=boss)
    vp = make_person(Role.PS_DIRECTOR, username="vp", name="Victor Vp", manager=boss)
    finance_role = ApproverRole.objects.create(name="Finance")
    vp_role = ApproverRole.objects.create(name="VP PS")
    ApproverRoleMember.objects.create(role=finance_role, person=finance)
    ApproverRoleMember.objects.create(role=vp_role, person=vp)
    return {"finance": finance, "vp": vp, "finance_role": finance_role, "vp_role": vp_role, "boss": boss}


@pytest.fixture
def rules(roles):
    """Finance above USD 25,000; VP PS below the floor; Legal for non-standard terms (no member)."""
    legal = ApproverRole.objects.create(name="Legal")
    return [
        ApprovalRule.objects.create(
            name="Large", order=20, min_price=Decimal("25000"), approver_role=roles["finance_role"]
        ),
        ApprovalRule.objects.create(
            name="Below floor", order=30, margin_below_floor=True, approver_role=roles["vp_role"]
        ),
        ApprovalRule.objects.create(name="Terms", order=40, non_standard_terms=True, approver_role=legal),
        ApprovalRule.objects.create(
            name="Discount", order=50, min_discount_percent=Decimal("10"), approver_role=legal
        ),
    ]


@pytest.fixture
def low_margin(db):
    """The draft's margin is 50 % (26,000 price, 13,000 COGS): below a 60 % target and 55 % floor."""
    return MarginTarget.objects.create(
        category="migration", target_percent=Decimal("60"), floor_percent=Decimal("55")
    )


def submit(em, version):
    version = take_to(version, "draft", em=em, director=None)
    return services.sow_submit(
        actor=em.user, version=version, expected_version=version.version, justification="Strategic logo"
    )


def approve(person, version, comment=""):
    version.refresh_from_db()
    return services.sow_approve(
        actor=person.user, version=version, expected_version=version.version, comment=comment
    )


def statuses(version):
    return [(s.position, s.label, s.status) for s in ladder.steps_of(version)]


# --------------------------------------------------------------------------- ladders from rules


def test_large_low_margin_sow_gets_director_finance_and_vp_in_order(em, draft, rules, low_margin):
    version = submit(em, draft)

    steps = ladder.steps_of(version)
    assert ladder.ladder_text(steps) == (
        "1. PS Director · 2. Finance (price > USD 25,000) · 3. VP PS (margin 50 % below floor 55 %)"
    )
    assert [s.status for s in steps] == ["waiting", "pending", "pending"]
    assert [s.is_floor for s in steps] == [False, False, True]


def test_small_sow_without_floor_needs_only_the_director(em, draft, rules):
    rules[0].min_price = Decimal("26000")  # the price is 26,000: not above
    rules[0].save()
    version = submit(em, draft)
    assert ladder.ladder_text(ladder.steps_of(version)) == "1. PS Director"


def _facts(**overrides):
    values: dict[str, Any] = {
        "is_change_request": False,
        "price": Decimal("300000"),
        "currency": "USD",
        "corporate_price": Decimal("300000"),
        "margin": compute(price=Decimal("100"), cogs=Decimal("78"), target_percent=Decimal("30")),
        "floor_percent": Decimal("25"),
        "discount_percent": Decimal("12"),
        "pricing_type": "fixed_fee",
        "region": None,
        "category": "implementation",
        "non_standard_terms": False,
    }
    values.update(overrides)
    return ladder.Facts(**values)


def _rule(name, order, role, **conditions):
    return ApprovalRule(name=name, order=order, approver_role=role, **conditions)


def test_hand_built_cases_pick_each_condition(region_amer, region_emea):
    finance = ApproverRole(name="Finance", pk=1)
    vp, legal = ApproverRole(name="VP PS", pk=2), ApproverRole(name="Legal", pk=3)
    rules = [
        _rule("size", 1, finance, min_price=Decimal("250000")),
        _rule("floor", 2, vp, margin_below_floor=True),
        _rule("discount", 3, finance, min_discount_percent=Decimal("10")),
        _rule("terms", 4, legal, non_standard_terms=True),
        _rule("cr", 5, finance, applies_to="change_requests"),
    ]
    for i, rule in enumerate(rules):
        rule.pk = i + 1

    text = ladder.ladder_text(ladder.plan(_facts(), rules))
    # The discount rule names Finance again: its reason joins Finance's step.
    assert text == (
        "1. PS Director · 2. Finance (price > USD 250,000; discount 12 %) · "
        "3. VP PS (margin 22 % below floor 25 %)"
    )
    assert ladder.ladder_text(ladder.plan(_facts(non_standard_terms=True), rules)).endswith(
        "4. Legal (non-standard terms)"
    )
    small = _facts(
        corporate_price=Decimal("250000"),
        discount_percent=Decimal("9.99"),
        margin=compute(price=Decimal("100"), cogs=Decimal("70"), target_percent=Decimal("30")),
    )
    assert ladder.ladder_text(ladder.plan(small, rules)) == "1. PS Director"
    # A change request: only rules for change requests (the CR rule, which asks nothing else).
    change = ladder.plan(_facts(is_change_request=True, corporate_price=Decimal("1000")), rules)
    assert ladder.ladder_text(change) == "1. PS Director · 2. Finance (change request)"


def test_region_condition_and_region_scoped_step(region_amer, region_emea):
    vp = ApproverRole(name="VP PS", pk=7)
    rules = [
        ApprovalRule(
            name="EMEA fixed fee",
            pk=1,
            order=1,
            approver_role=vp,
            region=region_emea,
            pricing_type="fixed_fee",
            region_scoped=True,
        ),
    ]
    assert ladder.ladder_text(ladder.plan(_facts(region=region_amer), rules)) == "1. PS Director"
    assert ladder.ladder_text(ladder.plan(_facts(region=region_emea), rules)) == (
        "1. PS Director · 2. VP PS EMEA (fixed fee; region EMEA)"
    )
    assert ladder.ladder_text(ladder.plan(_facts(region=region_emea, pricing_type="sku"), rules)) == (
        "1. PS Director"
    )


def test_region_scoped_step_goes_only_to_that_regions_members(
    em, draft, make_person, region_amer, region_emea
):
    vp_role = ApproverRole.objects.create(name="VP PS")
    amer_vp = make_person(Role.PS_DIRECTOR, username="vp_amer", name="Ava Amer")
    emea_vp = make_person(Role.PS_DIRECTOR, username="vp_emea", name="Emil Emea")
    ApproverRoleMember.objects.create(role=vp_role, person=amer_vp, region=region_amer)
    ApproverRoleMember.objects.create(role=vp_role, person=emea_vp, region=region_emea)
    ApprovalRule.objects.create(name="All", order=5, approver_role=vp_role, region_scoped=True)
    director = make_person(Role.PS_DIRECTOR, username="dir", name="Dana Director")
    version = submit(em, draft)  # an AMER deal
    assert ladder.ladder_text(ladder.steps_of(version)) == "1. PS Director · 2. VP PS AMER"
    approve(director, version)
    step = ladder.current_step(version)
    assert step is not None and ladder.step_people(step) == [amer_vp]
    version.refresh_from_db()
    with pytest.raises(PermissionDenied, match="waits for VP PS AMER"):
        approve(emea_vp, version)
    assert approve(amer_vp, version).status == SowStatus.APPROVED


# --------------------------------------------------------------------------- running the ladder


def test_steps_run_in_order_and_the_last_approval_approves(em, director, draft, rules, low_margin, roles):
    version = submit(em, draft)
    with pytest.raises(PermissionDenied, match="You approve step 3. VP PS"):
        approve(roles["vp"], version)  # may open the queue, but the director step is another's
    version = approve(director, version)
    assert version.status == SowStatus.SUBMITTED
    assert statuses(version) == [
        (1, "PS Director", "approved"),
        (2, "Finance", "waiting"),
        (3, "VP PS", "pending"),
    ]
    with pytest.raises(PermissionDenied, match="Step 2. Finance .* waits for Finance"):
        approve(roles["vp"], version)
    version = approve(roles["finance"], version)
    assert version.status == SowStatus.SUBMITTED
    version = approve(roles["vp"], version, comment="Strategic, accepted")
    assert version.status == SowStatus.APPROVED
    assert [s.status for s in ladder.steps_of(version)] == ["approved"] * 3


def test_request_changes_mid_ladder_and_resubmit_recomputes(em, director, draft, rules, low_margin, roles):
    version = submit(em, draft)
    version = approve(director, version)
    version.refresh_from_db()
    version = services.sow_request_changes(
        actor=roles["finance"].user,
        version=version,
        expected_version=version.version,
        comment="Cut the price",
    )
    assert version.status == SowStatus.CHANGES_REQUESTED
    assert statuses(version) == [
        (1, "PS Director", "approved"),
        (2, "Finance", "changes_requested"),
        (3, "VP PS", "closed"),
    ]
    version = services.sow_reopen(actor=em.user, version=version, expected_version=version.version)
    low_margin.floor_percent = Decimal("45")  # the floor moved: 50 % is above it now
    low_margin.save()
    version = services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    assert ladder.ladder_text(ladder.steps_of(version)) == "1. PS Director · 2. Finance (price > USD 25,000)"
    assert ApprovalStep.objects.filter(sow_version=version, round=1).count() == 3  # the old round is kept
    version = approve(director, version)
    assert approve(roles["finance"], version).status == SowStatus.APPROVED


def test_ladder_is_frozen_with_the_submitted_version(em, draft, rules, low_margin):
    version = submit(em, draft)
    ApprovalRule.objects.update(active=False)
    low_margin.delete()
    assert ladder.ladder_text(ladder.steps_of(version)).startswith("1. PS Director · 2. Finance")


def test_self_approval_is_refused_at_every_step(em, director, draft, rules, low_margin, roles):
    draft.author = roles["vp"].user  # the VP drafted it
    draft.save()
    version = submit(em, draft)
    with pytest.raises(PermissionDenied):
        approve(roles["vp"], version)  # step 1
    version = approve(director, version)
    with pytest.raises(PermissionDenied):
        approve(roles["vp"], version)  # step 2 (not theirs anyway)
    version = approve(roles["finance"], version)
    with pytest.raises(PermissionDenied, match="authored this SOW"):
        approve(roles["vp"], version)  # step 3: theirs, but their own SOW
    step = ladder.current_step(version)
    assert step is not None and step.position == 3


def test_one_person_decides_one_step_of_a_ladder(
    em, director, second_director, draft, rules, low_margin, roles
):
    ApproverRoleMember.objects.create(role=roles["finance_role"], person=director)
    ApproverRoleMember.objects.create(role=roles["vp_role"], person=roles["finance"])
    version = submit(em, draft)
    with pytest.raises(PermissionDenied, match="another PS Director must approve this one"):
        approve(director, version)  # a Finance approver leaves the director step to another
    version = approve(second_director, version)
    version = approve(roles["finance"], version)
    with pytest.raises(PermissionDenied, match="approved an earlier step"):
        approve(roles["finance"], version)  # a VP PS member too, but one step each
    assert approve(roles["vp"], version).status == SowStatus.APPROVED


# --------------------------------------------------------------------------- delegation and audit


def test_delegate_in_range_approves_on_behalf_and_the_audit_says_so(
    em, director, second_director, draft, rules, low_margin, roles
):
    today = timezone.localdate()
    ladder.delegation_set(
        actor=roles["vp"].user,
        delegate=second_director,
        starts_on=today,
        ends_on=today + dt.timedelta(days=3),
    )
    version = submit(em, draft)
    version = approve(director, version)
    version = approve(roles["finance"], version)
    version = approve(second_director, version, comment="Covering for Victor")
    assert version.status == SowStatus.APPROVED
    step = ladder.steps_of(version)[2]
    assert (step.decided_by, step.on_behalf_of) == (second_director.user, roles["vp"])
    assert ladder.decided_words(step) == "Approved by Drew Director on behalf of Victor Vp"
    entries = list(
        AuditEntry.objects.filter(object_id=str(version.pk), action__contains="step").order_by("at", "pk")
    )
    assert [e.action for e in entries] == [
        "approved step 1 of 3 (PS Director)",
        "approved step 2 of 3 (Finance)",
        "approved step 3 of 3 (VP PS)",
    ]
    assert entries[2].changes[0]["after"] == "Approved by Drew Director on behalf of Victor Vp"
    assert entries[2].note == "Covering for Victor"
    assert entries[0].changes[0]["after"] == "Approved by Dana Director"


def test_delegate_out_of_range_is_refused(em, director, second_director, draft, rules, low_margin, roles):
    today = timezone.localdate()
    Delegation.objects.create(
        person=roles["vp"],
        delegate=second_director,
        starts_on=today + dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=5),
    )
    Delegation.objects.create(
        person=roles["vp"],
        delegate=second_director,
        starts_on=today - dt.timedelta(days=9),
        ends_on=today - dt.timedelta(days=1),
    )
    version = submit(em, draft)
    version = approve(director, version)
    version = approve(roles["finance"], version)
    with pytest.raises(PermissionDenied, match="waits for VP PS"):
        approve(second_director, version)


def test_delegation_input_errors_are_field_errors(roles, second_director, em):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        ladder.delegation_set(
            actor=roles["vp"].user,
            delegate=roles["vp"],
            starts_on=today,
            ends_on=today - dt.timedelta(days=1),
        )
    assert set(caught.value.message_dict) == {"delegate", "ends_on"}
    with pytest.raises(ValidationError) as caught:
        ladder.delegation_set(actor=roles["vp"].user, delegate=em, starts_on=today, ends_on=today)
    assert "cannot open the approval queue" in caught.value.message_dict["delegate"][0]


# --------------------------------------------------------------------------- the margin floor


def test_below_floor_without_the_floor_approver_cannot_be_sent(em, director, draft, low_margin):
    version = submit(em, draft)  # no rule for the floor: the director alone approves
    version = approve(director, version)
    assert version.status == SowStatus.APPROVED
    with pytest.raises(ValidationError, match="below the 55 % floor"):
        services.sow_mark_sent(
            actor=em.user,
            version=version,
            expected_version=version.version,
            sent_on=timezone.localdate(),
            recipients="cfo@harbor.example",
        )


def test_below_floor_with_the_floor_approver_is_sent(em, director, draft, rules, low_margin, roles):
    version = submit(em, draft)
    for person in (director, roles["finance"], roles["vp"]):
        version = approve(person, version)
    version = services.sow_mark_sent(
        actor=em.user,
        version=version,
        expected_version=version.version,
        sent_on=timezone.localdate(),
        recipients="cfo@harbor.example",
    )
    assert version.status == SowStatus.SENT


def test_non_standard_terms_need_a_note_and_bring_legal(em, director, draft, make_person):
    legal = ApproverRole.objects.create(name="Legal")
    ApprovalRule.objects.create(name="Terms", order=40, non_standard_terms=True, approver_role=legal)
    draft = take_to(draft, "draft", em=em, director=director)
    draft = services.sow_update_sections(
        actor=em.user,
        version=draft,
        expected_version=draft.version,
        pricing_type=draft.pricing_type,
        expiry_date=draft.expiry_date,
        non_standard_terms=True,
        non_standard_terms_note="",
    )
    assert "Say what the non-standard terms are." in services.submission_problems(draft)
    draft = services.sow_update_sections(
        actor=em.user,
        version=draft,
        expected_version=draft.version,
        pricing_type=draft.pricing_type,
        expiry_date=draft.expiry_date,
        non_standard_terms=True,
        non_standard_terms_note="Liability cap at 2x fees",
    )
    version = services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)
    assert ladder.ladder_text(ladder.steps_of(version)) == "1. PS Director · 2. Legal (non-standard terms)"


def test_change_request_climbs_its_own_ladder(em, director, draft, roles):
    from sow.services import change_requests
    from tests.sow.test_change_requests import bring_to

    ApprovalRule.objects.create(
        name="Every change request",
        order=20,
        applies_to="change_requests",
        approver_role=roles["finance_role"],
    )
    ApprovalRule.objects.create(name="SOWs only", order=30, approver_role=roles["vp_role"])
    signed = take_to(draft, "draft", em=em, director=None)
    signed = services.sow_submit(actor=em.user, version=signed, expected_version=signed.version)
    signed = approve(director, signed)
    signed = approve(roles["vp"], signed)
    assert signed.status == SowStatus.APPROVED  # the SOW's ladder had the VP, not Finance
    version = services.sow_mark_sent(
        actor=em.user,
        version=signed,
        expected_version=signed.version,
        sent_on=timezone.localdate(),
        recipients="x@y.example",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.sow.factories import blank_pdf

    version = services.sow_mark_signed(
        actor=em.user,
        version=version,
        expected_version=version.version,
        signed_on=timezone.localdate(),
        signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
    )
    change = change_requests.change_request_create(
        actor=em.user, version=version, title="More", reason="More scope", schedule_impact=""
    )
    change = bring_to(change, "submitted", em=em, director=director)
    assert ladder.ladder_text(ladder.steps_of(change)) == "1. PS Director · 2. Finance (change request)"
    change = change_requests.change_request_approve(
        actor=director.user, change_request=change, expected_version=change.version
    )
    assert change.status == "submitted"
    with pytest.raises(PermissionDenied):
        change_requests.change_request_approve(
            actor=roles["vp"].user, change_request=change, expected_version=change.version
        )
    change = change_requests.change_request_approve(
        actor=roles["finance"].user, change_request=change, expected_version=change.version
    )
    assert change.status == "approved"


def _draft_change_request(em, director, draft):
    """The draft taken to signed, and a draft change request on it (one labour line)."""
    from sow.services import change_requests
    from tests.sow.test_change_requests import bring_to

    signed = take_to(draft, "signed", em=em, director=director)
    change = change_requests.change_request_create(
        actor=em.user, version=signed, title="More", reason="More scope", schedule_impact=""
    )
    return bring_to(change, "draft", em=em, director=director)


def _floor_above(change) -> None:
    """A margin target and floor for the SOW's category above the contract margin after the change."""
    margin = ladder.facts_of(change).margin.percent
    assert margin is not None
    MarginTarget.objects.create(
        category=change.sow_version.category, target_percent=margin + 10, floor_percent=margin + 5
    )


def _submit(em, change):
    from sow.services import change_requests

    return change_requests.change_request_submit(
        actor=em.user,
        change_request=change,
        expected_version=change.version,
        justification="Strategic account: the follow-on work is priced at list",
    )


def _approve(person, change):
    from sow.services import change_requests

    return change_requests.change_request_approve(
        actor=person.user, change_request=change, expected_version=change.version
    )


def _mark_sent(em, change):
    from sow.services import change_requests

    return change_requests.change_request_mark_sent(
        actor=em.user,
        change_request=change,
        expected_version=change.version,
        sent_on=timezone.localdate(),
        recipients="cfo@harbor.example",
    )


def test_change_request_below_the_floor_needs_the_floor_approver_before_it_is_sent(em, director, draft):
    change = _draft_change_request(em, director, draft)
    _floor_above(change)
    change = _approve(director, _submit(em, change))
    assert change.status == "approved"  # no floor rule: the director alone approved it
    with pytest.raises(ValidationError, match="contract margin after this change .* is below the"):
        _mark_sent(em, change)
    change.refresh_from_db()
    assert change.status == "approved" and change.sent_to == ""


def test_change_request_below_the_floor_approved_by_the_floor_approver_is_sent(em, director, draft, roles):
    ApprovalRule.objects.create(
        name="Below floor",
        order=30,
        margin_below_floor=True,
        applies_to=ApprovalRule.AppliesTo.BOTH,
        approver_role=roles["vp_role"],
    )
    change = _draft_change_request(em, director, draft)
    _floor_above(change)
    change = _submit(em, change)
    assert "VP PS" in ladder.ladder_text(ladder.steps_of(change))
    change = _approve(roles["vp"], _approve(director, change))
    assert change.status == "approved"
    assert _mark_sent(em, change).status == "sent"
