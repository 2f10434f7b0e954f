"""The Salesforce sync's own records: how far the pull got (and the lock), each run, and conflicts.

The tables keep the names they had when these models lived in engagements, so moving the app
changed nothing in the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from engagements.models import Opportunity


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
        db_table = "engagements_synccursor"
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
        INTERRUPTED = "interrupted", "Interrupted (its worker stopped)"

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
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.RUNNING)
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
        db_table = "engagements_syncrun"
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
        db_table = "engagements_syncconflict"
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


class SentValue(models.Model):
    """A value this app sent to Salesforce for one EM field of one opportunity, and when. Written
    before the call goes out, so a call that timed out (or a worker that died) leaves it "in
    doubt": such a value found in Salesforce later is the app's own late write, not a user's edit."""

    class Outcome(models.TextChoices):
        IN_DOUBT = "in_doubt", "No answer (may have been applied)"
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=32, choices=SyncConflict.Field.choices)
    value = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.IN_DOUBT)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = "value sent to Salesforce"
        indexes = [models.Index(fields=["opportunity", "field", "outcome"], name="sentvalue_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id} {self.field} = {self.value!r} ({self.get_outcome_display()})"


class SalesforceChange(models.Model):
    """A value the pull took in from Salesforce: which field, from what to what, and who changed
    it there and when (LastModifiedBy / LastModifiedDate), for the opportunity's timeline."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="salesforce_changes")
    field = models.CharField(max_length=40)  # the opportunity attribute
    label = models.CharField(max_length=80)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    changed_by_id = models.CharField("Salesforce user id", max_length=18, blank=True)
    changed_by_name = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    pulled_at = models.DateTimeField()

    class Meta:
        ordering = ["-pulled_at", "-id"]
        verbose_name = "change taken in from Salesforce"
        indexes = [models.Index(fields=["opportunity", "-pulled_at"], name="sfchange_opp_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.label} changed in Salesforce by {self.changed_by_name or '?'}"


class OrgCheck(models.Model):
    """What the sync last found out about the org, one row per kind: the field map checked against
    the Opportunity describe, and how many opportunities the last full pull or reconciliation
    found in scope. Problems here show on the sync health page and make /health/ degraded."""

    class Kind(models.TextChoices):
        DESCRIBE = "describe", "Field map against the Opportunity describe"
        SCOPE = "scope", "Opportunities in scope"

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True)
    checked_at = models.DateTimeField()
    problems = models.JSONField(default=list, blank=True)  # sentences a person can act on
    details = models.JSONField(default=dict, blank=True)  # describe: field metadata; scope: counts

    class Meta:
        verbose_name = "Salesforce org check"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {len(self.problems)} problem(s)"
