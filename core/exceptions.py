"""Small domain exceptions that services raise and views turn into messages."""

from __future__ import annotations

from typing import Any


class Conflict(Exception):
    """A save based on a stale version: someone else changed the record first."""

    def __init__(self, message: str, *, current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.current = current or {}


class Gone(Conflict):
    """The record was removed while the user was working on it."""
