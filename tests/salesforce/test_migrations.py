"""The sync's models moved from engagements to this app without touching their tables: rows written
under the old state are read by the new models, and the permissions and admin log entries follow
their content types (no second set of permissions is left behind)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from salesforce.models import SyncConflict, SyncCursor, SyncRun

pytestmark = pytest.mark.django_db(transaction=True)

# The last state with the models in engagements.
BEFORE = [("engagements", "0002_salesforce_sync"), ("salesforce", None)]


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _migrate(targets):
    """Migrate the named apps to these targets; the models as the applied migrations leave them
    (migrations that depend on the undone ones, in other apps, are undone with them)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


@pytest.fixture
def old_apps():
    """The database migrated back to the old state; migrated forward again afterwards whatever happens."""
    apps = _migrate(BEFORE)
    ContentType.objects.clear_cache()
    yield apps
    _migrate(_latest())
    ContentType.objects.clear_cache()


def _old_rows(apps):
    Account = apps.get_model("engagements", "Account")
    Opportunity = apps.get_model("engagements", "Opportunity")
    OldRun = apps.get_model("engagements", "SyncRun")
    OldCursor = apps.get_model("engagements", "SyncCursor")
    OldConflict = apps.get_model("engagements", "SyncConflict")
    started = timezone.now() - dt.timedelta(minutes=5)
    account = Account.objects.create(name="Acme")
    opportunity = Opportunity.objects.create(
        name="Acme — Migration", account=account, stage="Prospecting", close_date=dt.date(2027, 3, 31)
    )
    run = OldRun.objects.create(
        trigger="manual",
        started_at=started,
        finished_at=started + dt.timedelta(seconds=7),
        outcome="partial",
        pulled=12,
        created=3,
        updated=9,
        pushed=2,
        push_failed=1,
        message="One failed.",
    )
    cursor = OldCursor.objects.create(name="opportunities", watermark=started, last_error="timed out")
    conflict = OldConflict.objects.create(
        opportunity=opportunity,
        field="em_confidence",
        local_value="Green",
        salesforce_value="Red",
        local_display="Green",
        salesforce_display="Red",
        detected_at=started,
    )
    return run.pk, cursor.pk, conflict.pk, opportunity.pk


def test_rows_written_before_the_move_are_read_by_the_new_models(old_apps):
    run_pk, cursor_pk, conflict_pk, opportunity_pk = _old_rows(old_apps)

    _migrate(_latest())

    run = SyncRun.objects.get(pk=run_pk)
    assert (run.trigger, run.outcome, run.pulled, run.created, run.updated, run.pushed, run.push_failed) == (
        "manual",
        "partial",
        12,
        3,
        9,
        2,
        1,
    )
    assert run.duration_seconds == 7
    assert SyncCursor.objects.get(pk=cursor_pk).last_error == "timed out"
    conflict = SyncConflict.objects.get(pk=conflict_pk)
    assert (conflict.opportunity_id, conflict.field, conflict.status) == (
        opportunity_pk,
        "em_confidence",
        "open",
    )
    assert conflict.opportunity.sync_conflicts.get() == conflict


def test_permissions_grants_and_admin_log_follow_the_models(old_apps):
    run_pk, *_ = _old_rows(old_apps)
    OldContentType = old_apps.get_model("contenttypes", "ContentType")
    OldPermission = old_apps.get_model("auth", "Permission")
    OldUser = old_apps.get_model("auth", "User")
    OldGroup = old_apps.get_model("auth", "Group")
    OldLogEntry = old_apps.get_model("admin", "LogEntry")
    old_type = OldContentType.objects.get(app_label="engagements", model="syncrun")
    run_sync = OldPermission.objects.get(content_type=old_type, codename="run_salesforce_sync")
    operator = OldUser.objects.create(username="sync-operator", is_staff=True)
    operator.user_permissions.add(run_sync)
    group = OldGroup.objects.create(name="Sync operators")
    group.permissions.add(OldPermission.objects.get(content_type=old_type, codename="view_syncrun"))
    OldLogEntry.objects.create(
        user=operator,
        content_type=old_type,
        object_id=str(run_pk),
        object_repr="a run",
        action_flag=CHANGE,
        action_time=timezone.now(),
    )

    _migrate(_latest())
    ContentType.objects.clear_cache()

    new_type = ContentType.objects.get_for_model(SyncRun)
    assert new_type.app_label == "salesforce"
    assert not ContentType.objects.filter(
        app_label="engagements", model__in=["syncrun", "synccursor", "syncconflict"]
    )
    assert Permission.objects.filter(codename="run_salesforce_sync").count() == 1
    user = get_user_model().objects.get(username="sync-operator")
    assert user.has_perm("salesforce.run_salesforce_sync")
    other = get_user_model().objects.create(username="sync-reader", is_staff=True)
    other.groups.add(group.pk)
    assert other.has_perm("salesforce.view_syncrun")
    assert LogEntry.objects.get(object_id=str(run_pk)).content_type == new_type


def test_a_second_set_of_content_types_is_merged_into_one(old_apps):
    """If the new content type already exists (an earlier partial migrate created it), the old one's
    grants move to it and the old one goes: still one permission per codename."""
    OldContentType = old_apps.get_model("contenttypes", "ContentType")
    OldPermission = old_apps.get_model("auth", "Permission")
    OldUser = old_apps.get_model("auth", "User")
    old_type = OldContentType.objects.get(app_label="engagements", model="syncrun")
    operator = OldUser.objects.create(username="sync-operator", is_staff=True)
    operator.user_permissions.add(
        OldPermission.objects.get(content_type=old_type, codename="run_salesforce_sync")
    )
    early = OldContentType.objects.create(app_label="salesforce", model="syncrun")
    OldPermission.objects.create(content_type=early, codename="run_salesforce_sync", name="Can start a sync")

    _migrate(_latest())
    ContentType.objects.clear_cache()

    assert Permission.objects.filter(codename="run_salesforce_sync").count() == 1
    assert ContentType.objects.get_for_model(SyncRun).pk == early.pk
    assert get_user_model().objects.get(username="sync-operator").has_perm("salesforce.run_salesforce_sync")


@pytest.mark.django_db(transaction=True)
def test_the_beat_schedule_follows_the_task_to_its_new_name():
    from django_celery_beat.models import PeriodicTask

    apps = _migrate([("salesforce", "0002_move_content_types")])
    try:
        OldPeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        OldPeriodicTask.objects.filter(name="Salesforce sync").update(
            task="engagements.tasks.salesforce_sync"
        )
        before = OldPeriodicTask.objects.get(name="Salesforce sync")
    finally:
        _migrate(_latest())
    task = PeriodicTask.objects.get(name="Salesforce sync")
    assert task.task == "salesforce.tasks.salesforce_sync"
    assert (task.interval_id, task.kwargs, task.enabled) == (
        before.interval_id,
        before.kwargs,
        before.enabled,
    )
