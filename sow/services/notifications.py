"""Who hears of a SOW's steps, told through the one notification service (notifications.notify):
approvers of submissions; the author and the deal's EM of decisions; the approver too once it is
sent and signed (PS Operations as well, who staff it); the delivery lead, PS Operations and the EM
of the hand-off."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.urls import reverse

from notifications.models import Kind
from notifications.selectors import administrators, users_with_permission
from notifications.services import Recipient, notify
from sow.models import Approval, ChangeRequest, SowDocument, SowVersion


def approver_users() -> list[User]:
    """Every active login that may approve SOWs."""
    return list(users_with_permission("sow.approve_sow"))


def approvers() -> list[str]:
    """The email addresses of every active login that may approve SOWs."""
    return [user.email for user in approver_users() if user.email]


def ps_operations() -> list[User]:
    """The logins that staff engagements (PS Operations), administrators left out."""
    return list(users_with_permission("staffing.manage_staffing", include_superusers=False))


def author_and_em(version: SowVersion) -> list[Recipient]:
    return [version.author, version.sow.opportunity.engagement_manager]


def version_approvers(version: SowVersion) -> list[Recipient]:
    """Who approved this version."""
    return list(
        User.objects.filter(
            pk__in=Approval.objects.filter(sow_version=version, decision=Approval.Decision.APPROVED).values(
                "actor_id"
            )
        )
    )


def queue_link() -> str:
    return reverse("admin:sow_approvalqueueitem_changelist")


def tell(
    kind: Kind,
    title: str,
    body: str,
    recipients: Iterable[Recipient],
    *,
    version: SowVersion,
    actor: User,
    link: str = "",
) -> None:
    """Tell `recipients` of one step of `version`; the version's counter (moved on by every step)
    names the event, so a step is told once."""
    notify(
        recipients=recipients,
        kind=kind,
        title=title,
        body=body,
        link=link or version.get_absolute_url(),
        event_key=f"{kind.value}:sow_version:{version.pk}:{version.version}",
        actor=actor,
    )


def tell_change_request(
    kind: Kind,
    title: str,
    body: str,
    *,
    to_directors: bool,
    change_request: ChangeRequest,
    actor: User,
    link: str = "",
) -> None:
    """Tell the PS Directors (a submission) or the author and the deal's EM (a decision, a
    signature) of one step of a change request; its counter names the event."""
    recipients: list[Recipient] = (
        list(approver_users())
        if to_directors
        else [change_request.author, change_request.sow.opportunity.engagement_manager]
    )
    notify(
        recipients=recipients,
        kind=kind,
        title=title,
        body=body,
        link=link or change_request.get_absolute_url(),
        event_key=f"{kind.value}:change_request:{change_request.pk}:{change_request.version}",
        actor=actor,
    )


def tell_render_failed(document_id: int) -> None:
    """Administrators hear of a SOW PDF that failed to render for good (after its retries), once
    per attempt that gave up."""
    document = SowDocument.objects.select_related("sow_version__sow").filter(pk=document_id).first()
    if document is None:
        return
    version = document.sow_version
    notify(
        recipients=administrators(),
        kind=Kind.PDF_RENDER_FAILED,
        title=f"PDF failed: {version.sow.reference} {version.label} ({document.get_kind_display()})",
        body=(
            f"The {document.get_kind_display().lower()} PDF of {version.sow.reference} {version.label} "
            f"could not be rendered: {document.error or 'no error was recorded'}. Ask for it again from "
            "the SOW page once the cause is fixed."
        ),
        link=version.get_absolute_url(),
        event_key=f"pdf_render_failed:sow_document:{document.pk}:{document.attempts}",
    )
