"""Factories for staffing tests."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from core.roles import Role
from sow import services
from sow.models import MANDATORY_SECTIONS
from staffing.models import Assignment, AssignmentStatus, RequirementSkill, StaffingRequirement
from tests.people.factories import SkillFactory


class StaffingRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffingRequirement

    delivery_role = Role.PS_ENGINEER
    hours_per_week = Decimal("20")
    start_date = dt.date(2027, 4, 5)
    end_date = dt.date(2027, 4, 30)
    customer_time_zone = "Europe/Berlin"
    overlap_hours = Decimal("4")
    languages = factory.LazyFunction(lambda: ["English"])


def requirement_skill(requirement: StaffingRequirement, name: str, level: int, *, required: bool = True):
    return RequirementSkill.objects.create(
        requirement=requirement, skill=SkillFactory(name=name), min_level=level, required=required
    )


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    status = AssignmentStatus.CONFIRMED
    hours_per_week = Decimal("20")
    start_date = factory.LazyAttribute(lambda o: o.requirement.start_date)
    end_date = factory.LazyAttribute(lambda o: o.requirement.end_date)
    proposed_at = factory.LazyFunction(timezone.now)


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def take_to(version, state: str, *, em, director):
    """Bring a draft to `state` (approved, sent, signed, handed_off) through the SOW services."""
    for name in MANDATORY_SECTIONS:
        if not getattr(version, name):
            setattr(version, name, f"{name} text")
    version.save()
    version = services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    version = services.sow_approve(actor=director.user, version=version, expected_version=version.version)
    if state == "approved":
        return version
    today = timezone.localdate()
    version = services.sow_mark_sent(
        actor=em.user,
        version=version,
        expected_version=version.version,
        sent_on=today,
        recipients="cfo@harbor.example",
    )
    if state == "sent":
        return version
    version = services.sow_mark_signed(
        actor=em.user,
        version=version,
        expected_version=version.version,
        signed_on=today,
        signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
    )
    if state == "signed":
        return version
    services.sow_hand_off(
        actor=em.user,
        version=version,
        expected_version=version.version,
        delivery_lead=em,
        kickoff_date=today,
        staffing_confirmed=True,
    )
    version.refresh_from_db()
    return version
