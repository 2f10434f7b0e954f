"""The Salesforce sync's models (SyncCursor, SyncRun, SyncConflict) now belong to the salesforce app:
removed from this app's migration state only; their tables and rows stay (salesforce.0001)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0002_salesforce_sync"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="syncconflict", name="opportunity"),
                migrations.RemoveField(model_name="syncconflict", name="resolved_by"),
                migrations.RemoveField(model_name="syncrun", name="started_by"),
                migrations.DeleteModel(name="SyncConflict"),
                migrations.DeleteModel(name="SyncCursor"),
                migrations.DeleteModel(name="SyncRun"),
            ],
            database_operations=[],
        ),
    ]
