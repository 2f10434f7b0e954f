"""Writes for the forecast: weekly snapshots and bookings-plan imports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import actions
from core.fiscal import FiscalQuarter
from core.jobs import job_queue
from core.models import BackgroundJob
from core.money import CURRENCY_CODES
from core.validators import parse_decimal
from engagements.models import Account, Opportunity
from forecasting import access, pushes, totals
from forecasting.figures import RateBook
from forecasting.models import BookingsPlan, ForecastSnapshot, ForecastSnapshotRow
from people.models import Person, Region


def snapshot_time_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.FORECAST_SNAPSHOT_TIME_ZONE)


def week_of(moment: dt.datetime | None = None) -> dt.date:
    """Monday of the week `moment` falls in, in the snapshot time zone."""
    local = (moment or timezone.now()).astimezone(snapshot_time_zone()).date()
    return local - dt.timedelta(days=local.weekday())


# Quarters before the week's own that a snapshot answers (the dashboard offers four back).
SNAPSHOT_QUARTERS_BACK = 4


@transaction.atomic
def snapshot_take(
    *,
    week: dt.date | None = None,
    actor: User | None = None,
    replace: bool = False,
    keep_frozen: bool = False,
) -> ForecastSnapshot:
    """Store one row per opportunity in scope for the week, with the names and exchange rates of the
    day: every open one (any close date), every one closed with a close date from the start of the
    quarter SNAPSHOT_QUARTERS_BACK before the week's on (later quarters too), and every one the
    previous snapshot held in that range (so a deal never drops out of the weekly chain unless it
    is removed in Salesforce).

    A past week's snapshot is frozen: replacing it needs `replace=True`, and records who and when on
    the snapshot and in the audit trail (`keep_frozen=True` returns it untouched instead of refusing,
    for a redelivered task). This week's may be taken again (the week is still open).
    Without an actor it runs as the system (the weekly beat task, the management command)."""
    if actor is not None:
        access.can_take_snapshot.require(actor)
    week = week or week_of()
    if week.weekday() != 0:
        week = week - dt.timedelta(days=week.weekday())
    if week > week_of():
        raise ValidationError("A snapshot cannot be taken for a future week.", code="future")
    closed_from = FiscalQuarter.for_date(week).shift(-SNAPSHOT_QUARTERS_BACK).start
    # Two runs at once (beat fired twice, a redelivered task) take turns here: the week's row stays
    # locked until this transaction commits, and a run that raced to create it gets the unique
    # constraint's IntegrityError inside get_or_create, which then waits for and locks the winner's row.
    snapshot, created = ForecastSnapshot.objects.select_for_update().get_or_create(
        week=week, defaults={"taken_at": timezone.now()}
    )
    past = week < week_of()
    if not created and past and not replace:
        if keep_frozen:
            return snapshot
        taken = f"{timezone.localtime(snapshot.taken_at):%Y-%m-%d %H:%M}"
        raise ValidationError(
            f"The snapshot of the week of {week:%Y-%m-%d} (taken {taken}) is frozen. Replacing it stores "
            "today's pipeline and exchange rates as that week's: confirm with --replace (or the admin's "
            "confirmation) to do so.",
            code="frozen",
        )
    before = None if created else actions.snapshot(snapshot)
    before_taken = snapshot.taken_at
    ForecastSnapshotRow.objects.filter(snapshot=snapshot).delete()
    rows_count = _snapshot_insert_rows(snapshot, week=week, closed_from=closed_from)
    pushes.mark(snapshot)
    if not created:
        pushes.mark_following(week)  # the next week's rows were compared with the rows replaced
    now = timezone.now()
    snapshot.taken_at = now
    snapshot.rows_count = rows_count
    snapshot.closed_from, snapshot.closed_to = closed_from, None
    # The rates in force on the day it is taken (the as-of date its figures are converted on).
    snapshot.rates = RateBook.load().on(timezone.localtime(now).date()).as_stored()
    fields = ["taken_at", "rows_count", "closed_from", "closed_to", "rates"]
    if not created:
        snapshot.replaced_at = now
        snapshot.replaced_by = actor.get_full_name() or actor.get_username() if actor else ""
        fields += ["replaced_at", "replaced_by"]
    totals.totals_write(snapshot)
    totals.analyze()
    actions.save(
        snapshot,
        actor=actor,
        action="took the forecast snapshot" if created else "replaced the forecast snapshot",
        before=before,
        update_fields=fields,
        also_changed=actions.diff(snapshot, None) if created else None,
        note=""
        if created
        else (
            f"The week's earlier rows (taken {timezone.localtime(before_taken):%Y-%m-%d %H:%M}) were "
            "replaced with the pipeline and exchange rates of today."
        ),
    )
    return snapshot


SNAPSHOT_JOB_KIND = "forecast_snapshot"


@transaction.atomic
def snapshot_take_request(*, actor: User, replace: bool = False) -> BackgroundJob:
    """Take this week's snapshot now, by hand: queued for the worker (it reads every opportunity),
    with the job the snapshots page shows while it runs. The same rules as `snapshot_take`."""
    access.can_take_snapshot.require(actor)
    from forecasting.tasks import take_snapshot_now  # the task module imports this one

    job = job_queue(
        actor=actor,
        kind=SNAPSHOT_JOB_KIND,
        label=f"Snapshot of the week of {week_of():%-d %b %Y}",
        permission="forecasting.add_forecastsnapshot",
    )
    job_id, actor_id = job.pk, actor.pk
    transaction.on_commit(lambda: take_snapshot_now.delay(job_id=job_id, actor_id=actor_id, replace=replace))
    return job


def _snapshot_insert_rows(snapshot: ForecastSnapshot, *, week: dt.date, closed_from: dt.date) -> int:
    """Copy the opportunities in scope into the snapshot's rows with one INSERT … SELECT (the same
    statement on PostgreSQL and SQLite); returns how many rows it wrote."""
    qn = connection.ops.quote_name
    row_table = qn(ForecastSnapshotRow._meta.db_table)
    # Only table names from the models are formatted in; every value is a parameter.
    sql = f"""
        INSERT INTO {row_table} (
            snapshot_id, opportunity_id, name, account_name, amount, currency, close_date, stage,
            is_closed, is_won, confidence, engagement_manager_id, engagement_manager_name,
            region_id, region_code, em_reviewed_at
        )
        SELECT %s, o.id, o.name, a.name, COALESCE(o.amount, 0), o.currency, o.close_date, o.stage,
               o.is_closed, o.is_won, o.em_confidence, o.engagement_manager_id, COALESCE(p.name, ''),
               o.region_id, COALESCE(r.code, ''), o.em_reviewed_at
        FROM {qn(Opportunity._meta.db_table)} o
        JOIN {qn(Account._meta.db_table)} a ON a.id = o.account_id
        LEFT JOIN {qn(Person._meta.db_table)} p ON p.id = o.engagement_manager_id
        LEFT JOIN {qn(Region._meta.db_table)} r ON r.id = o.region_id
        WHERE o.removed_in_salesforce_at IS NULL
          AND (
            o.is_closed = %s
            OR o.close_date >= %s
            OR o.id IN (
                SELECT c.opportunity_id FROM {row_table} c
                WHERE c.snapshot_id = (
                    SELECT s.id FROM {qn(ForecastSnapshot._meta.db_table)} s
                    WHERE s.week < %s ORDER BY s.week DESC LIMIT 1
                )
                  AND c.close_date >= %s AND c.opportunity_id IS NOT NULL
            )
          )
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [snapshot.pk, False, closed_from, week, closed_from])
        return int(cursor.rowcount)


