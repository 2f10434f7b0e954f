"""Admin pages for core records: emails that could not be sent (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import EmailFailure


@admin.register(EmailFailure)
class EmailFailureAdmin(admin.ModelAdmin):
    """What failed, to whom and why; fixed at the mail server or by resending from the app."""

    list_display = ["at", "subject", "recipient_list", "error"]
    list_filter = ["at"]
    search_fields = ["subject", "error"]
    date_hierarchy = "at"
    readonly_fields = ["at", "subject", "recipients", "error", "context"]

    @admin.display(description="recipients")
    def recipient_list(self, obj: EmailFailure) -> str:
        return ", ".join(obj.recipients or [])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
