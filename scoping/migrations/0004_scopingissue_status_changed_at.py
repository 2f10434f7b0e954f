import django.utils.timezone
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Each issue entered its current status at the oldest history row of its latest run of that
    status (its creation when it never moved)."""
    ScopingIssue = apps.get_model("scoping", "ScopingIssue")
    HistoricalScopingIssue = apps.get_model("scoping", "HistoricalScopingIssue")
    for issue in ScopingIssue.objects.only("pk", "status", "created_at").iterator():
        since = issue.created_at
        for row in HistoricalScopingIssue.objects.filter(id=issue.pk).order_by(
            "-history_date", "-history_id"
        ):
            if row.status != issue.status:
                break
            since = row.history_date
        ScopingIssue.objects.filter(pk=issue.pk).update(status_changed_at=since)


class Migration(migrations.Migration):
    dependencies = [
        ("scoping", "0003_estimate_hours_include_packaged"),
    ]

    operations = [
        migrations.AddField(
            model_name="scopingissue",
            name="status_changed_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
