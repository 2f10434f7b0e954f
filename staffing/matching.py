"""Candidate matching for staffing requirements: pure computations, no database.

Working hours are 09:00–17:00 local time on weekdays (Monday–Friday) for everyone. Overlap is
computed for each of the customer's working days in the requirement's period with zoneinfo, so
daylight-saving changes on either side count on the days they apply. Availability is counted per
ISO week (Monday start): an assignment counts in full in every week its dates touch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

WORK_START = dt.time(9, 0)
WORK_END = dt.time(17, 0)
UTC = dt.UTC

# Points for each part of the rank (they add up to 100). Required skills are a filter, not points.
WEIGHTS = {
    "nice_to_have": Decimal("30"),
    "languages": Decimal("20"),
    "overlap": Decimal("25"),
    "availability": Decimal("25"),
}

ZERO = Decimal("0")
ONE = Decimal("1")


def _q(value: Decimal, places: str = "0.1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def hours_text(value: Decimal) -> str:
    """12 → "12", 12.5 → "12.5", 12.25 → "12.25"."""
    text = f"{value.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


# --------------------------------------------------------------------------- time zones


def _working_interval(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, WORK_START, tzinfo=zone).astimezone(UTC)
    end = dt.datetime.combine(day, WORK_END, tzinfo=zone).astimezone(UTC)
    return start, end


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def daily_overlap(person_tz: str, customer_tz: str, day: dt.date) -> Decimal:
    """Hours on the customer's working day `day` during which the person is also at work."""
    person_zone, customer_zone = ZoneInfo(person_tz), ZoneInfo(customer_tz)
    c_start, c_end = _working_interval(day, customer_zone)
    seconds = 0.0
    # The person's working days that can touch the customer's day: the same date and its neighbours.
    for offset in (-1, 0, 1):
        other = day + dt.timedelta(days=offset)
        if other.weekday() >= 5:
            continue
        p_start, p_end = _working_interval(other, person_zone)
        seconds += max(0.0, (min(c_end, p_end) - max(c_start, p_start)).total_seconds())
    return Decimal(int(seconds)) / Decimal(3600)


@dataclass(frozen=True)
class Overlap:
    """Working-hours overlap over a period: the worst day, the best day, and days meeting the need."""

    minimum: Decimal
    maximum: Decimal
    working_days: int
    days_meeting_need: int
    first_short_day: dt.date | None


def overlap_over(
    person_tz: str, customer_tz: str, start: dt.date, end: dt.date, needed: Decimal
) -> Overlap | None:
    """Overlap on every customer working day from start to end (None when the period has none)."""
    values: list[tuple[dt.date, Decimal]] = [
        (day, daily_overlap(person_tz, customer_tz, day)) for day in _days(start, end) if day.weekday() < 5
    ]
    if not values:
        return None
    hours = [h for _, h in values]
    short = [day for day, h in values if h < needed]
    return Overlap(
        minimum=min(hours),
        maximum=max(hours),
        working_days=len(values),
        days_meeting_need=len(values) - len(short),
        first_short_day=short[0] if short else None,
    )


