"""In-app notifications, each user's choice of how to hear of each kind, and the record of every
notification email (sent, or failed with the error)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from people.models import Person


class Kind(models.TextChoices):
    TA_REVIEW_NEEDED = "ta_review_needed", "An estimate needs a TA review"
    TA_APPROVED = "ta_approved", "A TA approved an estimate"
    TA_SENT_BACK = "ta_sent_back", "A TA sent an estimate back"
    TA_ASSISTANCE_REQUESTED = "ta_assistance_requested", "TA assistance requested"
    TA_ASSISTANCE_ANSWERED = "ta_assistance_answered", "TA assistance given"
    EM_ASSIGNED = "em_assigned", "You were assigned as EM"
    SOW_SUBMITTED = "sow_submitted", "A SOW was submitted for approval"
    SOW_APPROVED = "sow_approved", "A SOW was approved"
    SOW_CHANGES_REQUESTED = "sow_changes_requested", "Changes were requested on a SOW"
    SOW_SENT = "sow_sent", "A SOW was sent to the customer"
    SOW_SIGNED = "sow_signed", "A SOW was signed"
    SOW_HANDED_OFF = "sow_handed_off", "A SOW was handed off to delivery"
    CR_SUBMITTED = "cr_submitted", "A change request was submitted for approval"
    CR_APPROVED = "cr_approved", "A change request was approved"
    CR_CHANGES_REQUESTED = "cr_changes_requested", "Changes were requested on a change request"
    CR_SIGNED = "cr_signed", "A change request was signed"
    STAFFING_PROPOSED = "staffing_proposed", "You were proposed for an engagement"
    STAFFING_CONFIRMED = "staffing_confirmed", "Your assignment was confirmed"
    SALESFORCE_PUSH_FAILED = "salesforce_push_failed", "Salesforce pushes failed"
    PDF_RENDER_FAILED = "pdf_render_failed", "A SOW PDF failed to render"
    WEEKLY_DIGEST = "weekly_digest", "The Monday forecast digest"


class Notification(models.Model):
    """One thing one recipient was told. A recipient is a login (shown in the app and emailed) or,
    for a person without a login, the person (emailed only). One event tells a recipient once:
    `event_key` is unique per recipient."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="The page the notification is about.")
    event_key = models.CharField(max_length=200, help_text="The event told; one notification per recipient.")
    in_app = models.BooleanField(default=True, help_text="Shown in the app (the recipient's choice).")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(person__isnull=False), name="notification_has_recipient"
            ),
            models.UniqueConstraint(
                fields=["user", "event_key"],
                condition=Q(user__isnull=False),
                name="notification_once_per_user_event",
            ),
            models.UniqueConstraint(
                fields=["person", "event_key"],
                condition=Q(user__isnull=True),
                name="notification_once_per_person_event",
            ),
        ]
        indexes = [models.Index(fields=["user", "in_app", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """How a user hears of one kind of notification. No row means both on (the default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    in_app = models.BooleanField("in the app", default=True)
    email = models.BooleanField("by email", default=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"


class EmailDelivery(models.Model):
    """The email of one notification: queued, sent, or failed with the error (retried)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="email")
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "notification email"
        verbose_name_plural = "notification emails"

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.get_status_display()})"
