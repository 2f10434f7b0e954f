"""Working hours of a region (its WorkingCalendar, else the default one, else Monday to Friday
09:00–17:00 in the site's time zone): a service level counted in working hours, skipping the
evenings, the days off and the weekends, on the region's own wall clock (so a daylight-saving change
moves the due time in UTC, never the hour it falls due locally)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from people.models import Region
from sow.models import WorkingCalendar


@dataclass(frozen=True)
class Calendar:
    time_zone: str
    working_days: frozenset[int]  # ISO weekdays, 1 = Monday
    day_start: dt.time
    day_end: dt.time

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @classmethod
    def of(cls, row: WorkingCalendar) -> Calendar:
        return cls(row.time_zone, frozenset(int(d) for d in row.working_days), row.day_start, row.day_end)


def default_calendar() -> Calendar:
    return Calendar(str(settings.TIME_ZONE), frozenset({1, 2, 3, 4, 5}), dt.time(9), dt.time(17))


def calendar_for(region: Region | None) -> Calendar:
    """The region's calendar, else the default calendar row, else Monday–Friday 09:00–17:00."""
    wanted = Q(region__isnull=True) | (Q(region=region) if region is not None else Q(pk__in=[]))
    rows = {row.region_id: row for row in WorkingCalendar.objects.filter(wanted)}
    row = rows.get(region.pk if region is not None else None) or rows.get(None)
    return Calendar.of(row) if row is not None else default_calendar()


def _minutes(hours: Decimal) -> int:
    return int((Decimal(hours) * 60).to_integral_value())


def add_working_hours(start: dt.datetime, hours: Decimal, calendar: Calendar) -> dt.datetime:
    """The moment `hours` working hours after `start` (aware), in UTC. Time outside working hours
    does not count; a start outside them counts from the next working moment."""
    zone = calendar.zone
    local = start.astimezone(zone).replace(tzinfo=None)  # wall clock
    remaining = _minutes(hours)
    day = local.date()
    position = local
    for _ in range(3700):  # ten years of days: a calendar always has a working day
        opens = dt.datetime.combine(day, calendar.day_start)
        closes = dt.datetime.combine(day, calendar.day_end)
        if day.isoweekday() in calendar.working_days and position < closes:
            begin = max(position, opens)
            available = int((closes - begin).total_seconds() // 60)
            if remaining <= available:
                due = begin + dt.timedelta(minutes=remaining)
                return due.replace(tzinfo=zone).astimezone(dt.UTC)
            remaining -= available
        day += dt.timedelta(days=1)
        position = dt.datetime.combine(day, dt.time(0))
    raise ValueError("The working calendar has no working hours.")


def working_hours_between(start: dt.datetime, end: dt.datetime, calendar: Calendar) -> Decimal:
    """Working hours from `start` to `end` (0 when `end` is not later)."""
    zone = calendar.zone
    first = start.astimezone(zone).replace(tzinfo=None)
    last = end.astimezone(zone).replace(tzinfo=None)
    if last <= first:
        return Decimal("0")
    minutes = 0
    day = first.date()
    while day <= last.date():
        if day.isoweekday() in calendar.working_days:
            opens = max(dt.datetime.combine(day, calendar.day_start), first)
            closes = min(dt.datetime.combine(day, calendar.day_end), last)
            if closes > opens:
                minutes += int((closes - opens).total_seconds() // 60)
        day += dt.timedelta(days=1)
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))
