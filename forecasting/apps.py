from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecasting"

    def ready(self) -> None:
        from forecasting.schedule import ensure_snapshot_schedule_after_migrate

        post_migrate.connect(
            ensure_snapshot_schedule_after_migrate, sender=self, dispatch_uid="forecasting_snapshot_schedule"
        )
