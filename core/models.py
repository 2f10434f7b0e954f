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
