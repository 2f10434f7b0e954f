"""Moving the staffing models from the sow app keeps their rows, their history, their content types
and the permissions the role groups had: a database at the old schema, with data, migrates forward
with everything in place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.roles import ROLE_PERMISSIONS, Role, sync_role_groups
from staffing.models import Assignment, RequirementSkill, StaffingRequirement
from tests.people.factories import PersonFactory, SkillFactory

OLD = [("sow", "0003_random_file_names"), ("staffing", None)]
MOVED = ["staffingrequirement", "requirementskill", "assignment", "historicalassignment"]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    state = executor.migrate(targets)
    ContentType.objects.clear_cache()
    return state.apps


def _latest():
    """Every app's latest migration: going back to OLD also unapplies the migrations of other apps
    that depend on these (core's audit backfill and what follows it), and they come back too."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _codenames(user_pk: int) -> set[str]:
    user = User.objects.get(pk=user_pk)  # a fresh object: no cached permissions
    return {perm.split(".", 1)[1] for perm in user.get_all_permissions()}


def _app_labels(user_pk: int) -> dict[str, str]:
    user = User.objects.get(pk=user_pk)
    return {perm.split(".", 1)[1]: perm.split(".", 1)[0] for perm in user.get_all_permissions()}


@pytest.fixture
def old_schema_with_rows(draft, make_person):
    """The database at the old schema (staffing models in the sow app), with a requirement, a skill,
    an assignment and its history row written through the old models, and a PS Operations login."""
    sync_role_groups()
    ops = make_person(Role.PS_OPERATIONS, username="ops").user
    skill = SkillFactory(name="Kubernetes")
    engineer = PersonFactory(role=Role.PS_ENGINEER, name="Sam Taylor")
    old_apps = _migrate(OLD)
    OldRequirement = old_apps.get_model("sow", "StaffingRequirement")
    requirement = OldRequirement.objects.create(
        sow_id=draft.sow_id,
        title="Lead platform engineer",
        delivery_role=Role.PS_ENGINEER,
        languages=["English"],
        customer_time_zone="Europe/Berlin",
        overlap_hours=Decimal("4"),
        hours_per_week=Decimal("20"),
        start_date=dt.date(2027, 4, 5),
        end_date=dt.date(2027, 4, 30),
    )
    old_apps.get_model("sow", "RequirementSkill").objects.create(
        requirement_id=requirement.pk, skill_id=skill.pk, min_level=3, required=True
    )
    now = timezone.now()
    assignment = old_apps.get_model("sow", "Assignment").objects.create(
        requirement_id=requirement.pk,
        person_id=engineer.pk,
        hours_per_week=Decimal("20"),
        start_date=requirement.start_date,
        end_date=requirement.end_date,
        proposed_at=now,
    )
    old_apps.get_model("sow", "HistoricalAssignment").objects.create(
        id=assignment.pk,
        requirement_id=requirement.pk,
        person_id=engineer.pk,
        status="proposed",
        hours_per_week=Decimal("20"),
        start_date=requirement.start_date,
        end_date=requirement.end_date,
        proposed_at=now,
        created_at=now,
        history_date=now,
        history_type="+",
    )
    yield {"requirement": requirement.pk, "assignment": assignment.pk, "skill": skill.pk, "ops": ops.pk}
    _migrate(_latest())  # leave the schema as the other tests expect it, whatever happened


def test_rows_history_and_content_types_survive_the_move(old_schema_with_rows):
    rows = old_schema_with_rows
    content_types = {model: ContentType.objects.get(app_label="sow", model=model).pk for model in MOVED}
    _migrate(_latest())

    requirement = StaffingRequirement.objects.get(pk=rows["requirement"])
    assert requirement.title == "Lead platform engineer"
    skills = RequirementSkill.objects.filter(requirement=requirement).values_list("skill_id", "min_level")
    assert list(skills) == [(rows["skill"], 3)]
    assignment = Assignment.objects.get(pk=rows["assignment"])
    assert (assignment.requirement_id, assignment.person.name) == (rows["requirement"], "Sam Taylor")
    assert [h.history_type for h in assignment.history.all()] == ["+"]
    moved = ContentType.objects.filter(app_label="staffing", model__in=MOVED)
    assert {ct.model: ct.pk for ct in moved} == content_types
    assert not ContentType.objects.filter(app_label="sow", model__in=MOVED).exists()


def test_every_role_keeps_its_permissions_through_the_move(old_schema_with_rows):
    ops = old_schema_with_rows["ops"]

    def by_role() -> dict[str, set[str]]:
        return {
            group.name: set(group.permissions.values_list("codename", flat=True))
            for group in Group.objects.filter(name__in=ROLE_PERMISSIONS)
        }

    before, ops_before = by_role(), _codenames(ops)
    viewers = [perms for perms in before.values() if "view_sow" in perms]
    assert viewers and all({"view_staffingrequirement", "view_assignment"} <= perms for perms in viewers)
    assert _app_labels(ops)["manage_staffing"] == "sow"

    _migrate(_latest())
    sync_role_groups()  # what every migrate run does once the last app's permissions exist

    assert by_role() == before
    assert _codenames(ops) == ops_before
    assert _app_labels(ops)["manage_staffing"] == "staffing"
    assert Permission.objects.filter(codename__in=["manage_staffing", "view_assignment"]).count() == 2


def test_the_move_can_be_undone_without_losing_rows(old_schema_with_rows):
    rows = old_schema_with_rows
    _migrate(_latest())
    old_apps = _migrate(OLD)

    assert old_apps.get_model("sow", "Assignment").objects.filter(pk=rows["assignment"]).exists()
    assert ContentType.objects.filter(app_label="sow", model="assignment").exists()
    assert not ContentType.objects.filter(app_label="staffing").exists()
    _migrate(_latest())
