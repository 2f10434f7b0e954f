"""The content types of the moved models follow them to the salesforce app, so the permissions
(run_salesforce_sync, view_syncrun, …), the groups and users holding them and the admin log entries
keep pointing at the same models, and no second set of permissions is created."""

from django.db import migrations

MODELS = ("synccursor", "syncrun", "syncconflict")


def _move(apps, schema_editor, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")
    db = schema_editor.connection.alias
    for model in MODELS:
        old = ContentType.objects.using(db).filter(app_label=old_label, model=model).first()
        if old is None:
            continue  # a new database: the content types are created for the new label after migrate
        new = ContentType.objects.using(db).filter(app_label=new_label, model=model).first()
        if new is None:
            old.app_label = new_label
            old.save(update_fields=["app_label"])
            continue
        # Both exist (the new one was created by an earlier partial migrate): keep the new one,
        # carrying over every grant and log entry of the old one.
        for permission in Permission.objects.using(db).filter(content_type=old):
            twin = Permission.objects.using(db).filter(content_type=new, codename=permission.codename).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            for group in permission.group_set.all():
                group.permissions.add(twin)
            for user in permission.user_set.all():
                user.user_permissions.add(twin)
            permission.delete()
        LogEntry.objects.using(db).filter(content_type=old).update(content_type=new)
        old.delete()


def forwards(apps, schema_editor):
    _move(apps, schema_editor, "engagements", "salesforce")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, "salesforce", "engagements")


class Migration(migrations.Migration):
    dependencies = [
        ("salesforce", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
