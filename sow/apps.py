from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SowConfig(AppConfig):
    name = "sow"
    verbose_name = "Statements of work"

    def ready(self) -> None:
        from core import panels
        from sow.panels import (
            approval_ladder_panel,
            estimate_panel,
            opportunity_panel,
            scoping_issue_panel,
            sow_version_panel,
        )
        from sow.schedule import ensure_approval_schedule_after_migrate

        panels.register("opportunity", opportunity_panel)
        panels.register("scoping_issue", scoping_issue_panel)
        panels.register("estimate", estimate_panel)
        panels.register("sow_version", sow_version_panel)
        panels.register("sow_version", approval_ladder_panel)
        post_migrate.connect(
            ensure_approval_schedule_after_migrate, sender=self, dispatch_uid="sow_approval_schedule"
        )
