"""Each snapshot row says whether its close date was pushed into a later quarter; the rows already
taken are marked, oldest snapshot first."""

from typing import Any

from django.db import migrations, models


def mark_taken_snapshots(apps: Any, schema_editor: Any) -> None:
    from forecasting import pushes  # plain SQL only: safe from a migration

    pushes.mark_all()


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0007_pipeline_saved_filters_and_columns"),
        ("forecasting", "0004_snapshot_totals_and_rate_changed_at"),
        ("people", "0003_region_blended_bill_rate"),
    ]

    operations = [
        migrations.AddField(
            model_name="forecastsnapshotrow",
            name="close_pushed",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddIndex(
            model_name="forecastsnapshotrow",
            index=models.Index(
                condition=models.Q(("close_pushed", True)),
                fields=["opportunity"],
                name="snaprow_pushed_opp_idx",
            ),
        ),
        migrations.RunPython(mark_taken_snapshots, migrations.RunPython.noop),
    ]
