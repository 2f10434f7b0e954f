from django.apps import AppConfig


class SowConfig(AppConfig):
    name = "sow"
    verbose_name = "Statements of work"

    def ready(self) -> None:
        from core import panels
        from sow.panels import estimate_panel, opportunity_panel, scoping_issue_panel, sow_version_panel

        panels.register("opportunity", opportunity_panel)
        panels.register("scoping_issue", scoping_issue_panel)
        panels.register("estimate", estimate_panel)
        panels.register("sow_version", sow_version_panel)
