"""Staffing requirements: the delivery roles a SOW needs staffed, with their skills, languages, the
customer's time zone, hours and dates. They change until the SOW is handed off or withdrawn.

Each write requires staffing.access.can_edit, claims (or locks) the requirement and records one
audit entry on it, its skills told in words among the changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from core import actions
from core.exceptions import Conflict, Gone
from core.validators import SINGLE_LINE_MESSAGE, has_control_characters
from people.models import DELIVERY_ROLES, Skill, time_zone_names
from people.services import clean_hours, clean_languages
from sow.models import Sow
from staffing import access
from staffing.models import ACTIVE_ASSIGNMENT, Assignment, RequirementSkill, StaffingRequirement
from staffing.selectors import sow_stage

MAX_PERIOD_DAYS = 731
MAX_TEXT = 4000

STALE_REQUIREMENT = "Someone else changed this requirement while you were editing. Nothing was saved; reload."
REMOVED_REQUIREMENT = "This staffing requirement has been removed in the meantime."

Errors = dict[str, list[ValidationError]]
AddError = Callable[..., None]


def collect_errors() -> tuple[Errors, AddError]:
    """A dict of field errors and the function that adds one (a message, or a ValidationError's)."""
    errors: Errors = {}

    def add(field: str, message: str | ValidationError, code: str = "invalid") -> None:
        if isinstance(message, ValidationError):
            errors.setdefault(field, []).extend(message.error_list)
        else:
            errors.setdefault(field, []).append(ValidationError(message, code=code))

    return errors, add


def _clean_requirement(
    *,
    title: str,
    delivery_role: str,
    hours_per_week: Any,
    start_date: Any,
    end_date: Any,
    customer_time_zone: str,
    overlap_hours: Any,
    languages: Iterable[str] | str | None,
    required_skills: Mapping[int, int],
    nice_skills: Mapping[int, int],
    notes: str,
) -> dict[str, Any]:
    errors, add = collect_errors()
    clean: dict[str, Any] = {}
    clean["title"] = " ".join((title or "").split())
    if has_control_characters(title or ""):
        add("title", SINGLE_LINE_MESSAGE, "control_characters")
    elif len(clean["title"]) > 120:
        add("title", "At most 120 characters.", "max_length")
    if delivery_role not in {role.value for role in DELIVERY_ROLES}:
        add("delivery_role", "Choose a delivery role.", "invalid_choice")
    clean["delivery_role"] = delivery_role
    try:
        clean["hours_per_week"] = clean_hours(
            hours_per_week,
            field_label="Hours per week",
            low=Decimal("0"),
            high=Decimal("80"),
            allow_low=False,
        )
    except ValidationError as exc:
        add("hours_per_week", exc)
    try:
        clean["overlap_hours"] = clean_hours(
            overlap_hours, field_label="Overlap", low=Decimal("0"), high=Decimal("8")
        )
    except ValidationError as exc:
        add("overlap_hours", exc)
    if not isinstance(start_date, dt.date):
        add("start_date", "Enter the start date.", "required")
    if not isinstance(end_date, dt.date):
        add("end_date", "Enter the end date.", "required")
    if isinstance(start_date, dt.date) and isinstance(end_date, dt.date):
        if end_date < start_date:
            add("end_date", "The end date is before the start date.", "order")
        elif (end_date - start_date).days > MAX_PERIOD_DAYS:
            add("end_date", "A requirement covers at most two years; split longer ones.", "too_long")
    clean["start_date"], clean["end_date"] = start_date, end_date
    clean["customer_time_zone"] = (customer_time_zone or "").strip()
    if clean["customer_time_zone"] not in time_zone_names():
        add(
            "customer_time_zone",
            f"“{clean['customer_time_zone'][:64]}” is not an IANA time zone (e.g. America/New_York).",
        )
    try:
        clean["languages"] = clean_languages(languages)
    except ValidationError as exc:
        add("languages", exc)
    clean["notes"] = (notes or "").strip()
    if len(clean["notes"]) > MAX_TEXT:
        add("notes", f"At most {MAX_TEXT} characters.", "max_length")
    known = set(Skill.objects.filter(pk__in=[*required_skills, *nice_skills]).values_list("pk", flat=True))
    for field, skills in (("required_skills", required_skills), ("nice_skills", nice_skills)):
        for skill_id, level in skills.items():
            if skill_id not in known:
                add(field, "Choose skills from the managed skill list.", "unknown_skill")
            elif not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
                add(field, "Skill levels go from 1 to 5.", "level_range")
    if set(required_skills) & set(nice_skills):
        add("nice_skills", "A skill is either required or nice to have, not both.", "both")
    clean["required_skills"], clean["nice_skills"] = dict(required_skills), dict(nice_skills)
    if errors:
        raise ValidationError(errors)
    return clean


def _check_requirements_editable(actor: User, sow: Sow) -> None:
    access.can_edit.require(actor, sow)
    stage = sow_stage(sow)
    if stage.handed_off:
        raise ValidationError(
            f"{sow.reference} is handed off to delivery; its staffing requirements are frozen.",
            code="handed_off",
        )
    if stage.closed:
        raise ValidationError(f"{sow.reference} is withdrawn.", code="withdrawn")


def lock_requirement(pk: int) -> StaffingRequirement:
    """The requirement fresh and locked until the transaction ends (no version to compare): what
    proposals are checked against, one at a time, and what a change of its dates waits for."""
    try:
        return actions.lock(StaffingRequirement.objects.select_related("sow"), pk=pk)
    except Gone:
        raise ValidationError(REMOVED_REQUIREMENT, code="removed") from None


def _skills_in_words(requirement: StaffingRequirement) -> str:
    rows = RequirementSkill.objects.filter(requirement=requirement).select_related("skill")
    return ", ".join(str(row) for row in sorted(rows, key=lambda r: (not r.required, r.skill.name))) or "—"


def _save_skills(actor: User, requirement: StaffingRequirement, clean: dict[str, Any]) -> None:
    """Make the requirement's skills those asked for (rows added, changed and removed for `actor`);
    the requirement's audit entry tells the change."""
    wanted = {
        **{skill_id: (level, False) for skill_id, level in clean["nice_skills"].items()},
        **{skill_id: (level, True) for skill_id, level in clean["required_skills"].items()},
    }
    current = {row.skill_id: row for row in RequirementSkill.objects.filter(requirement=requirement)}
    for skill_id, row in current.items():
        if skill_id not in wanted:
            actions.delete(row, actor=actor, audit=False)
        elif (row.min_level, row.required) != wanted[skill_id]:
            row.min_level, row.required = wanted[skill_id]
            actions.save(row, actor=actor, action="", update_fields=["min_level", "required"], audit=False)
    for skill_id, (level, required) in wanted.items():
        if skill_id not in current:
            row = RequirementSkill(
                requirement=requirement, skill_id=skill_id, min_level=level, required=required
            )
            actions.save(row, actor=actor, action="", audit=False)


_REQUIREMENT_FIELDS = [
    "title",
    "delivery_role",
    "hours_per_week",
    "start_date",
    "end_date",
    "customer_time_zone",
    "overlap_hours",
    "languages",
    "notes",
]


@transaction.atomic
def staffing_requirement_create(
    *,
    actor: User,
    sow: Sow,
    delivery_role: str,
    hours_per_week: Any,
    start_date: Any,
    end_date: Any,
    customer_time_zone: str,
    overlap_hours: Any = Decimal("0"),
    languages: Iterable[str] | str | None = None,
    required_skills: Mapping[int, int] | None = None,
    nice_skills: Mapping[int, int] | None = None,
    title: str = "",
    notes: str = "",
) -> StaffingRequirement:
    """Add a structured staffing requirement to a SOW that is not handed off or withdrawn."""
    _check_requirements_editable(actor, sow)
    clean = _clean_requirement(
        title=title,
        delivery_role=delivery_role,
        hours_per_week=hours_per_week,
        start_date=start_date,
        end_date=end_date,
        customer_time_zone=customer_time_zone,
        overlap_hours=overlap_hours,
        languages=languages,
        required_skills=required_skills or {},
        nice_skills=nice_skills or {},
        notes=notes,
    )
    requirement = StaffingRequirement(sow=sow, created_by=actor, **{f: clean[f] for f in _REQUIREMENT_FIELDS})
    actions.save(requirement, actor=actor, action="", audit=False)
    _save_skills(actor, requirement, clean)
    changes = actions.diff(requirement, None)
    if (skills := _skills_in_words(requirement)) != "—":
        changes.append({"field": "skills", "before": "", "after": skills})
    actions.record(actor=actor, action="added a staffing requirement", obj=requirement, changes=changes)
    return requirement


@transaction.atomic
def staffing_requirement_update(
    *,
    actor: User,
    requirement: StaffingRequirement,
    expected_version: int,
    delivery_role: str,
    hours_per_week: Any,
    start_date: Any,
    end_date: Any,
    customer_time_zone: str,
    overlap_hours: Any,
    languages: Iterable[str] | str | None,
    required_skills: Mapping[int, int],
    nice_skills: Mapping[int, int],
    title: str = "",
    notes: str = "",
) -> StaffingRequirement:
    """Change a requirement at the version the user saw (Conflict when someone else changed it
    first); refused when active assignments would fall outside the new dates."""
    _check_requirements_editable(actor, requirement.sow)
    clean = _clean_requirement(
        title=title,
        delivery_role=delivery_role,
        hours_per_week=hours_per_week,
        start_date=start_date,
        end_date=end_date,
        customer_time_zone=customer_time_zone,
        overlap_hours=overlap_hours,
        languages=languages,
        required_skills=required_skills,
        nice_skills=nice_skills,
        notes=notes,
    )
    try:
        fresh = actions.claim(
            StaffingRequirement.objects.select_related("sow"),
            pk=requirement.pk,
            expected_version=expected_version,
            stale_message=STALE_REQUIREMENT,
        )
    except Gone:
        raise Conflict(REMOVED_REQUIREMENT) from None
    # Counted under the lock: a proposal waits for it, so none can land outside the new dates.
    outside = (
        Assignment.objects.filter(requirement=fresh, status__in=ACTIVE_ASSIGNMENT)
        .exclude(start_date__gte=clean["start_date"], end_date__lte=clean["end_date"])
        .count()
    )
    if outside:
        raise ValidationError(
            {
                "start_date": ValidationError(
                    f"{outside} active assignment(s) fall outside these dates; cancel them first.",
                    code="assignments_outside",
                )
            }
        )
    before = actions.snapshot(fresh)
    skills_before = _skills_in_words(fresh)
    for name in _REQUIREMENT_FIELDS:
        setattr(fresh, name, clean[name])
    _save_skills(actor, fresh, clean)
    skills_after = _skills_in_words(fresh)
    skills = [{"field": "skills", "before": skills_before, "after": skills_after}]
    actions.save(
        fresh,
        actor=actor,
        action="changed the staffing requirement",
        before=before,
        also_changed=skills if skills_after != skills_before else None,
    )
    return fresh


@transaction.atomic
def staffing_requirement_delete(*, actor: User, requirement: StaffingRequirement) -> None:
    """Remove a requirement that nobody is proposed or confirmed on (its cancelled assignments and
    its skills go with it)."""
    _check_requirements_editable(actor, requirement.sow)
    fresh = lock_requirement(requirement.pk)
    if Assignment.objects.filter(requirement=fresh, status__in=ACTIVE_ASSIGNMENT).exists():
        raise ValidationError(
            "Cancel its assignments before removing this requirement.", code="has_assignments"
        )
    # Removed one by one so their history names who removed them; the entry on the requirement tells it.
    for assignment in Assignment.objects.filter(requirement=fresh):
        actions.delete(assignment, actor=actor, audit=False)
    for row in RequirementSkill.objects.filter(requirement=fresh):
        actions.delete(row, actor=actor, audit=False)
    actions.delete(fresh, actor=actor, action="removed a staffing requirement")
