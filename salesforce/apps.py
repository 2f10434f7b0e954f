from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SalesforceConfig(AppConfig):
    name = "salesforce"
    verbose_name = "Salesforce"

    def ready(self) -> None:
        from core import panels
        from engagements.limits import register_em_field_limits
        from salesforce.describe import em_text_limits
        from salesforce.panels import opportunity_panel
        from salesforce.schedule import ensure_sync_schedule_after_migrate

        panels.register("opportunity", opportunity_panel)
        # The EM's form refuses text longer than the Salesforce field accepts.
        register_em_field_limits("salesforce", em_text_limits)
        # After every migrate (and every test-database flush): the sync's beat schedule exists.
        post_migrate.connect(
            ensure_sync_schedule_after_migrate, sender=self, dispatch_uid="salesforce_sync_schedule"
        )
