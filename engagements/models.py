from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from core.money import CurrencyField, MoneyField
from people.models import Person, Region


class Confidence(models.TextChoices):
    GREY = "Grey", "Grey"
    RED = "Red", "Red"
    AMBER = "Amber", "Amber"
    GREEN = "Green", "Green"


# Order used for "confidence up / down" comparisons and for display.
CONFIDENCE_RANK = {Confidence.GREY: 0, Confidence.RED: 1, Confidence.AMBER: 2, Confidence.GREEN: 3}
CONFIDENCE_NEEDS_RATIONALE = frozenset({Confidence.RED, Confidence.AMBER, Confidence.GREEN})

# The EM-owned fields the app is system of record for (pushed to Salesforce).
EM_FIELDS = ("engagement_manager", "em_confidence", "em_confidence_rationale", "scoping_issue_link")


class RemovalReason(models.TextChoices):
    """Why a synced opportunity left the pipeline: it is kept, shown, and never pushed again."""

    OUT_OF_SCOPE = "out_of_scope", "No longer matches the sync's condition in Salesforce"
    DELETED = "deleted", "Deleted in Salesforce (in its recycle bin)"
    PURGED = "purged", "Purged from Salesforce (or no longer visible to the integration user)"


class Account(TimeStampedModel):
    salesforce_id = models.CharField(max_length=18, unique=True, null=True, blank=True)
    name = models.CharField(max_length=255)
    segment = models.CharField(max_length=100, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    # The contracting party as it signs a SOW (kept here, not synced from Salesforce).
    legal_name = models.CharField(
        "legal name", max_length=255, blank=True, help_text="As on contracts; the account name when blank."
    )
    address = models.TextField("registered address", blank=True, help_text="One line per line.")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def contracting_name(self) -> str:
        return self.legal_name or self.name


class Opportunity(TimeStampedModel):
    salesforce_id = models.CharField(max_length=18, unique=True, null=True, blank=True)
    name = models.CharField(max_length=255)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="opportunities")
    owner_name = models.CharField("owner (AE)", max_length=200, blank=True)
    owner_email = models.EmailField("owner email", blank=True)
    stage = models.CharField(max_length=100)
    type = models.CharField(max_length=100, blank=True)
    record_type = models.CharField(max_length=100, blank=True)
    close_date = models.DateField()
    amount = MoneyField(null=True, blank=True)
    currency = CurrencyField(default="USD")
    probability = models.PositiveSmallIntegerField(null=True, blank=True)
    forecast_category = models.CharField(max_length=50, blank=True)
    is_closed = models.BooleanField(default=False)
    is_won = models.BooleanField(default=False)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )

    # EM-owned fields
    engagement_manager = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    em_confidence = models.CharField(
        "EM confidence", max_length=5, choices=Confidence.choices, default=Confidence.GREY
    )
    em_confidence_rationale = models.TextField("EM confidence rationale", blank=True)
    scoping_issue_link = models.URLField("scoping issue link", max_length=500, blank=True)
    em_reviewed_at = models.DateTimeField("EM last reviewed", null=True, blank=True)
    booked_on = models.DateField(
        "booking date",
        null=True,
        blank=True,
        help_text="The day the customer signed its SOW (recorded when the SOW is marked signed).",
    )

    sf_last_modified = models.DateTimeField("Salesforce last modified", null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-locking counter.")
    removed_in_salesforce_at = models.DateTimeField(
        "removed in Salesforce",
        null=True,
        blank=True,
        help_text="Out of the sync's scope, deleted or purged in Salesforce; kept here.",
    )
    removed_in_salesforce_reason = models.CharField(
        "why removed", max_length=12, choices=RemovalReason.choices, blank=True
    )
    # The EM fields as Salesforce last held them (pulled or pushed), keyed by app field name: the
    # base that tells a change made in Salesforce from one made here.
    salesforce_em_values = models.JSONField(default=dict, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "salesforce_em_values"])

    class Meta:
        ordering = ["close_date", "name"]
        verbose_name_plural = "opportunities"
        permissions = [
            ("change_em_fields", "Can update the EM fields of opportunities they own"),
            ("manage_em_team", "Can see their team's pipeline and assign EMs"),
            ("view_all_opportunities", "Can view every opportunity"),
        ]
        indexes = [
            models.Index(fields=["engagement_manager", "close_date"], name="opp_em_close_idx"),
            models.Index(fields=["region", "close_date"], name="opp_region_close_idx"),
            models.Index(fields=["close_date"], name="opp_close_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("engagements:detail", args=[self.pk])


class ConfidenceEvent(models.Model):
    """One entry in an opportunity's confidence timeline: a change of call or a confirmation."""

    class Kind(models.TextChoices):
        CHANGED = "changed", "Changed"
        CONFIRMED = "confirmed", "Confirmed unchanged"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="confidence_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    from_confidence = models.CharField(max_length=5, choices=Confidence.choices, blank=True)
    to_confidence = models.CharField(max_length=5, choices=Confidence.choices)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.from_confidence} → {self.to_confidence}"


class PendingPush(TimeStampedModel):
    """An opportunity whose EM fields changed locally and still have to reach Salesforce.

    One row per opportunity; `fields` accumulates the changed field names. The push reads the
    current values from the opportunity, so the latest local value is what gets sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        FAILED = "failed", "Failed"

    opportunity = models.OneToOneField(Opportunity, on_delete=models.CASCADE, related_name="pending_push")
    fields = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "pending Salesforce push"

    def __str__(self) -> str:
        return f"{self.opportunity} ({', '.join(self.fields)})"


class Risk(TimeStampedModel):
    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="risks")
    description = models.TextField()
    severity = models.CharField(max_length=6, choices=Severity.choices, default=Severity.MEDIUM)
    mitigation = models.TextField(blank=True)
    owner = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["status", "-created_at"]

    def __str__(self) -> str:
        return self.description[:60]


# The pipeline list's optional columns, in table order (the opportunity's name and the actions
# always show). A user's choice is kept in PipelinePreference.columns.
PIPELINE_COLUMNS = (
    ("account", "Account"),
    ("close_date", "Close date"),
    ("stage", "Stage"),
    ("amount", "Amount"),
    ("sow", "SOW"),
    ("em", "EM"),
    ("confidence", "Confidence"),
    ("rationale", "Rationale"),
    ("reviewed", "Reviewed"),
)
PIPELINE_COLUMN_KEYS = tuple(key for key, _ in PIPELINE_COLUMNS)


class SavedFilter(models.Model):
    """A pipeline filter a user named to come back to: the list's query string, kept per user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, help_text="The pipeline's filter as a query string.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_user_name_unique")]

    def __str__(self) -> str:
        return self.name


class PipelinePreference(models.Model):
    """How a user likes the pipeline list: which optional columns show."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pipeline_preference"
    )
    columns = models.JSONField(default=list, help_text="The optional columns shown, by key.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.columns)}"
