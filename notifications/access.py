"""Who may read and mark a notification: only the user it was for."""

from __future__ import annotations

from core.rules import rule
from core.types import AnyUser
from notifications.models import Notification


@rule("You can only read your own notifications.")
def can_read(user: AnyUser, notification: Notification) -> bool:
    return bool(user.is_authenticated and notification.user_id == user.pk)
