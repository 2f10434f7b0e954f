"""The content types of the moved models follow them from "sow" to "staffing", so the permissions
granted to the role groups and users, admin log entries and audit entries keep pointing at them
(and no second set of staffing permissions is created next to the old one)."""

from django.db import migrations

MODELS = [
    "staffingrequirement",
    "historicalstaffingrequirement",
    "requirementskill",
    "historicalrequirementskill",
    "assignment",
    "historicalassignment",
]


def _move(apps, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")
    AuditEntry = apps.get_model("core", "AuditEntry")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=old_label, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=new_label, model=model).first()
        if new is None:
            old.app_label = new_label
            old.save(update_fields=["app_label"])
            continue
        # Both exist (the new one was made by an earlier migrate run): fold the old one into it.
        for permission in Permission.objects.filter(content_type=old):
            twin = Permission.objects.filter(content_type=new, codename=permission.codename).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            twin.group_set.add(*permission.group_set.all())
            twin.user_set.add(*permission.user_set.all())
            permission.delete()
        LogEntry.objects.filter(content_type=old).update(content_type=new)
        AuditEntry.objects.filter(content_type=old).update(content_type=new)
        old.delete()


def forwards(apps, schema_editor):
    _move(apps, "sow", "staffing")


def backwards(apps, schema_editor):
    _move(apps, "staffing", "sow")


class Migration(migrations.Migration):
    dependencies = [
        ("staffing", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("core", "0002_auditentry"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
