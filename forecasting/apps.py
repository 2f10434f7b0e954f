from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecasting"

    def ready(self) -> None:
        from core import panels
        from forecasting.hygiene import register_list_flags
        from forecasting.live_cache import watch_connection
        from forecasting.panels import hygiene_panel, opportunity_panel, pipeline_rows
        from forecasting.schedule import ensure_snapshot_schedule_after_migrate

        panels.register("opportunity", opportunity_panel)
        panels.register("opportunity", hygiene_panel)
        register_list_flags()
        panels.register_rows("pipeline", pipeline_rows)

        connection_created.connect(watch_connection, dispatch_uid="forecasting_live_cache_watch")
        post_migrate.connect(
            ensure_snapshot_schedule_after_migrate, sender=self, dispatch_uid="forecasting_snapshot_schedule"
        )