@dataclass
class PlanImportResult:
    created: int
    updated: int
    unchanged: int = 0


MAX_PLAN_AMOUNT = Decimal("999999999999.99")
_HEADER = ["quarter", "region", "em_email", "amount", "currency"]


@transaction.atomic
def plan_import(*, actor: User, data: bytes) -> PlanImportResult:
    """Import bookings plans from CSV (quarter, region code, EM email, amount, currency).

    Every row is checked first; any bad row refuses the whole file with its line number. Each plan
    the file creates or changes gets its own audit entry (its amount before and after); a row that
    matches its plan already changes nothing. An EM has one plan per quarter, whatever its region.
    """
    access.can_import_plans.require(actor)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text.", code="encoding") from None
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows or [h.strip().lower() for h in rows[0][:5]] != _HEADER:
        raise ValidationError(f"The first line must be the header: {','.join(_HEADER)}", code="header")
    regions = {r.code.lower(): r for r in Region.objects.all()}
    people = {p.email.lower(): p for p in Person.objects.all()}
    errors: list[str] = []
    parsed: list[tuple[str, Region | None, Person | None, Decimal, str]] = []
    seen: set[tuple[str, int | None, int | None]] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        row = [*row, "", "", "", "", ""][:5]
        quarter_text, region_text, em_text, amount_text, currency_text = (cell.strip() for cell in row)
        problems = []
        try:
            quarter = FiscalQuarter.parse(quarter_text).label
        except ValueError:
            problems.append(f"quarter “{quarter_text[:20]}” is not like FY27-Q3")
            quarter = ""
        region = regions.get(region_text.lower()) if region_text else None
        if region_text and region is None:
            problems.append(f"unknown region “{region_text[:30]}”")
        person = people.get(em_text.lower()) if em_text else None
        if em_text and person is None:
            problems.append(f"no person with email “{em_text[:60]}”")
        try:
            # Spreadsheets write 1,234,567.89; only ASCII digits count (not ١٢٣, 1_000, 1e3 or NaN).
            amount: Decimal | None = parse_decimal(amount_text, allow_grouping=True)
        except ValidationError:
            amount = None
        if (
            amount is None
            or not Decimal("0") <= amount <= MAX_PLAN_AMOUNT
            or amount != amount.quantize(Decimal("0.01"))
        ):
            problems.append(
                f"amount “{amount_text[:20]}” is not a positive number with at most 2 decimals, "
                "written with the digits 0–9"
            )
            amount = Decimal("0")
        currency = (currency_text or settings.CORPORATE_CURRENCY).upper()
        if currency not in CURRENCY_CODES:
            problems.append(f"unknown currency “{currency_text[:5]}”")
        # The plan's scope: an EM's plan is theirs whatever region the row names.
        key = (quarter, None if person else region.pk if region else None, person.pk if person else None)
        if not problems and key in seen:
            problems.append(
                "the same quarter and EM appear twice"
                if person
                else "the same quarter and region appear twice"
            )
        seen.add(key)
        if problems:
            errors.append(f"Line {line}: " + "; ".join(problems) + ".")
        else:
            parsed.append((quarter, region, person, amount, currency))
    if errors:
        raise ValidationError(errors, code="bad_rows")
    outcomes = [
        _plan_put(
            actor=actor, quarter=quarter, region=region, person=person, amount=amount, currency=currency
        )
        for quarter, region, person, amount, currency in parsed
    ]
    return PlanImportResult(outcomes.count("created"), outcomes.count("updated"), outcomes.count("unchanged"))


def _plan_put(
    *, actor: User, quarter: str, region: Region | None, person: Person | None, amount: Decimal, currency: str
) -> str:
    """Create or change the one plan of this quarter and scope: "created", "updated" or "unchanged"."""
    # Locked on its own table, unordered: the default ordering would join the nullable region and EM.
    scope = (
        BookingsPlan.objects.select_for_update(of=("self",))
        .filter(quarter=quarter, engagement_manager=person)
        .order_by()
    )
    if person is None:
        scope = scope.filter(region=region)
    plan = scope.first()
    if plan is None:
        try:
            with transaction.atomic():
                actions.create(
                    BookingsPlan(
                        quarter=quarter,
                        region=region,
                        engagement_manager=person,
                        amount=amount,
                        currency=currency,
                    ),
                    actor=actor,
                    action="imported the bookings plan",
                )
            return "created"
        except IntegrityError:
            # Another import created this plan since the look-up: change that one instead.
            plan = scope.get()
    before = actions.snapshot(plan)
    plan.region, plan.amount, plan.currency = region, amount, currency
    if not actions.diff(plan, before):
        return "unchanged"
    actions.save(plan, actor=actor, action="changed the bookings plan by import", before=before)
    return "updated"
