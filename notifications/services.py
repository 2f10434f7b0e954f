"""The one way the app tells people something: `notify`, called by every app's services.

A notification is written in the app for each recipient (unless they turned that kind off) and, when
they want it by email, its email is queued after the transaction commits (a Celery task taking the
delivery's id; sending twice is impossible, a failure is recorded on the delivery and retried).
One event tells each recipient once (`event_key`), and nobody is told of their own action.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.mail import clean_subject
from core.types import AnyUser
from notifications import access
from notifications.models import EmailDelivery, Kind, Notification, NotificationPreference
from people.models import Person

logger = logging.getLogger(__name__)

Recipient = User | Person | None


@dataclass(frozen=True)
class _To:
    user: User | None
    person: Person | None
    email: str


def _resolve(recipients: Iterable[Recipient], actor: AnyUser | None) -> list[_To]:
    """Each distinct recipient once: a person with a login is told as that login; a person
    without one by email only. Inactive logins and people, and the actor, are left out."""
    users: dict[int, User] = {}
    person_of_user: dict[int, Person] = {}
    people_only: dict[int, Person] = {}
    for recipient in recipients:
        if recipient is None:
            continue
        if isinstance(recipient, Person):
            if recipient.user_id is not None:
                person_of_user.setdefault(recipient.user_id, recipient)
            elif recipient.active and recipient.pk is not None:
                people_only[recipient.pk] = recipient
        elif recipient.pk is not None:
            users[recipient.pk] = recipient
    missing = set(person_of_user) - set(users)
    if missing:
        users.update({user.pk: user for user in get_user_model().objects.filter(pk__in=missing)})
    actor_pk = actor.pk if actor is not None and actor.is_authenticated else None
    resolved = []
    for pk, user in sorted(users.items()):
        if pk == actor_pk or not user.is_active:
            continue
        person = person_of_user.get(pk)
        email = user.email or (person.email if person else "")
        resolved.append(_To(user=user, person=person, email=email.strip()))
    for _, person in sorted(people_only.items()):
        resolved.append(_To(user=None, person=person, email=person.email.strip()))
    return resolved


def clean_link(link: str) -> str:
    """A path inside the app ("/sow/3/") or an http(s) URL; anything else is dropped."""
    link = (link or "").strip()
    if link.startswith("/") and not link.startswith("//"):
        return link[:500]
    parts = urlsplit(link)
    if parts.scheme in ("http", "https") and parts.netloc:
        return link[:500]
    return ""


def absolute_url(link: str) -> str:
    if link.startswith("/"):
        return settings.SITE_URL.rstrip("/") + link
    return link


def notify(
    *,
    recipients: Iterable[Recipient],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    event_key: str,
    actor: AnyUser | None = None,
) -> list[Notification]:
    """Tell `recipients` (logins or people) of one event, in the app and by email, as each chose for
    `kind` (both on by default). `event_key` names the event: a recipient already told of it is not
    told again. The actor is never told of their own action. Emails go after commit."""
    kind = Kind(kind).value
    event_key = event_key[:200]
    title = clean_subject(title)
    link = clean_link(link)
    targets = _resolve(recipients, actor)
    if not targets:
        return []
    user_ids = [t.user.pk for t in targets if t.user is not None]
    person_ids = [t.person.pk for t in targets if t.user is None and t.person is not None]
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind)}
    told_users = set(
        Notification.objects.filter(event_key=event_key, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )
    told_people = set(
        Notification.objects.filter(
            event_key=event_key, user__isnull=True, person_id__in=person_ids
        ).values_list("person_id", flat=True)
    )
    acting = actor if actor is not None and actor.is_authenticated else None
    written = []
    for target in targets:
        if target.user is not None:
            if target.user.pk in told_users:
                continue
            pref = prefs.get(target.user.pk)
            in_app = pref.in_app if pref else True
            by_email = pref.email if pref else True
        else:
            assert target.person is not None
            if target.person.pk in told_people:
                continue
            in_app, by_email = False, True  # no login to see it in the app
        by_email = by_email and bool(target.email)
        if not in_app and not by_email:
            continue
        notification = Notification(
            user=target.user,
            person=target.person,
            kind=kind,
            title=title,
            body=body,
            link=link,
            event_key=event_key,
            in_app=in_app,
            actor=acting,
        )
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            continue  # told of this event meanwhile (a concurrent call)
        if by_email:
            delivery = EmailDelivery.objects.create(notification=notification, to=target.email, subject=title)
            transaction.on_commit(partial(queue_email, delivery.pk))
        written.append(notification)
    return written


def queue_email(delivery_id: int) -> None:
    """Hand one email to the workers; if the broker refuses, it stays waiting for "Send again"."""
    from notifications.tasks import send_notification_email

    try:
        send_notification_email.delay(delivery_id)
    except Exception:  # the broker is down: the delivery stays pending, visible to administrators
        logger.exception("notification_email_not_queued", extra={"delivery_id": delivery_id})


def email_text(notification: Notification) -> str:
    parts = [notification.body.strip()] if notification.body.strip() else [notification.title]
    if notification.link:
        parts.append(absolute_url(notification.link))
    if notification.user_id is not None:
        parts.append(
            "—\nChoose which notifications you get by email: "
            + absolute_url(reverse("notifications:preferences"))
        )
    return "\n\n".join(parts)


def email_delivery_send(*, delivery_id: int) -> str:
    """Send one notification email unless it was sent already (a task may run twice). A failure is
    logged and kept on the delivery with its error. Returns the delivery's status."""
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update(of=("self",))
            .select_related("notification")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "missing"
        if delivery.status == EmailDelivery.Status.SENT:
            return delivery.status
        notification = delivery.notification
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        try:
            send_mail(
                delivery.subject,
                email_text(notification),
                settings.DEFAULT_FROM_EMAIL,
                [delivery.to],
                fail_silently=False,
            )
        except Exception as exc:  # any backend failure must reach an administrator, not the user
            delivery.status = EmailDelivery.Status.FAILED
            delivery.error = f"{type(exc).__name__}: {exc}"[:4000]
            logger.error(
                "email_failed",
                extra={
                    "subject": delivery.subject,
                    "recipients": [delivery.to],
                    "error": delivery.error,
                    "context": {
                        "event": notification.kind,
                        "event_key": notification.event_key,
                        "delivery_id": delivery.pk,
                    },
                },
                exc_info=True,
            )
        else:
            delivery.status = EmailDelivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.error = ""
        delivery.save(update_fields=["status", "attempts", "last_attempt_at", "sent_at", "error"])
        return delivery.status


def email_delivery_retry(*, actor: AnyUser, delivery_ids: Iterable[int]) -> int:
    """Queue again the emails that failed or never left (an administrator's "Send again"); sent ones
    are left alone. Returns how many were queued."""
    if not (actor.is_authenticated and actor.is_superuser):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only administrators send notification emails again.")
    ids = list(
        EmailDelivery.objects.filter(pk__in=list(delivery_ids))
        .exclude(status=EmailDelivery.Status.SENT)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        transaction.on_commit(partial(queue_email, pk))
    return len(ids)


def notification_mark_read(*, actor: AnyUser, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (reading leaves no audit entry: it changes
    nothing anyone else sees)."""
    access.can_read.require(actor, notification)
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notification_mark_all_read(*, actor: AnyUser) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    if not actor.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, actor: User, choices: dict[str, tuple[bool, bool]]) -> None:
    """Save the actor's choice per kind: (in the app, by email). Kinds left out keep their choice."""
    for kind, (in_app, email) in choices.items():
        Kind(kind)
        NotificationPreference.objects.update_or_create(
            user=actor, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
        )
