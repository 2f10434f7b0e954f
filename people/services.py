from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction

from core import actions
from core.roles import ADMIN_SITE_ROLES, ROLE_GROUP, ROLE_PERMISSIONS, Role
from core.validators import NUMBER_MESSAGE, SINGLE_LINE_MESSAGE, has_control_characters, parse_decimal
from people import access
from people.models import Person, PersonSkill, Region, Skill, time_zone_names


@transaction.atomic
def person_sync_login_groups(*, person: Person) -> None:
    """Put the person's login in exactly the role group of their role (other groups kept), with
    admin-site access for the roles that work there."""
    if person.user_id is None:
        return
    role_groups = set(ROLE_PERMISSIONS)
    user = person.user
    assert user is not None
    keep = [g for g in user.groups.all() if g.name not in role_groups]
    wanted = ROLE_GROUP.get(person.role)
    if wanted:
        keep.append(Group.objects.get_or_create(name=wanted)[0])
    user.groups.set(keep)
    staff = user.is_superuser or person.role in ADMIN_SITE_ROLES
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


# --------------------------------------------------------------------------- directory edits

MAX_LANGUAGES = 12
NUMBER_MESSAGE_IN_SENTENCE = NUMBER_MESSAGE[:1].lower() + NUMBER_MESSAGE[1:]
_LANGUAGE = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")


def _skills_in_words(rows: Iterable[PersonSkill]) -> str:
    return (
        ", ".join(f"{row.skill.name} {row.level}" for row in sorted(rows, key=lambda r: r.skill.name)) or "—"
    )


