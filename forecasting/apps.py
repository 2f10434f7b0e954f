from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecasting"

    def ready(self) -> None:
        from core import panels
        from forecasting.panels import opportunity_panel, pipeline_rows
        from forecasting.schedule import ensure_snapshot_schedule_after_migrate

        panels.register("opportunity", opportunity_panel)
        panels.register_rows("pipeline", pipeline_rows)

        post_migrate.connect(
            ensure_snapshot_schedule_after_migrate, sender=self, dispatch_uid="forecasting_snapshot_schedule"
        )
