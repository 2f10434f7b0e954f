"""Who hears of a SOW's decisions, and how: approvers of submissions, the author and the deal's EM
of decisions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from core import mail
from sow.models import SowVersion


def approvers() -> list[str]:
    """The email addresses of every active login that may approve SOWs."""
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(groups__permissions__codename="approve_sow")
            | Q(user_permissions__codename="approve_sow")
            | Q(is_superuser=True)
        )
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def author_emails(version: SowVersion) -> list[str]:
    emails = [version.author.email if version.author else ""]
    em = version.sow.opportunity.engagement_manager
    if em is not None:
        emails.append(em.email)
    return emails


def site_link(version: SowVersion) -> str:
    return settings.SITE_URL.rstrip("/") + version.get_absolute_url()


def queue_link() -> str:
    return f"{settings.SITE_URL.rstrip('/')}/admin/sow/approvalqueueitem/"


def notify(subject: str, body: str, recipients: list[str], *, event: str, version: SowVersion) -> None:
    mail.send_notification(
        subject=subject,
        body=body,
        recipients=recipients,
        context={"event": event, "sow": version.sow.reference, "sow_version_id": version.pk},
    )
