from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Forecast calls"

    def ready(self) -> None:
        from calls.schedule import ensure_reminder_schedule_after_migrate

        post_migrate.connect(
            ensure_reminder_schedule_after_migrate, sender=self, dispatch_uid="calls_reminder_schedule"
        )
