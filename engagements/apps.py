from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EngagementsConfig(AppConfig):
    name = "engagements"
    verbose_name = "Engagements"

    def ready(self) -> None:
        from engagements.salesforce.schedule import ensure_sync_schedule_after_migrate

        # After every migrate (and every test-database flush): the sync's beat schedule exists.
        post_migrate.connect(
            ensure_sync_schedule_after_migrate, sender=self, dispatch_uid="engagements_sync_schedule"
        )
