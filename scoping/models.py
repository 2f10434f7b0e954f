from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from core.money import CurrencyField, MoneyField
from engagements.models import Opportunity
from people.models import DELIVERY_ROLES, Person
from scoping.calculator import line_amount

MAX_LINE_HOURS = Decimal("10000")


class OfferingCategory(models.TextChoices):
    IMPLEMENTATION = "implementation", "Implementation"
    MIGRATION = "migration", "Migration"
    ASSESSMENT = "assessment", "Readiness assessment / health check"
    TRAINING = "training", "Training & certification"
    CONSULTING = "consulting", "Consulting / advisory"
    EXPERT_SERVICES = "expert_services", "Expert-services block"


class DeliveryRole(TimeStampedModel):
    """One rate-card entry: a delivery role's bill and cost rate per hour in one currency, and the
    people role whose capacity delivers its hours."""

    name = models.CharField(max_length=100)
    person_role = models.CharField(
        "delivered by",
        max_length=30,
        choices=[(role.value, role.label) for role in DELIVERY_ROLES],
        help_text="The people who deliver this role's hours: capacity counts its demand against them.",
    )
    currency = CurrencyField(default="USD")
    bill_rate = MoneyField(validators=[MinValueValidator(Decimal("0"))], help_text="Price per hour.")
    cost_rate = MoneyField(validators=[MinValueValidator(Decimal("0"))], help_text="Cost per hour.")
    active = models.BooleanField(default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["name", "currency"], name="deliveryrole_name_currency")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class ServiceOffering(TimeStampedModel):
    class Kind(models.TextChoices):
        PACKAGED = "packaged", "Packaged SKU (fixed price)"
        CUSTOM = "custom", "Custom scoped (by activities)"

    code = models.CharField("code / SKU", max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    category = models.CharField(max_length=20, choices=OfferingCategory.choices)
    description = models.TextField(blank=True)
    unit_price = MoneyField(
        null=True, blank=True, validators=[MinValueValidator(Decimal("0"))], help_text="Packaged SKUs only."
    )
    currency = CurrencyField(blank=True, help_text="Currency of the unit price (packaged SKUs only).")
    unit_label = models.CharField(max_length=40, default="unit", help_text="e.g. session, block, package.")
    included_hours = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), help_text="Delivery hours in one packaged unit."
    )
    scoping_guidelines = models.TextField(blank=True)
    delivery_kit_url = models.URLField("delivery kit link", blank=True)
    active = models.BooleanField(default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["category", "name", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["code", "currency"], name="serviceoffering_code_currency"),
            models.CheckConstraint(
                condition=~models.Q(kind="packaged")
                | (models.Q(unit_price__isnull=False) & ~models.Q(currency="")),
                name="serviceoffering_packaged_has_price",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.PACKAGED:
            return f"{self.code} — {self.name} ({self.currency})"
        return f"{self.code} — {self.name}"


class OfferingActivity(models.Model):
    """A default activity of a custom offering: a role and hours (rates come from the rate card)."""

    offering = models.ForeignKey(ServiceOffering, on_delete=models.CASCADE, related_name="activities")
    role_name = models.CharField(max_length=100, help_text="Delivery role name as on the rate card.")
    description = models.CharField(max_length=200)
    hours = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_LINE_HOURS)],
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "offering activities"

    def __str__(self) -> str:
        return f"{self.description} ({self.role_name}, {self.hours} h)"


class ScopingStatus(models.TextChoices):
    OPEN = "open", "Open"
    AWAITING_DISCOVERY = "awaiting_discovery", "Awaiting discovery"
    STRAWMAN = "strawman", "Strawman in progress"
    ESTIMATE_FEEDBACK = "estimate_feedback", "Estimate feedback"
    SOW_IN_PROGRESS = "sow_in_progress", "SOW in progress"
    READY_FOR_APPROVAL = "ready_for_approval", "Ready for approval"
    APPROVED = "approved", "Approved"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


