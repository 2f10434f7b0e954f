from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from core.models import TimeStampedModel
from core.money import CurrencyField, MoneyField
from engagements.models import Confidence, Opportunity
from people.models import Person, Region


class BookingsPlan(TimeStampedModel):
    """The bookings target for a fiscal quarter: overall (no region, no EM), per region or per EM."""

    quarter = models.CharField(max_length=8, help_text="Fiscal quarter label, e.g. FY27-Q3.")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="plans")
    engagement_manager = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="plans"
    )
    amount = MoneyField(validators=[MinValueValidator(Decimal("0"))])
    currency = CurrencyField(default="USD")

    class Meta:
        ordering = ["quarter", "region", "engagement_manager"]
        # One plan per scope and quarter, written as partial constraints so NULLs compare equal on
        # every database (SQLite has no NULLS NOT DISTINCT).
        constraints = [
            models.UniqueConstraint(
                fields=["quarter"],
                condition=models.Q(region__isnull=True, engagement_manager__isnull=True),
                name="bookingsplan_one_overall",
            ),
            models.UniqueConstraint(
                fields=["quarter", "region"],
                condition=models.Q(region__isnull=False, engagement_manager__isnull=True),
                name="bookingsplan_one_per_region",
            ),
            models.UniqueConstraint(
                fields=["quarter", "engagement_manager"],
                condition=models.Q(engagement_manager__isnull=False),
                name="bookingsplan_one_per_em",
            ),
        ]

    def __str__(self) -> str:
        scope = self.engagement_manager or self.region or "overall"
        return f"{self.quarter} {scope}: {self.currency} {self.amount:,.2f}"


class ExchangeRate(models.Model):
    """How many units of the corporate currency one unit of `currency` is worth, from a date on."""

    currency = CurrencyField()
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))]
    )
    effective_date = models.DateField()
    # When the rate was last saved: part of the version a cached past week is keyed on.
    changed_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        ordering = ["currency", "-effective_date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "effective_date"], name="exchangerate_currency_date"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} (from {self.effective_date})"


class ForecastSnapshot(models.Model):
    """The pipeline as it stood in one week (taken Monday morning by Celery beat)."""

    week = models.DateField(unique=True, help_text="Monday of the week the snapshot stands for.")
    taken_at = models.DateTimeField()
    rows_count = models.PositiveIntegerField(default=0)
    # Which closed deals the snapshot holds (every open one is held): those with a close date from
    # `closed_from` on, up to `closed_to` when set. A quarter inside that range can be answered.
    closed_from = models.DateField(null=True)
    closed_to = models.DateField(null=True)
    # The exchange rates in force when it was taken ({currency: rate as text}), so a later rate edit
    # never changes a past week's figures.
    rates = models.JSONField(default=dict)
    replaced_at = models.DateTimeField(null=True, help_text="When the week's rows were last replaced.")
    replaced_by = models.CharField(max_length=150, blank=True, help_text="Who replaced them.")
    # The fiscal year start month its totals (ForecastSnapshotTotal) were grouped by; None until they
    # are written (snapshots stored before the totals existed get theirs on first read).
    totals_start_month = models.PositiveSmallIntegerField(null=True)

    class Meta:
        ordering = ["-week"]
        permissions = [
            ("view_dashboard", "Can view the forecast dashboard"),
            ("view_capacity", "Can view delivery capacity against demand"),
        ]

    def __str__(self) -> str:
        return f"Snapshot of week {self.week:%Y-%m-%d}"


class ForecastSnapshotRow(models.Model):
    snapshot = models.ForeignKey(ForecastSnapshot, on_delete=models.CASCADE, related_name="rows")
    # Protected: an opportunity a snapshot holds is never deleted (removal is marking it removed).
    opportunity = models.ForeignKey(Opportunity, null=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    account_name = models.CharField(max_length=255)
    amount = MoneyField(default=Decimal("0"))
    currency = CurrencyField()
    close_date = models.DateField()
    stage = models.CharField(max_length=100)
    is_closed = models.BooleanField()
    is_won = models.BooleanField()
    confidence = models.CharField(max_length=5, choices=Confidence.choices)
    engagement_manager = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    region = models.ForeignKey(Region, null=True, on_delete=models.SET_NULL, related_name="+")
    # The names as they were that week, so a rename or deletion never rewrites a past week.
    engagement_manager_name = models.CharField(max_length=200, blank=True)
    region_code = models.CharField(max_length=20, blank=True)
    em_reviewed_at = models.DateTimeField(null=True)
    # Its close date lies in a later fiscal quarter than in the opportunity's row of the latest
    # earlier snapshot holding it (written when the snapshot is taken: forecasting.pushes).
    close_pushed = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["snapshot", "close_date"], name="snaprow_snapshot_close_idx"),
            models.Index(fields=["snapshot", "opportunity"], name="snaprow_snapshot_opp_idx"),
            # Only the pushed rows, by opportunity: an opportunity's pushes counted from a few entries.
            models.Index(
                fields=["opportunity"], condition=models.Q(close_pushed=True), name="snaprow_pushed_opp_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot}: {self.name}"


class ForecastSnapshotTotal(models.Model):
    """One snapshot's rows summed per fiscal quarter of their close date, colour, currency and
    won/closed, written when the snapshot is taken, so the trend reads a few rows per week."""

    snapshot = models.ForeignKey(ForecastSnapshot, on_delete=models.CASCADE, related_name="totals")
    quarter = models.CharField(max_length=8)
    confidence = models.CharField(max_length=5, choices=Confidence.choices)
    currency = CurrencyField()
    is_won = models.BooleanField()
    is_closed = models.BooleanField()
    count = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)  # in `currency`
    # In the corporate currency with the snapshot's rates, each row rounded to cents once; None
    # when the snapshot has no rate for the currency.
    converted = models.DecimalField(max_digits=18, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "quarter", "confidence", "currency", "is_won", "is_closed"],
                name="snapshottotal_one_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot} {self.quarter} {self.confidence} {self.currency}"
