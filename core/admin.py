"""Admin pages for core records: emails that could not be sent (read-only)."""

from __future__ import annotations

from django.contrib import admin

from core.admin_site import ReadOnlyAdmin
from core.models import EmailFailure


@admin.register(EmailFailure)
class EmailFailureAdmin(ReadOnlyAdmin[EmailFailure]):
    """What failed, to whom and why; fixed at the mail server or by resending from the app."""

    list_display = ["at", "subject", "recipient_list", "error"]
    list_filter = ["at"]
    search_fields = ["subject", "error"]
    date_hierarchy = "at"
    readonly_fields = ["at", "subject", "recipients", "error", "context"]

    @admin.display(description="recipients")
    def recipient_list(self, obj: EmailFailure) -> str:
        return ", ".join(obj.recipients or [])
