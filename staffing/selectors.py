"""Reads for staffing: requirements with their skills and assignments, and the ranked candidate list.

Every function here issues a fixed number of queries, whatever the number of people and assignments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from core.types import AnyUser
from people.models import Person, PersonSkill
from sow import access as sow_access
from sow.models import Sow, SowStatus, SowVersion
from staffing import access, matching
from staffing.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    RequirementSkill,
    StaffingRequirement,
)


@dataclass(frozen=True)
class SowStage:
    signed: bool  # a version is signed or handed off: assignments may be confirmed
    handed_off: bool  # requirements are frozen
    closed: bool  # every version withdrawn (or superseded): nothing more to staff

    @property
    def requirements_open(self) -> bool:
        return not (self.handed_off or self.closed)


def sow_stage(sow: Sow, statuses: Iterable[str] | None = None) -> SowStage:
    """Where the SOW is, for staffing: signed, handed off, or closed (every version withdrawn)."""
    found = set(statuses if statuses is not None else sow.versions.values_list("status", flat=True))
    return SowStage(
        signed=bool(found & {SowStatus.SIGNED, SowStatus.HANDED_OFF}),
        handed_off=SowStatus.HANDED_OFF in found,
        closed=not (found - {SowStatus.WITHDRAWN, SowStatus.SUPERSEDED}),
    )


def _active_assignments() -> Prefetch[str, QuerySet[Assignment], str]:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(status__in=ACTIVE_ASSIGNMENT)
        .select_related("person", "person__region")
        .order_by("status", "person__name"),
        to_attr="active_assignments",
    )


def _skills() -> Prefetch[str, QuerySet[RequirementSkill], str]:
    return Prefetch("skills", queryset=RequirementSkill.objects.select_related("skill"))


def requirement_for_user(*, user: AnyUser, pk: int) -> StaffingRequirement:
    """The requirement if the user may see its SOW (404 otherwise, like the SOW itself)."""
    requirement = (
        StaffingRequirement.objects.select_related(
            "sow",
            "sow__opportunity",
            "sow__opportunity__account",
            "sow__opportunity__engagement_manager",
            "sow__scoping_issue",
            "sow__scoping_issue__opportunity",
        )
        .prefetch_related(_skills())
        .filter(pk=pk)
        .first()
    )
    if requirement is None or not sow_access.can_view(user, requirement.sow):
        raise Http404("No such staffing requirement.")
    access.can_view.require(user, requirement.sow)
    return requirement


def assignment_for_user(*, user: AnyUser, pk: int) -> Assignment:
    assignment = (
        Assignment.objects.select_related(
            "person",
            "requirement",
            "requirement__sow",
            "requirement__sow__opportunity",
            "requirement__sow__scoping_issue",
            "requirement__sow__scoping_issue__opportunity",
        )
        .filter(pk=pk)
        .first()
    )
    if assignment is None or not sow_access.can_view(user, assignment.requirement.sow):
        raise Http404("No such assignment.")
    access.can_view.require(user, assignment.requirement.sow)
    return assignment


def requirements_for_sow(sow: Sow) -> list[StaffingRequirement]:
    return list(
        StaffingRequirement.objects.filter(sow=sow).prefetch_related(_skills(), _active_assignments())
    )


def assignments_for_requirement(requirement: StaffingRequirement) -> list[Assignment]:
    """Every assignment of the requirement, cancelled ones last, with who did what."""
    return list(
        Assignment.objects.filter(requirement=requirement)
        .select_related("person", "proposed_by", "confirmed_by", "cancelled_by")
        .order_by(
            Case(
                When(status=AssignmentStatus.CONFIRMED, then=Value(0)),
                When(status=AssignmentStatus.PROPOSED, then=Value(1)),
                default=Value(2),
            ),
            "person__name",
            "pk",
        )
    )


@dataclass
class StaffingSection:
    sow: Sow
    requirements: list[StaffingRequirement]
    stage: SowStage
    can_view: bool
    can_edit: bool


def staffing_section(user: AnyUser, sow: Sow) -> StaffingSection:
    """What the SOW page's Staffing section shows (a fixed number of queries)."""
    visible = access.can_view(user, sow)
    return StaffingSection(
        sow=sow,
        requirements=requirements_for_sow(sow) if visible else [],
        stage=sow_stage(sow),
        can_view=visible,
        can_edit=access.can_edit(user, sow),
    )


def open_requirements(
    user: AnyUser, *, today: dt.date | None = None, limit: int = 300
) -> list[StaffingRequirement]:
    """Requirements on SOWs the user may see that have not ended, soonest first, each with its SOW's
    versions (for the status) and active assignments."""
    today = today or timezone.localdate()
    rows = list(
        StaffingRequirement.objects.filter(sow__in=Sow.objects.filter(sow_access.visible_filter(user)))
        .filter(end_date__gte=today)
        .select_related("sow", "sow__opportunity", "sow__opportunity__account", "sow__opportunity__region")
        .prefetch_related(
            _skills(),
            _active_assignments(),
            Prefetch("sow__versions", queryset=SowVersion.objects.order_by("-number")),
        )
        .order_by("start_date", "pk")[:limit]
    )
    for row in rows:
        versions = list(row.sow.versions.all())
        row.latest_version = versions[0] if versions else None  # type: ignore[attr-defined]  # for the page
        row.stage = sow_stage(row.sow, [v.status for v in versions])  # type: ignore[attr-defined]  # for the page
        row.confirmed_hours = sum(  # type: ignore[attr-defined]  # for the page
            (a.hours_per_week for a in row.active_assignments if a.status == AssignmentStatus.CONFIRMED),  # type: ignore[attr-defined]  # a prefetch to_attr
            matching.ZERO,
        )
    return rows