# --------------------------------------------------------------------------- weeks and load


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weeks_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The Mondays of every ISO week touched by the period."""
    weeks = []
    monday = week_start(start)
    while monday <= end:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class Booking:
    """Another assignment of the person (its hours count in every week its dates touch)."""

    start: dt.date
    end: dt.date
    hours_per_week: Decimal
    confirmed: bool
    label: str = ""


@dataclass(frozen=True)
class WeekLoad:
    week: dt.date
    capacity: Decimal
    confirmed: Decimal
    proposed: Decimal

    @property
    def free(self) -> Decimal:
        """Capacity left once confirmed and proposed work is counted (negative when over-booked)."""
        return self.capacity - self.confirmed - self.proposed

    @property
    def free_confirmed(self) -> Decimal:
        """Capacity left counting confirmed work only (what a confirmation is checked against)."""
        return self.capacity - self.confirmed


def weekly_load(capacity: Decimal, bookings: Iterable[Booking], weeks: Sequence[dt.date]) -> list[WeekLoad]:
    confirmed = dict.fromkeys(weeks, ZERO)
    proposed = dict.fromkeys(weeks, ZERO)
    for booking in bookings:
        for monday in weeks:
            sunday = monday + dt.timedelta(days=6)
            if booking.start <= sunday and booking.end >= monday:
                target = confirmed if booking.confirmed else proposed
                target[monday] += booking.hours_per_week
    return [WeekLoad(w, capacity, confirmed[w], proposed[w]) for w in weeks]


def over_allocated_weeks(
    capacity: Decimal, bookings: Iterable[Booking], start: dt.date, end: dt.date, hours_per_week: Decimal
) -> list[WeekLoad]:
    """Weeks in which confirmed bookings plus `hours_per_week` exceed the capacity."""
    return [
        load
        for load in weekly_load(capacity, [b for b in bookings if b.confirmed], weeks_between(start, end))
        if load.confirmed + hours_per_week > load.capacity
    ]


# --------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class Need:
    """What a requirement asks for, in plain values."""

    required_skills: dict[str, int]  # skill name -> minimum level
    nice_skills: dict[str, int]
    languages: list[str]
    customer_time_zone: str
    overlap_hours: Decimal
    hours_per_week: Decimal
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Profile:
    """What a person offers, in plain values."""

    key: int
    name: str
    skills: dict[str, int]  # skill name -> level
    languages: list[str]
    time_zone: str
    capacity: Decimal
    utilization_target: Decimal


@dataclass
class Reason:
    topic: str
    text: str
    points: Decimal | None = None
    max_points: Decimal | None = None
    ok: bool = True


@dataclass
class Match:
    profile: Profile
    eligible: bool
    score: Decimal
    reasons: list[Reason]
    problems: list[str] = field(default_factory=list)
    busiest: WeekLoad | None = None
    overlap: Overlap | None = None
    weeks: list[WeekLoad] = field(default_factory=list)
    hours_needed: Decimal = ZERO

    @property
    def short_of_hours(self) -> bool:
        """Confirming would over-allocate: in some week confirmed work plus the need exceeds capacity."""
        return any(load.confirmed + self.hours_needed > load.capacity for load in self.weeks)


def _skill_text(name: str, have: int | None, need: int) -> str:
    return f"{name} {have} (needs {need})" if have is not None else f"{name} missing (needs {need})"


def evaluate(
    need: Need, profile: Profile, bookings: Sequence[Booking], *, overlap: Overlap | None = None
) -> Match:
    """Score one person against a requirement and say why, with the numbers."""
    reasons: list[Reason] = []
    problems: list[str] = []

    # Required skills: a filter.
    missing = [
        _skill_text(name, profile.skills.get(name), level)
        for name, level in sorted(need.required_skills.items())
        if profile.skills.get(name, 0) < level
    ]
    if missing:
        problems.append("Required skills not met: " + ", ".join(missing) + ".")
    elif need.required_skills:
        reasons.append(
            Reason(
                "Required skills",
                "Met: "
                + ", ".join(
                    _skill_text(name, profile.skills.get(name), level)
                    for name, level in sorted(need.required_skills.items())
                )
                + ".",
            )
        )

    # Nice-to-have skills: their share of the points, each counted only when the level is reached.
    score = ZERO
    weight = WEIGHTS["nice_to_have"]
    if need.nice_skills:
        per_skill = weight / len(need.nice_skills)
        met = [name for name, level in need.nice_skills.items() if profile.skills.get(name, 0) >= level]
        points = per_skill * len(met)
        details = ", ".join(
            _skill_text(name, profile.skills.get(name), level)
            for name, level in sorted(need.nice_skills.items())
        )
        reasons.append(
            Reason(
                "Nice-to-have skills",
                f"{len(met)} of {len(need.nice_skills)} met: {details}.",
                _q(points),
                weight,
                ok=len(met) == len(need.nice_skills),
            )
        )
    else:
        points = weight
        reasons.append(Reason("Nice-to-have skills", "None asked for.", _q(points), weight))
    score += points

    # Languages: the share of the requirement's languages the person speaks.
    weight = WEIGHTS["languages"]
    spoken = {lang.casefold() for lang in profile.languages}
    if need.languages:
        have = [lang for lang in need.languages if lang.casefold() in spoken]
        lacking = [lang for lang in need.languages if lang.casefold() not in spoken]
        points = weight * len(have) / len(need.languages)
        text = f"Speaks {len(have)} of {len(need.languages)}: " + ", ".join(
            [*(f"{lang} ✓" for lang in have), *(f"{lang} ✗" for lang in lacking)]
        )
        reasons.append(Reason("Languages", text + ".", _q(points), weight, ok=not lacking))
    else:
        points = weight
        reasons.append(Reason("Languages", "None asked for.", _q(points), weight))
    score += points

    # Working-hours overlap with the customer, worst working day of the period.
    weight = WEIGHTS["overlap"]
    if overlap is None:
        overlap = overlap_over(
            profile.time_zone, need.customer_time_zone, need.start, need.end, need.overlap_hours
        )
    if overlap is None:
        points = weight
        reasons.append(Reason("Time zone", "The period has no working days.", _q(points), weight))
    else:
        needed = need.overlap_hours
        points = weight * min(ONE, overlap.minimum / needed) if needed > 0 else weight
        spread = (
            f"{hours_text(overlap.minimum)} h"
            if overlap.minimum == overlap.maximum
            else f"{hours_text(overlap.minimum)}–{hours_text(overlap.maximum)} h"
        )
        text = (
            f"{spread} a day of 09:00–17:00 overlap between {profile.time_zone} and "
            f"{need.customer_time_zone}; "
            f"needs {hours_text(need.overlap_hours)} h: met on {overlap.days_meeting_need} of "
            f"{overlap.working_days} working days"
        )
        if overlap.first_short_day is not None:
            text += f" (first short day {overlap.first_short_day:%Y-%m-%d})"
        reasons.append(
            Reason("Time zone", text + ".", _q(points), weight, ok=overlap.first_short_day is None)
        )
    score += points

    # Availability: capacity minus other confirmed and proposed work, in the busiest week of the period.
    weight = WEIGHTS["availability"]
    weeks = weekly_load(profile.capacity, bookings, weeks_between(need.start, need.end))
    busiest = min(weeks, key=lambda load: (load.free, load.week)) if weeks else None
    if busiest is None:
        points = ZERO
    else:
        free = max(ZERO, busiest.free)
        points = weight * min(ONE, free / need.hours_per_week)
        text = (
            f"Busiest week {busiest.week:%Y-%m-%d}: {hours_text(busiest.capacity)} h capacity − "
            f"{hours_text(busiest.confirmed)} h confirmed − {hours_text(busiest.proposed)} h proposed = "
            f"{hours_text(busiest.free)} h free; needs {hours_text(need.hours_per_week)} h a week."
        )
        reasons.append(
            Reason("Availability", text, _q(points), weight, ok=busiest.free >= need.hours_per_week)
        )
        if busiest.free <= 0:
            problems.append(
                f"No availability in the week of {busiest.week:%Y-%m-%d}: "
                f"{hours_text(busiest.confirmed + busiest.proposed)} h booked of "
                f"{hours_text(busiest.capacity)} h capacity."
            )
        if profile.capacity > 0:
            booked = busiest.confirmed + busiest.proposed + min(need.hours_per_week, max(ZERO, busiest.free))
            utilization = _q(booked / profile.capacity * 100, "1")
            reasons.append(
                Reason(
                    "Utilization",
                    f"{utilization} % of capacity in the busiest week with this work "
                    f"(target {hours_text(profile.utilization_target)} %).",
                )
            )
    score += points

    match = Match(
        profile=profile,
        eligible=not problems,
        score=_q(score),
        reasons=reasons,
        problems=problems,
        busiest=busiest,
        overlap=overlap,
        weeks=weeks,
        hours_needed=need.hours_per_week,
    )
    return match


def rank(matches: Iterable[Match]) -> list[Match]:
    """Highest score first; ties go to the most free hours, then by name."""
    return sorted(
        matches,
        key=lambda m: (-m.score, -(m.busiest.free if m.busiest else ZERO), m.profile.name, m.profile.key),
    )
