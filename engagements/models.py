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


class Account(TimeStampedModel):
    salesforce_id = models.CharField(max_length=18, unique=True, null=True, blank=True)
    name = models.CharField(max_length=255)
    segment = models.CharField(max_length=100, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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

    sf_last_modified = models.DateTimeField("Salesforce last modified", null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-locking counter.")
    removed_in_salesforce_at = models.DateTimeField(
        "removed in Salesforce", null=True, blank=True, help_text="Deleted in Salesforce; kept here."
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


class SyncCursor(models.Model):
    """How far the Salesforce pull got (a SystemModstamp watermark) and the lock that keeps sync
    runs from overlapping: a lease taken with one conditional UPDATE, so it works on any database."""

    name = models.CharField(max_length=50, unique=True)
    watermark = models.DateTimeField(null=True, blank=True)
    lock_token = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    # After REQUEST_LIMIT_EXCEEDED the whole sync waits (a longer back-off) until this time.
    paused_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Salesforce sync cursor"

    def __str__(self) -> str:
        return f"{self.name} @ {self.watermark or 'start'}"


class SyncRun(models.Model):
    """One Salesforce sync run (pull then push) and what it did."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Succeeded"
        PARTIAL = "partial", "Completed with errors"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another run was in progress)"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"
        COMMAND = "command", "Command"

    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    full = models.BooleanField(default=False, help_text="Ignored the watermark and read everything.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    pulled = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    pushed = models.PositiveIntegerField(default=0)
    push_failed = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    api_usage_used = models.PositiveIntegerField(null=True, blank=True)
    api_usage_limit = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "Salesforce sync run"
        permissions = [("run_salesforce_sync", "Can start a Salesforce sync (Sync now)")]
        indexes = [models.Index(fields=["-started_at"], name="syncrun_started_idx")]

    def __str__(self) -> str:
        return f"Sync {self.started_at:%Y-%m-%d %H:%M} ({self.get_outcome_display()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SyncConflict(models.Model):
    """An EM field changed both here (not yet pushed) and in Salesforce: the EM chooses."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    class Resolution(models.TextChoices):
        KEEP_LOCAL = "keep_local", "Kept the PS Pipeline value"
        TAKE_SALESFORCE = "take_salesforce", "Took the Salesforce value"

    class Field(models.TextChoices):
        ENGAGEMENT_MANAGER = "engagement_manager", "Engagement Manager"
        EM_CONFIDENCE = "em_confidence", "EM confidence"
        EM_CONFIDENCE_RATIONALE = "em_confidence_rationale", "EM confidence rationale"
        SCOPING_ISSUE_LINK = "scoping_issue_link", "Scoping issue link"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="sync_conflicts")
    field = models.CharField(max_length=32, choices=Field.choices)
    # Raw values: a Salesforce user id for the Engagement Manager, the text otherwise.
    local_value = models.TextField(blank=True)
    salesforce_value = models.TextField(blank=True)
    # What a person reads for each value (a name rather than a user id).
    local_display = models.TextField(blank=True)
    salesforce_display = models.TextField(blank=True)
    local_changed_at = models.DateTimeField(null=True, blank=True)
    salesforce_changed_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = "Salesforce sync conflict"
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "field"],
                condition=models.Q(status="open"),
                name="syncconflict_one_open_per_field",
            )
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.get_field_display()} ({self.get_status_display()})"
