"""The weekly forecast call: each person's Commit and Best case for a fiscal quarter, per week.

One ForecastCall per person, quarter and week holds the call as it stands for that week; every
submission and revision is also kept, unchanged, as a ForecastCallRevision. A past week's calls are
never written again, so reading a past week shows the calls exactly as they were submitted then.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.money import CurrencyField, MoneyField
from people.models import Person


class Level(models.TextChoices):
    EM = "em", "Engagement Manager"
    MANAGER = "manager", "Manager"
    ORGANISATION = "organisation", "Organisation"


class ForecastCall(models.Model):
    """A person's call for one quarter in one week (the week's Monday, as snapshots count weeks)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="forecast_calls")
    level = models.CharField(max_length=12, choices=Level.choices)
    quarter = models.CharField(max_length=8, help_text="Fiscal quarter label, e.g. FY27-Q3.")
    week = models.DateField(help_text="Monday of the week the call stands for.")
    commit = MoneyField()
    best_case = MoneyField()
    currency = CurrencyField(help_text="The corporate currency when the call was made.")
    # What the pipeline said when the call was made: for an EM their own Closed won + open Green
    # (Commit) and + Amber (Best case); for a manager the same summed over everyone below them.
    system_commit = MoneyField()
    system_best_case = MoneyField()
    # What the form was prefilled with: an EM's system numbers; a manager's sum of their reports'
    # calls. A call that differs from it needs a note.
    default_commit = MoneyField()
    default_best_case = MoneyField()
    note = models.TextField(max_length=1000, blank=True)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    late = models.BooleanField(default=False, help_text="The latest revision came after the week's deadline.")
    first_submitted_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-locking counter (revisions).")

    class Meta:
        ordering = ["-week", "quarter", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["person", "quarter", "week"], name="forecastcall_one_per_week"),
        ]
        indexes = [models.Index(fields=["quarter", "week"], name="forecastcall_quarter_week_idx")]

    def __str__(self) -> str:
        return f"{self.person} {self.quarter} call, week of {self.week:%Y-%m-%d}"


class ForecastCallRevision(models.Model):
    """One submission of a call, kept as it was (never edited or deleted)."""

    call = models.ForeignKey(ForecastCall, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    commit = MoneyField()
    best_case = MoneyField()
    currency = CurrencyField()
    system_commit = MoneyField()
    system_best_case = MoneyField()
    default_commit = MoneyField()
    default_best_case = MoneyField()
    note = models.TextField(max_length=1000, blank=True)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    late = models.BooleanField(default=False)

    class Meta:
        ordering = ["call", "number"]
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], name="forecastcallrevision_one_number"),
        ]

    def __str__(self) -> str:
        return f"{self.call} revision {self.number}"


class CallReminder(models.Model):
    """Who was reminded to submit for which week (so a reminder is never sent twice)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    quarter = models.CharField(max_length=8)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "week"], name="callreminder_one_per_week"),
        ]

    def __str__(self) -> str:
        return f"Reminder to {self.person} for the week of {self.week:%Y-%m-%d}"
