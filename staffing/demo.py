"""Demo staffing for `manage.py seed_demo` (idempotent): a second demo SOW taken to signed through the
services, with staffing requirements, and a few assignments so availability means something."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.roles import Role
from engagements.models import Opportunity
from people.models import Person, Skill
from scoping import services as scoping_services
from scoping.models import ServiceOffering
from sow import services as sow_services
from sow.models import MANDATORY_SECTIONS, Sow, SowStatus, SowVersion
from sow.pdf import render_pdf
from staffing import services
from staffing.models import StaffingRequirement

# title, delivery role, required skills, nice-to-have skills, languages, overlap h, h/week, start week, weeks
Requirement = tuple[str, str, dict[str, int], dict[str, int], list[str], str, str, int, int]
REQUIREMENTS: list[Requirement] = [
    (
        "Lead platform engineer",
        Role.PS_ENGINEER,
        {"Kubernetes": 3},
        {"CI/CD": 3, "AWS": 3, "Terraform": 3},
        ["English"],
        "4",
        "24",
        0,
        10,
    ),
    (
        "Migration specialist",
        Role.PS_ENGINEER,
        {"Migration": 3},
        {"Java": 3, "CI/CD": 3},
        ["English", "French"],
        "2",
        "16",
        2,
        6,
    ),
    ("Project manager", Role.PROJECT_MANAGER, {"Project management": 3}, {}, ["English"], "3", "8", 0, 10),
]
CUSTOMER_TIME_ZONES = {"AMER": "America/New_York", "EMEA": "Europe/London", "APAC": "Australia/Sydney"}


def _signed_copy() -> SimpleUploadedFile:
    return SimpleUploadedFile("signed.pdf", render_pdf("<h1>Signed</h1><p>Countersigned demo copy.</p>"))


def _sign_a_demo_sow() -> SowVersion | None:
    """Draft, cost, submit, approve, send and sign a SOW for a demo opportunity, through the services."""
    director = Person.objects.filter(role=Role.PS_DIRECTOR, user__isnull=False).select_related("user").first()
    opportunity = (
        Opportunity.objects.filter(
            is_closed=False,
            currency="USD",
            engagement_manager__user__isnull=False,
            salesforce_id__startswith="006DM",
            scoping_issues__isnull=True,
        )
        .select_related("engagement_manager__user", "account", "region")
        .order_by("salesforce_id")
        .first()
    )
    offering = ServiceOffering.objects.filter(code="PKG-RAPID-IMPL", currency="USD").first()
    if director is None or director.user is None or opportunity is None or offering is None:
        return None
    em = opportunity.engagement_manager
    assert em is not None and em.user is not None
    actor = em.user
    issue = scoping_services.scoping_issue_create(
        actor=actor,
        opportunity=opportunity,
        title=f"{opportunity.account.name} — platform rollout",
        current_state="Jenkins on ageing VMs; monthly releases with manual steps.",
        desired_outcomes="Weekly releases on one platform, with an audit trail.",
        requirements="SSO, self-hosted runners, 20 repositories migrated.",
    )
    estimate = scoping_services.estimate_create(actor=actor, issue=issue)
    scoping_services.estimate_add_offering(actor=actor, estimate=estimate, offering=offering)
    scoping_services.estimate_agree(actor=actor, estimate=estimate)
    issue.refresh_from_db()
    sow = sow_services.sow_create(actor=actor, issue=issue)
    version = sow.versions.get()
    for name in MANDATORY_SECTIONS:
        if not (getattr(version, name) or "").strip():
            setattr(version, name, "As agreed with the customer in the scoping workshop.")
    version.recommendation = "Signed quickly; customer wants the lead engineer to start within three weeks."
    version.save()
    version = sow_services.sow_submit(
        actor=actor,
        version=version,
        expected_version=version.version,
        justification="Strategic account; packaged delivery keeps risk low.",
    )
    version = sow_services.sow_approve(
        actor=director.user, version=version, expected_version=version.version, comment="Approved."
    )
    today = timezone.localdate()
    version = sow_services.sow_mark_sent(
        actor=actor,
        version=version,
        expected_version=version.version,
        sent_on=today,
        recipients="procurement@customer.example",
    )
    return sow_services.sow_mark_signed(
        actor=actor,
        version=version,
        expected_version=version.version,
        signed_on=today,
        signed_copy=_signed_copy(),
    )


def _requirements(
    sow: Sow, actor: User, start: dt.date, rows: list[Requirement] = REQUIREMENTS
) -> list[StaffingRequirement]:
    skills = dict(Skill.objects.values_list("name", "pk"))
    region = sow.opportunity.region.code if sow.opportunity.region else ""
    made = []
    for title, role, required, nice, languages, overlap, hours, start_week, weeks in rows:
        begin = start + dt.timedelta(weeks=start_week)
        made.append(
            services.staffing_requirement_create(
                actor=actor,
                sow=sow,
                title=title,
                delivery_role=role,
                required_skills={skills[n]: lvl for n, lvl in required.items() if n in skills},
                nice_skills={skills[n]: lvl for n, lvl in nice.items() if n in skills},
                languages=languages,
                customer_time_zone=CUSTOMER_TIME_ZONES.get(region, "America/New_York"),
                overlap_hours=Decimal(overlap),
                hours_per_week=Decimal(hours),
                start_date=begin,
                end_date=begin + dt.timedelta(weeks=weeks, days=-3),
            )
        )
    return made


def seed() -> int:
    """Requirements on a signed demo SOW (made if missing) and a pipeline proposal on the submitted
    one; returns the number of requirements created (0 when they exist already)."""
    if StaffingRequirement.objects.exists():
        return 0
    signed = (
        SowVersion.objects.filter(status__in=[SowStatus.SIGNED, SowStatus.HANDED_OFF])
        .select_related("sow__opportunity__region")
        .first()
    ) or _sign_a_demo_sow()
    ops = Person.objects.filter(role=Role.PS_OPERATIONS, user__isnull=False).select_related("user").first()
    if signed is None or ops is None or ops.user is None:
        return 0
    today = timezone.localdate()
    start = today + dt.timedelta(days=7 - today.weekday() + 14)  # a Monday, three weeks ahead at most
    created = _requirements(signed.sow, ops.user, start)
    people = {p.name: p for p in Person.objects.filter(active=True)}
    # The project manager is already confirmed (PS Operations staffed them at signature).
    if "Owen Parker" in people:
        services.assignment_staff(actor=ops.user, requirement=created[2], person=people["Owen Parker"])
    # A deal still in approval has a proposed engineer: pipeline work that shows in availability.
    submitted = SowVersion.objects.filter(status=SowStatus.SUBMITTED).select_related("sow").first()
    if submitted is not None and "Sam Taylor" in people:
        pipeline = _requirements(submitted.sow, ops.user, start, REQUIREMENTS[:1])[0]
        services.assignment_propose(
            actor=ops.user, requirement=pipeline, person=people["Sam Taylor"], hours_per_week=Decimal("16")
        )
        created.append(pipeline)
    return len(created)