def person_assignments(user: AnyUser, person: Person) -> tuple[list[Assignment], int]:
    """A person's active assignments on SOWs the user may see, and how many others there are."""
    active = Assignment.objects.filter(person=person, status__in=ACTIVE_ASSIGNMENT)
    visible = list(
        active.filter(requirement__sow__in=Sow.objects.filter(sow_access.visible_filter(user)))
        .select_related("requirement", "requirement__sow", "requirement__sow__opportunity__account")
        .order_by("start_date", "pk")
    )
    hidden = active.count() - len(visible)
    return visible, hidden


# --------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    person: Person
    match: matching.Match
    rank: int = 0
    existing: Assignment | None = None  # this person's active assignment on this requirement
    error: str = ""  # a refused action on this row, shown next to its controls

    @property
    def reasons(self) -> list[matching.Reason]:
        return self.match.reasons

    @property
    def needs_override(self) -> bool:
        return self.match.short_of_hours


@dataclass
class CandidateList:
    requirement: StaffingRequirement
    need: matching.Need
    ranked: list[Candidate] = field(default_factory=list)
    unqualified: list[Candidate] = field(default_factory=list)  # a required skill is not met
    unavailable: list[Candidate] = field(default_factory=list)  # no free hours in some week
    weeks: int = 0


def need_for(requirement: StaffingRequirement) -> matching.Need:
    skills = list(requirement.skills.all())
    return matching.Need(
        required_skills={rs.skill.name: rs.min_level for rs in skills if rs.required},
        nice_skills={rs.skill.name: rs.min_level for rs in skills if not rs.required},
        languages=list(requirement.languages or []),
        customer_time_zone=requirement.customer_time_zone,
        overlap_hours=requirement.overlap_hours,
        hours_per_week=requirement.hours_per_week,
        start=requirement.start_date,
        end=requirement.end_date,
    )


def candidate_pool(requirement: StaffingRequirement) -> QuerySet[Person]:
    """Active people in the requirement's delivery role, with their skills."""
    return (
        Person.objects.filter(active=True, role=requirement.delivery_role)
        .select_related("region")
        .prefetch_related(Prefetch("skill_levels", queryset=PersonSkill.objects.select_related("skill")))
        .order_by("name", "pk")
    )


def candidates_for(requirement: StaffingRequirement) -> CandidateList:
    """Rank the pool for a requirement: required skills filter, nice-to-have skills, languages,
    working-hours overlap and availability score, every candidate with the reasons (4 queries)."""
    need = need_for(requirement)
    pool = candidate_pool(requirement)
    people = list(pool)
    bookings: dict[int, list[matching.Booking]] = {}
    for a in (
        Assignment.objects.filter(
            person__in=pool.values("pk"),
            status__in=ACTIVE_ASSIGNMENT,
            start_date__lte=requirement.end_date,
            end_date__gte=requirement.start_date,
        )
        .exclude(requirement=requirement)
        .only("person_id", "start_date", "end_date", "hours_per_week", "status")
    ):
        bookings.setdefault(a.person_id, []).append(
            matching.Booking(
                a.start_date, a.end_date, a.hours_per_week, a.status == AssignmentStatus.CONFIRMED
            )
        )
    existing = {
        a.person_id: a
        for a in Assignment.objects.filter(requirement=requirement, status__in=ACTIVE_ASSIGNMENT)
    }
    overlaps: dict[str, matching.Overlap | None] = {}
    result = CandidateList(
        requirement=requirement, need=need, weeks=len(matching.weeks_between(need.start, need.end))
    )
    matches = []
    for person in people:
        if person.time_zone not in overlaps:
            overlaps[person.time_zone] = matching.overlap_over(
                person.time_zone, need.customer_time_zone, need.start, need.end, need.overlap_hours
            )
        profile = matching.Profile(
            key=person.pk,
            name=person.name,
            skills={ps.skill.name: ps.level for ps in person.skill_levels.all()},
            languages=list(person.languages or []),
            time_zone=person.time_zone,
            capacity=person.weekly_capacity_hours,
            utilization_target=person.utilization_target,
        )
        matches.append(
            (
                person,
                matching.evaluate(
                    need, profile, bookings.get(person.pk, []), overlap=overlaps[person.time_zone]
                ),
            )
        )
    by_key = {person.pk: person for person, _ in matches}
    for match in matching.rank(m for _, m in matches):
        candidate = Candidate(
            person=by_key[match.profile.key], match=match, existing=existing.get(match.profile.key)
        )
        if match.eligible:
            candidate.rank = len(result.ranked) + 1
            result.ranked.append(candidate)
        elif any(p.startswith("Required skills") for p in match.problems):
            result.unqualified.append(candidate)
        else:
            result.unavailable.append(candidate)
    return result


def staffing_gaps(sow: Sow) -> list[str]:
    """Each staffing requirement whose confirmed assignments do not cover its hours a week (2 queries)."""
    requirements = StaffingRequirement.objects.filter(sow=sow).prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(status=AssignmentStatus.CONFIRMED),
            to_attr="confirmed_assignments",
        )
    )
    gaps = []
    for requirement in requirements.order_by("start_date", "pk"):
        covered = sum(
            (a.hours_per_week for a in requirement.confirmed_assignments),
            Decimal("0"),
        )
        if covered < requirement.hours_per_week:
            name = requirement.title or requirement.get_delivery_role_display()
            needed = requirement.hours_per_week.normalize()
            gaps.append(f"{name}: {covered.normalize():f} of {needed:f} hours a week confirmed.")
    return gaps
