"""The staffing models, taken over from the sow app in the state only: their tables (sow_assignment,
sow_staffingrequirement, sow_requirementskill and the historical ones) already exist with their rows,
so nothing is created or renamed in the database."""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import people.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("people", "0002_person_directory"),
        ("sow", "0004_remove_staffing_models_from_state"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HistoricalStaffingRequirement",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(blank=True, editable=False)),
                        (
                            "title",
                            models.CharField(
                                blank=True, help_text="e.g. Lead migration engineer.", max_length=120
                            ),
                        ),
                        (
                            "delivery_role",
                            models.CharField(
                                choices=[
                                    ("ps_engineer", "PS Engineer"),
                                    ("technical_architect", "Technical Architect"),
                                    ("project_manager", "Project Manager"),
                                    ("partner_consultant", "Partner Consultant"),
                                ],
                                max_length=32,
                            ),
                        ),
                        (
                            "languages",
                            models.JSONField(
                                blank=True, default=list, help_text='e.g. ["English", "German"].'
                            ),
                        ),
                        (
                            "customer_time_zone",
                            models.CharField(
                                default="UTC", max_length=64, validators=[people.models.validate_time_zone]
                            ),
                        ),
                        (
                            "overlap_hours",
                            models.DecimalField(
                                decimal_places=2,
                                default=Decimal("0"),
                                max_digits=4,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0")),
                                    django.core.validators.MaxValueValidator(Decimal("8")),
                                ],
                                verbose_name="working-day overlap needed (hours)",
                            ),
                        ),
                        (
                            "hours_per_week",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=5,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0.01")),
                                    django.core.validators.MaxValueValidator(Decimal("80")),
                                ],
                            ),
                        ),
                        ("start_date", models.DateField()),
                        ("end_date", models.DateField()),
                        ("notes", models.TextField(blank=True)),
                        (
                            "version",
                            models.PositiveIntegerField(
                                default=1, editable=False, help_text="Optimistic-locking counter."
                            ),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "sow",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="sow.sow",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical staffing requirement",
                        "verbose_name_plural": "historical staffing requirements",
                        "db_table": "sow_historicalstaffingrequirement",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="StaffingRequirement",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "title",
                            models.CharField(
                                blank=True, help_text="e.g. Lead migration engineer.", max_length=120
                            ),
                        ),
                        (
                            "delivery_role",
                            models.CharField(
                                choices=[
                                    ("ps_engineer", "PS Engineer"),
                                    ("technical_architect", "Technical Architect"),
                                    ("project_manager", "Project Manager"),
                                    ("partner_consultant", "Partner Consultant"),
                                ],
                                max_length=32,
                            ),
                        ),
                        (
                            "languages",
                            models.JSONField(
                                blank=True, default=list, help_text='e.g. ["English", "German"].'
                            ),
                        ),
                        (
                            "customer_time_zone",
                            models.CharField(
                                default="UTC", max_length=64, validators=[people.models.validate_time_zone]
                            ),
                        ),
                        (
                            "overlap_hours",
                            models.DecimalField(
                                decimal_places=2,
                                default=Decimal("0"),
                                max_digits=4,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0")),
                                    django.core.validators.MaxValueValidator(Decimal("8")),
                                ],
                                verbose_name="working-day overlap needed (hours)",
                            ),
                        ),
                        (
                            "hours_per_week",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=5,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0.01")),
                                    django.core.validators.MaxValueValidator(Decimal("80")),
                                ],
                            ),
                        ),
                        ("start_date", models.DateField()),
                        ("end_date", models.DateField()),
                        ("notes", models.TextField(blank=True)),
                        (
                            "version",
                            models.PositiveIntegerField(
                                default=1, editable=False, help_text="Optimistic-locking counter."
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "sow",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="staffing_requirements",
                                to="sow.sow",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "sow_staffingrequirement",
                        "ordering": ["start_date", "pk"],
                        "permissions": [
                            ("manage_staffing", "Can manage staffing requirements and staff engagements")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="RequirementSkill",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "min_level",
                            models.PositiveSmallIntegerField(
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(5),
                                ]
                            ),
                        ),
                        ("required", models.BooleanField(default=True)),
                        (
                            "skill",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="people.skill",
                            ),
                        ),
                        (
                            "requirement",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="skills",
                                to="staffing.staffingrequirement",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "sow_requirementskill",
                        "ordering": ["-required", "skill__name"],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalRequirementSkill",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "min_level",
                            models.PositiveSmallIntegerField(
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(5),
                                ]
                            ),
                        ),
                        ("required", models.BooleanField(default=True)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "skill",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="people.skill",
                            ),
                        ),
                        (
                            "requirement",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="staffing.staffingrequirement",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical requirement skill",
                        "verbose_name_plural": "historical requirement skills",
                        "db_table": "sow_historicalrequirementskill",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalAssignment",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(blank=True, editable=False)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("proposed", "Proposed"),
                                    ("confirmed", "Confirmed"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="proposed",
                                max_length=10,
                            ),
                        ),
                        (
                            "hours_per_week",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=5,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0.01")),
                                    django.core.validators.MaxValueValidator(Decimal("80")),
                                ],
                            ),
                        ),
                        ("start_date", models.DateField()),
                        ("end_date", models.DateField()),
                        (
                            "override_reason",
                            models.TextField(
                                blank=True,
                                help_text="Why it was confirmed although it over-allocates the person.",
                            ),
                        ),
                        ("proposed_at", models.DateTimeField()),
                        ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                        ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                        ("cancel_reason", models.TextField(blank=True)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "cancelled_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "confirmed_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="people.person",
                            ),
                        ),
                        (
                            "proposed_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "requirement",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="staffing.staffingrequirement",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical assignment",
                        "verbose_name_plural": "historical assignments",
                        "db_table": "sow_historicalassignment",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="Assignment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("proposed", "Proposed"),
                                    ("confirmed", "Confirmed"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="proposed",
                                max_length=10,
                            ),
                        ),
                        (
                            "hours_per_week",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=5,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0.01")),
                                    django.core.validators.MaxValueValidator(Decimal("80")),
                                ],
                            ),
                        ),
                        ("start_date", models.DateField()),
                        ("end_date", models.DateField()),
                        (
                            "override_reason",
                            models.TextField(
                                blank=True,
                                help_text="Why it was confirmed although it over-allocates the person.",
                            ),
                        ),
                        ("proposed_at", models.DateTimeField()),
                        ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                        ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                        ("cancel_reason", models.TextField(blank=True)),
                        (
                            "cancelled_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "confirmed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="assignments",
                                to="people.person",
                            ),
                        ),
                        (
                            "proposed_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "requirement",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="assignments",
                                to="staffing.staffingrequirement",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "sow_assignment",
                        "ordering": ["start_date", "pk"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="staffingrequirement",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("end_date__gte", models.F("start_date"))),
                        name="staffingreq_dates_ordered",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="staffingrequirement",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("hours_per_week__gt", 0), ("hours_per_week__lte", 80)),
                        name="staffingreq_hours_range",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="staffingrequirement",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("overlap_hours__gte", 0), ("overlap_hours__lte", 8)),
                        name="staffingreq_overlap_range",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="requirementskill",
                    constraint=models.UniqueConstraint(
                        fields=("requirement", "skill"), name="requirementskill_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="requirementskill",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("min_level__gte", 1), ("min_level__lte", 5)),
                        name="requirementskill_level_1_5",
                    ),
                ),
                migrations.AddIndex(
                    model_name="assignment",
                    index=models.Index(
                        fields=["person", "status", "start_date"], name="assignment_person_status"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="assignment",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("end_date__gte", models.F("start_date"))),
                        name="assignment_dates_ordered",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="assignment",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("hours_per_week__gt", 0), ("hours_per_week__lte", 80)),
                        name="assignment_hours_range",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="assignment",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("status__in", ["proposed", "confirmed"])),
                        fields=("requirement", "person"),
                        name="assignment_one_active_per_person",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
