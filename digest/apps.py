from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DigestConfig(AppConfig):
    name = "digest"
    verbose_name = "Monday digest"

    def ready(self) -> None:
        from digest.schedule import ensure_digest_schedule_after_migrate

        post_migrate.connect(
            ensure_digest_schedule_after_migrate, sender=self, dispatch_uid="digest_weekly_schedule"
        )
