"""The sync's models move here from engagements with their tables: created in the migration state
only, on the tables engagements made (engagements.0003 removes them from its own state)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("engagements", "0003_move_sync_models_to_salesforce"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SyncCursor",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=50, unique=True)),
                        ("watermark", models.DateTimeField(blank=True, null=True)),
                        ("lock_token", models.CharField(blank=True, max_length=64)),
                        ("locked_until", models.DateTimeField(blank=True, null=True)),
                        ("paused_until", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "Salesforce sync cursor",
                        "db_table": "engagements_synccursor",
                    },
                ),
                migrations.CreateModel(
                    name="SyncConflict",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "field",
                            models.CharField(
                                choices=[
                                    ("engagement_manager", "Engagement Manager"),
                                    ("em_confidence", "EM confidence"),
                                    ("em_confidence_rationale", "EM confidence rationale"),
                                    ("scoping_issue_link", "Scoping issue link"),
                                ],
                                max_length=32,
                            ),
                        ),
                        ("local_value", models.TextField(blank=True)),
                        ("salesforce_value", models.TextField(blank=True)),
                        ("local_display", models.TextField(blank=True)),
                        ("salesforce_display", models.TextField(blank=True)),
                        ("local_changed_at", models.DateTimeField(blank=True, null=True)),
                        ("salesforce_changed_at", models.DateTimeField(blank=True, null=True)),
                        ("detected_at", models.DateTimeField()),
                        (
                            "status",
                            models.CharField(
                                choices=[("open", "Open"), ("resolved", "Resolved")],
                                default="open",
                                max_length=10,
                            ),
                        ),
                        (
                            "resolution",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("keep_local", "Kept the PS Pipeline value"),
                                    ("take_salesforce", "Took the Salesforce value"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "opportunity",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sync_conflicts",
                                to="engagements.opportunity",
                            ),
                        ),
                        (
                            "resolved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "Salesforce sync conflict",
                        "db_table": "engagements_syncconflict",
                        "ordering": ["-detected_at", "-id"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "open")),
                                fields=("opportunity", "field"),
                                name="syncconflict_one_open_per_field",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SyncRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "trigger",
                            models.CharField(
                                choices=[
                                    ("schedule", "Schedule"),
                                    ("manual", "Sync now"),
                                    ("command", "Command"),
                                ],
                                default="schedule",
                                max_length=10,
                            ),
                        ),
                        (
                            "full",
                            models.BooleanField(
                                default=False, help_text="Ignored the watermark and read everything."
                            ),
                        ),
                        ("started_at", models.DateTimeField()),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("running", "Running"),
                                    ("success", "Succeeded"),
                                    ("partial", "Completed with errors"),
                                    ("failed", "Failed"),
                                    ("skipped", "Skipped (another run was in progress)"),
                                ],
                                default="running",
                                max_length=10,
                            ),
                        ),
                        ("pulled", models.PositiveIntegerField(default=0)),
                        ("created", models.PositiveIntegerField(default=0)),
                        ("updated", models.PositiveIntegerField(default=0)),
                        ("removed", models.PositiveIntegerField(default=0)),
                        ("pushed", models.PositiveIntegerField(default=0)),
                        ("push_failed", models.PositiveIntegerField(default=0)),
                        ("conflicts", models.PositiveIntegerField(default=0)),
                        ("api_calls", models.PositiveIntegerField(default=0)),
                        ("api_usage_used", models.PositiveIntegerField(blank=True, null=True)),
                        ("api_usage_limit", models.PositiveIntegerField(blank=True, null=True)),
                        ("message", models.TextField(blank=True)),
                        (
                            "started_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "Salesforce sync run",
                        "db_table": "engagements_syncrun",
                        "ordering": ["-started_at", "-id"],
                        "permissions": [("run_salesforce_sync", "Can start a Salesforce sync (Sync now)")],
                        "indexes": [models.Index(fields=["-started_at"], name="syncrun_started_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
