"""Staffing requirements, their skills and assignments (and their history) now belong to the staffing
app: they leave this app's state only. Their tables stay as they are; staffing/migrations/0001 takes
them over under the same names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sow", "0003_random_file_names"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="historicalassignment",
                    name="cancelled_by",
                ),
                migrations.RemoveField(
                    model_name="historicalassignment",
                    name="confirmed_by",
                ),
                migrations.RemoveField(
                    model_name="historicalassignment",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalassignment",
                    name="person",
                ),
                migrations.RemoveField(
                    model_name="historicalassignment",
                    name="proposed_by",
                ),
                migrations.RemoveField(
                    model_name="historicalassignment",
                    name="requirement",
                ),
                migrations.RemoveField(
                    model_name="historicalrequirementskill",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalrequirementskill",
                    name="requirement",
                ),
                migrations.RemoveField(
                    model_name="historicalrequirementskill",
                    name="skill",
                ),
                migrations.RemoveField(
                    model_name="historicalstaffingrequirement",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="historicalstaffingrequirement",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalstaffingrequirement",
                    name="sow",
                ),
                migrations.RemoveField(
                    model_name="requirementskill",
                    name="requirement",
                ),
                migrations.RemoveField(
                    model_name="requirementskill",
                    name="skill",
                ),
                migrations.RemoveField(
                    model_name="staffingrequirement",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="staffingrequirement",
                    name="sow",
                ),
                migrations.DeleteModel(
                    name="Assignment",
                ),
                migrations.DeleteModel(
                    name="HistoricalAssignment",
                ),
                migrations.DeleteModel(
                    name="HistoricalRequirementSkill",
                ),
                migrations.DeleteModel(
                    name="HistoricalStaffingRequirement",
                ),
                migrations.DeleteModel(
                    name="RequirementSkill",
                ),
                migrations.DeleteModel(
                    name="StaffingRequirement",
                ),
            ],
            database_operations=[],
        ),
    ]
