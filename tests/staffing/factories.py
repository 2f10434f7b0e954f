"""Factories for staffing tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from core.roles import Role
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
