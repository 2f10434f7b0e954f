"""Staffing a SOW: structured requirements (role, skills, languages, time zone, hours, dates) and the
people assigned to them.

The tables keep the names they had when these models lived in the sow app (db_table and the
history table_name), so moving the models renamed nothing in the database.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from people.models import DELIVERY_ROLES, Person, Skill, validate_time_zone
from sow.models import Sow


class StaffingRequirement(TimeStampedModel):
    """One delivery role the SOW needs staffed: skills, languages, the customer's time zone, hours and dates.

    Belongs to the SOW (not a version), so it and its assignments survive revisions of the document.
    """

    sow = models.ForeignKey(Sow, on_delete=models.CASCADE, related_name="staffing_requirements")
    title = models.CharField(max_length=120, blank=True, help_text="e.g. Lead migration engineer.")
    delivery_role = models.CharField(
        max_length=32, choices=[(role.value, role.label) for role in DELIVERY_ROLES]
    )
    languages = models.JSONField(default=list, blank=True, help_text='e.g. ["English", "German"].')
    customer_time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    overlap_hours = models.DecimalField(
        "working-day overlap needed (hours)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("8"))],
    )
    hours_per_week = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("80"))],
    )
    start_date = models.DateField()
    end_date = models.DateField()
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False, help_text="Optimistic-locking counter.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(
        excluded_fields=["updated_at"], table_name="sow_historicalstaffingrequirement"
    )

    class Meta:
        db_table = "sow_staffingrequirement"
        ordering = ["start_date", "pk"]
        permissions = [("manage_staffing", "Can manage staffing requirements and staff engagements")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="staffingreq_dates_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(hours_per_week__gt=0, hours_per_week__lte=80),
                name="staffingreq_hours_range",
            ),
            models.CheckConstraint(
                condition=models.Q(overlap_hours__gte=0, overlap_hours__lte=8),
                name="staffingreq_overlap_range",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        role = self.get_delivery_role_display()
        return f"{role} — {self.title}" if self.title else role

    def get_absolute_url(self) -> str:
        return reverse("staffing:requirement", args=[self.pk])


class RequirementSkill(models.Model):
    """A skill a requirement asks for: required ones must be met, nice-to-have ones add to the rank."""

    requirement = models.ForeignKey(StaffingRequirement, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="+")
    min_level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    required = models.BooleanField(default=True)

    history = HistoricalRecords(table_name="sow_historicalrequirementskill")

    class Meta:
        db_table = "sow_requirementskill"
        ordering = ["-required", "skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "skill"], name="requirementskill_unique"),
            models.CheckConstraint(
                condition=models.Q(min_level__gte=1, min_level__lte=5), name="requirementskill_level_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ≥ {self.min_level}{'' if self.required else ' (nice to have)'}"


class AssignmentStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_ASSIGNMENT = [AssignmentStatus.PROPOSED, AssignmentStatus.CONFIRMED]


class Assignment(TimeStampedModel):
    """A person on a staffing requirement for some hours a week over a date range.

    Proposed while the deal is in the pipeline; confirmed (by PS Operations) once the SOW is signed.
    """

    requirement = models.ForeignKey(StaffingRequirement, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PROPOSED
    )
    hours_per_week = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("80"))],
    )
    start_date = models.DateField()
    end_date = models.DateField()
    override_reason = models.TextField(
        blank=True, help_text="Why it was confirmed although it over-allocates the person."
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], table_name="sow_historicalassignment")

    class Meta:
        db_table = "sow_assignment"
        ordering = ["start_date", "pk"]
        indexes = [models.Index(fields=["person", "status", "start_date"], name="assignment_person_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="assignment_dates_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(hours_per_week__gt=0, hours_per_week__lte=80),
                name="assignment_hours_range",
            ),
            models.UniqueConstraint(
                fields=["requirement", "person"],
                condition=models.Q(status__in=["proposed", "confirmed"]),
                name="assignment_one_active_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.requirement} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return f"{reverse('staffing:requirement', args=[self.requirement_id])}#assignment-{self.pk}"
