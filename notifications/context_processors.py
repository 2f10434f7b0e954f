"""The bell in the top navigation: the user's unread count, one query per page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    # Counted only if the page shows the bell (error pages and the PDF do not).
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
