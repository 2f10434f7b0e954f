"""The shape of a write to a SOW version: the row claimed at the version the user saw (or locked
when no page version comes with the write), and the status it must be in."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from core import actions
from sow.models import SowVersion

STALE_MESSAGE = (
    "Someone else changed this SOW since you opened the page (it is now {status}). "
    "Nothing was saved; reload the page and try again."
)


def version_rows() -> QuerySet[SowVersion]:
    return SowVersion.objects.select_related("sow", "sow__scoping_issue", "sow__opportunity")


def current_state(version: SowVersion) -> dict[str, Any]:
    return {"status": version.status, "version": version.version}


def claim_version(version: SowVersion, expected_version: int, *, stale_message: str = "") -> SowVersion:
    """The version's row, locked until the transaction ends, at the version the user saw and moved on:
    two decisions on one version take turns, and the second is refused with one Conflict saying what
    the SOW is now (or `stale_message`)."""
    return actions.claim(
        version_rows(),
        pk=version.pk,
        expected_version=expected_version,
        stale_message=stale_message
        or (lambda row: STALE_MESSAGE.format(status=row.get_status_display().lower())),
        current=current_state,
    )


def lock_version(version: SowVersion) -> SowVersion:
    """The version's row, read fresh and locked until the transaction ends (its version unchanged)."""
    return actions.lock(version_rows(), pk=version.pk)


def require_status(version: SowVersion, *allowed: str, action: str) -> None:
    if version.status not in allowed:
        raise ValidationError(
            f"{version.sow.reference} {version.label} is {version.get_status_display().lower()}; "
            f"it cannot be {action}.",
            code="bad_state",
        )
