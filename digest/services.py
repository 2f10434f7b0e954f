"""The Monday digest: one email a week to each EM Manager (their team) and each leadership user (the
organisation), with the calls and their change since last week, who has not submitted, the biggest
moves since last week's snapshot, the deal-hygiene flags and links into the app.

Who gets it: active people with a login and an email whose role is EM Manager (only when they lead
someone in the forecast hierarchy) or leadership, unless they turned the digest's email off on their
notification preferences. When: from DIGEST_DAY (0 = Monday … 6 = Sunday) at DIGEST_TIME (HH:MM) in
DIGEST_TIME_ZONE of each call week; the hourly run sends what is due. Once: a DigestSent row per
user and week is written in the same transaction as the email is queued, so a second run (or a
retried task) sends nothing again.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from calls import selectors as call_selectors
from calls.selectors import CallLine, Hierarchy, Rollup
from core.fiscal import FiscalQuarter
from core.mail import send_notification
from core.roles import Role
from digest.models import DigestSent
from engagements.models import Opportunity
from forecasting import changes as changes_mod
from forecasting import figures, hygiene
from forecasting import selectors as forecast_selectors
from notifications.models import Kind, NotificationPreference
from people.models import Person

ORGANISATION = "organisation"
TEAM = "team"
MOVES_SHOWN = 8


def digest_moment(week: dt.date) -> dt.datetime:
    """When the week's digest is due: DIGEST_DAY after the week's Monday at DIGEST_TIME."""
    zone = zoneinfo.ZoneInfo(settings.DIGEST_TIME_ZONE)
    hour, _, minute = str(settings.DIGEST_TIME).partition(":")
    day = week + dt.timedelta(days=int(settings.DIGEST_DAY) % 7)
    return dt.datetime.combine(day, dt.time(int(hour), int(minute or 0)), tzinfo=zone)


def site_url(path: str) -> str:
    return str(settings.SITE_URL).rstrip("/") + path


@dataclass
class Move:
    label: str
    opportunity_id: int | None
    name: str
    account: str
    amount: Decimal | None
    native_amount: Decimal
    currency: str
    detail: str
    link: str


@dataclass
class Digest:
    person: Person
    scope: str  # TEAM or ORGANISATION
    quarter: FiscalQuarter
    week: dt.date
    currency: str
    lines: list[CallLine]
    not_submitted: list[str]
    moves: list[Move]
    moves_from: dt.date | None
    hygiene: list[hygiene.FlagCount]
    links: dict[str, str] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        what = "organisation" if self.scope == ORGANISATION else "team"
        return f"Forecast digest {self.quarter.label}, week of {self.week:%Y-%m-%d}: your {what}"


@dataclass
class _Week:
    """What every digest of one run shares, read once."""

    quarter: FiscalQuarter
    week: dt.date
    tree: Hierarchy
    rollup: Rollup
    moves: list[tuple[Move, int | None]]  # with the opportunity's EM
    moves_from: dt.date | None


def _moves(quarter: FiscalQuarter) -> tuple[list[tuple[Move, int | None]], dt.date | None]:
    """Every change between the last two snapshots (or the last one and live), largest first."""
    snapshots = forecast_selectors.snapshots()
    if not snapshots:
        return [], None
    book = figures.RateBook.load()
    latest = snapshots[0]
    if latest.week >= call_selectors.current_week() and len(snapshots) > 1:
        current, previous = figures.source_for(latest.week, snapshots), snapshots[1]
    else:
        current, previous = figures.Source(None, timezone.now()), latest
    before = figures.source_for(previous.week, snapshots)
    if not before.answers(quarter):
        return [], previous.week
    result = changes_mod.compare(quarter, before, current, book)
    found = []
    for category in result.categories:
        for item in category.items:
            link = (
                site_url(reverse("engagements:detail", args=[item.opportunity_id]))
                if item.opportunity_id
                else ""
            )
            found.append(
                Move(
                    category.label,
                    item.opportunity_id,
                    item.name,
                    item.account,
                    item.amount,
                    item.native_amount,
                    item.currency,
                    item.detail,
                    link,
                )
            )
    ems = dict(
        Opportunity.objects.filter(pk__in=[m.opportunity_id for m in found if m.opportunity_id]).values_list(
            "pk", "engagement_manager_id"
        )
    )
    found.sort(key=lambda m: (m.amount is None, -abs(m.amount or Decimal("0")), m.name))
    return [(m, ems.get(m.opportunity_id) if m.opportunity_id else None) for m in found], previous.week


def _week(now: dt.datetime) -> _Week:
    week = call_selectors.current_week(now)
    quarter = call_selectors.quarters_open(now)[0]
    tree = call_selectors.hierarchy()
    rollup = call_selectors.rollup(quarter, week, tree=tree)
    moves, moves_from = _moves(quarter)
    return _Week(quarter, week, tree, rollup, moves, moves_from)


def _links(shared: _Week, person: Person, scope: str) -> dict[str, str]:
    query = urlencode({"quarter": shared.quarter.label, "week": shared.week.isoformat()})
    links = {
        "dashboard": site_url(reverse("forecasting:dashboard")),
        "calls": site_url(f"{reverse('calls:org')}?{query}"),
        "hygiene": site_url(reverse("forecasting:hygiene")),
        "pacing": site_url(reverse("forecasting:pacing")),
        "preferences": site_url(reverse("notifications:preferences")),
    }
    if scope == TEAM:
        links["calls"] = site_url(f"{reverse('calls:team')}?{urlencode({'person': person.pk})}&{query}")
    return links


def digest_for(person: Person, shared: _Week) -> Digest | None:
    """The digest `person` gets this week, or None when they get none (an EM Manager with nobody
    below them in the forecast hierarchy; someone in neither role)."""
    tree, rollup = shared.tree, shared.rollup
    if person.role == Role.LEADERSHIP:
        scope = ORGANISATION
        lines = [line for line in rollup.lines if line.depth <= 1]
        team = set(tree.members)
        hygiene_qs = Opportunity.objects.filter(hygiene.open_live())
    elif person.role == Role.EM_MANAGER and person.pk in tree.members and tree.members[person.pk].reports:
        scope = TEAM
        lines = rollup.team(person.pk)
        team = {person.pk, *tree.below(person.pk)}
        hygiene_qs = Opportunity.objects.filter(hygiene.open_live(), engagement_manager_id__in=team)
    else:
        return None
    missing = [line.name for line in rollup.lines if line.call is None and line.pk in team]
    moves = [m for m, em in shared.moves if scope == ORGANISATION or em in team][:MOVES_SHOWN]
    counts = hygiene.flag_counts_for(hygiene_qs)
    return Digest(
        person=person,
        scope=scope,
        quarter=shared.quarter,
        week=shared.week,
        currency=figures.corporate_currency(),
        lines=lines,
        not_submitted=missing,
        moves=moves,
        moves_from=shared.moves_from,
        hygiene=[hygiene.FlagCount(key, label, counts[key]) for key, label in hygiene.FLAGS.items()],
        links=_links(shared, person, scope),
    )


def render_digest(digest: Digest) -> tuple[str, str]:
    """(plain text, HTML): the HTML escapes every name and note; the text is sent as text."""
    context: dict[str, Any] = {"digest": digest, "flag_links": _flag_links(digest)}
    return (
        render_to_string("digest/email.txt", context),
        render_to_string("digest/email.html", context),
    )


def _flag_links(digest: Digest) -> dict[str, str]:
    base = digest.links["hygiene"]
    return {flag.key: f"{base}?flag={flag.key}" for flag in digest.hygiene}


def recipients() -> list[Person]:
    """Active EM Managers and leadership with a login and an email who have not turned the
    digest's email off."""
    opted_out = NotificationPreference.objects.filter(kind=Kind.WEEKLY_DIGEST, email=False).values("user_id")
    return list(
        Person.objects.filter(
            active=True,
            role__in=[Role.EM_MANAGER, Role.LEADERSHIP],
            user__isnull=False,
            user__is_active=True,
        )
        .exclude(user_id__in=opted_out)
        .exclude(email="")
        .select_related("user")
        .order_by("name", "pk")
    )


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Send this week's digests that are due and not yet sent; returns how many were sent."""
    now = now or timezone.now()
    week = call_selectors.current_week(now)
    if now < digest_moment(week):
        return 0
    people = recipients()
    already = set(DigestSent.objects.filter(week=week).values_list("user_id", flat=True))
    people = [p for p in people if p.user_id not in already]
    if not people:
        return 0
    shared = _week(now)
    sent = 0
    for person in people:
        digest = digest_for(person, shared)
        if digest is None:
            continue
        text, html = render_digest(digest)
        assert person.user_id is not None  # recipients() reads only people with a login
        with transaction.atomic():
            _row, created = DigestSent.objects.get_or_create(
                user_id=person.user_id, week=week, defaults={"scope": digest.scope, "sent_at": now}
            )
            if not created:
                continue
            send_notification(
                subject=digest.subject,
                body=text,
                html=html,
                recipients=[person.email],
                context={"event": "weekly_digest", "person": person.pk, "week": week.isoformat()},
            )
            sent += 1
    return sent