BOARD_COLUMNS = list(ScopingStatus)


class TaReviewState(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    NEEDS_REVIEW = "needs_review", "Needs TA review"
    SENT_BACK = "sent_back", "Sent back by TA"
    APPROVED = "approved", "TA approved"


class TaAssistance(models.TextChoices):
    NONE = "", "—"
    REQUESTED = "requested", "Assistance requested"
    ASSISTED = "assisted", "Assisted"


class ScopingIssue(TimeStampedModel):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="scoping_issues")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=ScopingStatus.choices, default=ScopingStatus.OPEN)
    assignee = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="scoping_issues"
    )
    current_state = models.TextField(blank=True)
    constraints = models.TextField(blank=True)
    desired_outcomes = models.TextField("desired business outcomes", blank=True)
    requirements = models.TextField(blank=True)
    service_types = models.JSONField(default=list, blank=True, help_text="Offering categories wanted.")
    external_link = models.URLField("external tracker link", max_length=500, blank=True)
    ta_review_state = models.CharField(
        max_length=12, choices=TaReviewState.choices, default=TaReviewState.NOT_NEEDED
    )
    ta_assistance = models.CharField(max_length=10, choices=TaAssistance.choices, blank=True, default="")
    ta_assistance_note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    # When the issue entered its current status (the board's "days in status").
    status_changed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(excluded_fields=["updated_at", "status_changed_at"])

    class Meta:
        ordering = ["-updated_at"]
        permissions = [("review_scopingissue", "Can review scoping issues as a Technical Architect")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("scoping:detail", args=[self.pk])


class TaReview(models.Model):
    """Every Technical Architect decision and every EM request for assistance."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        SENT_BACK = "sent_back", "Sent back"
        ASSISTANCE_REQUESTED = "assistance_requested", "Assistance requested"
        ASSISTED = "assisted", "Assisted"

    scoping_issue = models.ForeignKey(ScopingIssue, on_delete=models.CASCADE, related_name="ta_reviews")
    estimate = models.ForeignKey(
        "Estimate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=24, choices=Decision.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} on {self.scoping_issue}"


class Estimate(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SHARED = "shared", "Shared"
        AGREED = "agreed", "Agreed"
        SUPERSEDED = "superseded", "Superseded"

    scoping_issue = models.ForeignKey(ScopingIssue, on_delete=models.CASCADE, related_name="estimates")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    reason = models.TextField(blank=True, help_text="Why this revision was made.")
    currency = CurrencyField()
    contingency_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    expenses = MoneyField(default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    discount = MoneyField(default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    total = MoneyField(default=Decimal("0"), help_text="Rounded once, half-up, from the lines.")
    total_hours = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-locking counter.")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["scoping_issue", "number"]
        constraints = [
            models.UniqueConstraint(fields=["scoping_issue", "number"], name="estimate_issue_number"),
            models.CheckConstraint(
                condition=models.Q(contingency_percent__gte=0, contingency_percent__lte=100),
                name="estimate_contingency_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scoping_issue} v{self.number}"

    @property
    def label(self) -> str:
        return f"v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    def get_absolute_url(self) -> str:
        return reverse("scoping:estimate", args=[self.pk])


class EstimateLine(models.Model):
    class Kind(models.TextChoices):
        SKU = "sku", "Packaged SKU"
        ACTIVITY = "activity", "Activity"
        FREE = "free", "Other"

    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    position = models.PositiveIntegerField(default=0)
    offering = models.ForeignKey(
        ServiceOffering, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role_name = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = MoneyField(default=Decimal("0"), help_text="SKU and other lines: price per unit (copied).")
    hours = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    bill_rate = MoneyField(default=Decimal("0"), help_text="Activity lines: price per hour (copied).")
    cost_rate = MoneyField(default=Decimal("0"), help_text="Activity lines: cost per hour (copied).")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:

        return line_amount(self)
