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
