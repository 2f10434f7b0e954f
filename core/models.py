from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class EmailFailure(models.Model):
    """An email the app could not send, kept for an administrator (core/mail.py records it)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    subject = models.CharField(max_length=300)
    recipients = models.JSONField(default=list)
    error = models.TextField()
    context = models.JSONField(default=dict, blank=True, help_text="What the email was about.")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.at:%Y-%m-%d %H:%M})"


class AuditEntry(models.Model):
    """One change someone made, written by the write helper (core/actions.py) in the same
    transaction as the change itself: who, when, what they did to which record, and each field's
    value before and after, as people read them (names and labels, not ids or codes)."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=120, help_text='What was done, e.g. "changed the EM call".')
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=300)
    object_url = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(
        default=list, blank=True, help_text="[{field, before, after}] in words, as the pages show them."
    )
    note = models.TextField(blank=True, help_text="A comment or reason given with the change.")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="core_audit_object_idx")]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        permissions = [("export_auditentry", "Can export the audit trail")]

    def __str__(self) -> str:
        return f"{self.object_label}: {self.action} ({self.at:%Y-%m-%d %H:%M})"


class BackgroundJob(models.Model):
    """Work someone started from a page that a Celery worker does (Sync now, taking a snapshot):
    its state as the page shows it while it runs. One rule for every such job (core/jobs.py):
    queued → running → done or failed; done and failed are final."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40, help_text='What the job does, e.g. "salesforce_sync".')
    label = models.CharField(max_length=200, help_text="What the page calls it.")
    permission = models.CharField(
        max_length=100, blank=True, help_text="Who else may watch it: holders of this permission."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="The outcome in words, or why it failed.")
    result_url = models.CharField(max_length=300, blank=True)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["kind", "queued_at"], name="core_job_kind_idx")]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_state_display()})"
