from __future__ import annotations

import functools
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from core.money import CurrencyField, MoneyField
from core.roles import Role


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this machine knows (read once; the scan is slow)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            "%(value)s is not an IANA time zone (e.g. Europe/London).", params={"value": value}
        )


# Roles that deliver engagements and can be staffed on them.
DELIVERY_ROLES = [Role.PS_ENGINEER, Role.TECHNICAL_ARCHITECT, Role.PROJECT_MANAGER, Role.PARTNER_CONSULTANT]


class Region(TimeStampedModel):
    code = models.CharField(
        max_length=16, unique=True, help_text="Short code, e.g. AMER, EMEA, APAC, PubSec."
    )
    name = models.CharField(max_length=100)
    blended_bill_rate = MoneyField(
        "blended bill rate",
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=(
            "Average bill rate an hour in the corporate currency (CORPORATE_CURRENCY): capacity "
            "planning turns the amount of an opportunity without an estimate into hours with it."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Skill(models.Model):
    """The managed skill list people are rated against."""

    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    role = models.CharField(max_length=32, choices=Role.choices)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="people")
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    skills = models.ManyToManyField(Skill, through="PersonSkill", blank=True, related_name="people")
    languages = models.JSONField(
        default=list, blank=True, help_text='Languages spoken, e.g. ["English", "German"].'
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    cost_rate = MoneyField(default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    cost_currency = CurrencyField(default="USD")
    weekly_capacity_hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("40"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("80"))],
    )
    utilization_target = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent of capacity expected to be billable.",
    )
    active = models.BooleanField(default=True)
    salesforce_user_id = models.CharField(max_length=18, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False, help_text="Optimistic-locking counter.")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        permissions = [("view_directory", "Can browse the people directory")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:detail", args=[self.pk])


class PersonSkill(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="skill_levels")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="person_levels")
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "skill"], name="personskill_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="personskill_level_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({self.level})"