def clean_languages(value: Iterable[str] | str | None) -> list[str]:
    """A list of language names: split on commas when given as text, trimmed, first letter upper-cased,
    duplicates (any case) dropped. Raises ValidationError for anything that is not a language name."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    result: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise ValidationError("Languages must be names, e.g. English, German.", code="invalid")
        name = " ".join(item.split())
        if not name:
            continue
        if len(name) > 40 or not _LANGUAGE.match(name):
            raise ValidationError(
                "“%(name)s” is not a language name (letters, spaces and hyphens only).",
                code="invalid",
                params={"name": name[:40]},
            )
        name = name[:1].upper() + name[1:]
        if name.casefold() not in seen:
            seen.add(name.casefold())
            result.append(name)
    if len(result) > MAX_LANGUAGES:
        raise ValidationError(f"List at most {MAX_LANGUAGES} languages.", code="too_many")
    return result


def clean_hours(
    value: Any, *, field_label: str, low: Decimal, high: Decimal, allow_low: bool = True
) -> Decimal:
    """A Decimal with at most two decimal places within [low, high] (or (low, high] without allow_low),
    written with ASCII digits only (core.validators.parse_decimal)."""
    try:
        number = parse_decimal(value)
    except ValidationError:
        raise ValidationError(f"{field_label}: {NUMBER_MESSAGE_IN_SENTENCE}", code="invalid") from None
    if number < low or number > high or (number == low and not allow_low):
        lower = "from" if allow_low else "above"
        raise ValidationError(f"{field_label}: enter a value {lower} {low} to {high}.", code="range")
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError(f"{field_label}: at most two decimal places.", code="precision")
    return number.quantize(Decimal("0.01"))


def _manager_problem(person: Person, manager: Person | None) -> str | None:
    if manager is None:
        return None
    if manager.pk == person.pk:
        return "A person cannot be their own manager."
    seen = {person.pk}
    current: Person | None = manager
    # Walk up the chain: a manager who reports (directly or not) to this person would make a loop.
    while current is not None and current.manager_id is not None:
        if current.manager_id in seen:
            return f"{manager.name} reports to {person.name}; that would make a loop."
        seen.add(current.pk)
        current = Person.objects.filter(pk=current.manager_id).only("pk", "manager_id").first()
    return None


@transaction.atomic
def person_update(
    *,
    actor: User,
    person: Person,
    expected_version: int,
    name: str,
    role: str,
    region: Region | None,
    manager: Person | None,
    languages: Iterable[str] | str | None,
    time_zone: str,
    weekly_capacity_hours: Any,
    utilization_target: Any,
    active: bool,
    skill_levels: Mapping[int, int],
) -> Person:
    """Edit a person's directory entry (PS Operations and administrators).

    `skill_levels` maps skill ids from the managed list to a level 1–5; skills left out are removed.
    Every field is checked before anything is written; a stale `expected_version` raises Conflict.
    Changing the role of someone who logs in changes their permissions, so only an administrator may.
    """
    access.can_edit_people.require(actor)
    errors: dict[str, list[ValidationError]] = {}

    def problem(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    name = (name or "").strip()
    if has_control_characters(name):
        problem("name", SINGLE_LINE_MESSAGE, "control_characters")
    name = " ".join(name.split())
    if not name:
        problem("name", "Enter the person's name.", "required")
    elif len(name) > 200:
        problem("name", "At most 200 characters.", "max_length")
    if role not in Role.values:
        problem("role", "Choose a role.", "invalid_choice")
    elif role != person.role and (refusal := access.role_change_problem(actor, person)):
        problem("role", refusal, "needs_admin")
    if (message := _manager_problem(person, manager)) is not None:
        problem("manager", message, "loop")
    clean_langs: list[str] = []
    try:
        clean_langs = clean_languages(languages)
    except ValidationError as exc:
        errors.setdefault("languages", []).extend(exc.error_list)
    time_zone = (time_zone or "").strip()
    if time_zone not in time_zone_names():
        problem("time_zone", f"“{time_zone[:64]}” is not an IANA time zone (e.g. Europe/London).", "invalid")
    capacity = target = Decimal("0")
    try:
        capacity = clean_hours(
            weekly_capacity_hours, field_label="Weekly capacity", low=Decimal("0"), high=Decimal("80")
        )
    except ValidationError as exc:
        errors.setdefault("weekly_capacity_hours", []).extend(exc.error_list)
    try:
        target = clean_hours(
            utilization_target, field_label="Utilization target", low=Decimal("0"), high=Decimal("100")
        )
    except ValidationError as exc:
        errors.setdefault("utilization_target", []).extend(exc.error_list)
    levels: dict[int, int] = {}
    known = set(Skill.objects.filter(pk__in=list(skill_levels)).values_list("pk", flat=True))
    for skill_id, level in skill_levels.items():
        if skill_id not in known:
            problem("skills", "Choose skills from the managed skill list.", "unknown_skill")
        elif not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            problem("skills", "Skill levels go from 1 to 5.", "level_range")
        else:
            levels[skill_id] = level
    if errors:
        raise ValidationError(errors)

    fresh = actions.claim(
        Person.objects.select_related("user"),
        pk=person.pk,
        expected_version=expected_version,
        stale_message="Someone else changed this person while you were editing. Nothing was saved; reload.",
    )
    before = actions.snapshot(fresh)
    role_changed = fresh.role != role
    fresh.name, fresh.role, fresh.region, fresh.manager = name, role, region, manager
    fresh.languages, fresh.time_zone, fresh.active = clean_langs, time_zone, bool(active)
    fresh.weekly_capacity_hours, fresh.utilization_target = capacity, target

    current = {ps.skill_id: ps for ps in PersonSkill.objects.filter(person=fresh).select_related("skill")}
    skills_before = _skills_in_words(current.values())
    for skill_id, row in current.items():
        if skill_id not in levels:
            actions.delete(row, actor=actor, audit=False)
        elif row.level != levels[skill_id]:
            row.level = levels[skill_id]
            actions.save(
                row, actor=actor, action="changed a skill level", update_fields=["level"], audit=False
            )
    for skill_id, level in levels.items():
        if skill_id not in current:
            row = PersonSkill(person=fresh, skill_id=skill_id, level=level)
            actions.save(row, actor=actor, action="", audit=False)
    skills_after = _skills_in_words(PersonSkill.objects.filter(person=fresh).select_related("skill"))
    skills = [{"field": "skills", "before": skills_before, "after": skills_after}]
    actions.save(
        fresh,
        actor=actor,
        action="edited the directory entry",
        before=before,
        also_changed=skills if skills_after != skills_before else None,
    )
    if role_changed:
        person_sync_login_groups(person=fresh)
    return fresh
