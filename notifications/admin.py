"""Admin pages for notification emails (read-only, with "Send again") and notifications."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_site import ReadOnlyAdmin
from notifications import services
from notifications.models import EmailDelivery, Notification


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdmin[EmailDelivery]):
    """Every notification email: sent, waiting, or failed with the error; failed ones can be sent again."""

    list_display = ["created_at", "subject", "to", "status", "attempts", "error"]
    list_filter = ["status", "created_at"]
    search_fields = ["subject", "to", "error"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "notification",
        "to",
        "subject",
        "status",
        "attempts",
        "error",
        "created_at",
        "last_attempt_at",
        "sent_at",
    ]
    actions = ["send_again"]

    @admin.action(description="Send again (failed or waiting emails)")
    def send_again(self, request: HttpRequest, queryset: QuerySet[EmailDelivery]) -> None:
        count = services.email_delivery_retry(
            actor=request.user, delivery_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{count} email(s) queued again.", messages.SUCCESS)

    def has_send_again_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin[Notification]):
    """What each person was told, and whether they read it."""

    list_display = ["created_at", "title", "user", "person", "kind", "in_app", "read_at"]
    list_filter = ["kind", "in_app", "created_at"]
    search_fields = ["title", "event_key", "user__username", "person__name"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "person"]
    readonly_fields = [
        "user",
        "person",
        "kind",
        "title",
        "body",
        "link",
        "event_key",
        "in_app",
        "actor",
        "created_at",
        "read_at",
    ]
