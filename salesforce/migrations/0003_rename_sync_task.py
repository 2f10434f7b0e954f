"""The sync task is now salesforce.tasks.salesforce_sync: the beat schedule (and any other periodic
task an administrator pointed at the sync) is renamed to match, keeping its interval and arguments."""

from django.db import migrations
from django.utils import timezone

OLD = "engagements.tasks.salesforce_sync"
NEW = "salesforce.tasks.salesforce_sync"


def _rename(apps, schema_editor, old, new):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    db = schema_editor.connection.alias
    if PeriodicTask.objects.using(db).filter(task=old).update(task=new):
        # A running beat reloads its schedule when this stamp moves (an UPDATE does not move it).
        PeriodicTasks.objects.using(db).update_or_create(ident=1, defaults={"last_update": timezone.now()})


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, OLD, NEW)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("salesforce", "0002_move_content_types"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
