from django.apps import AppConfig


class SowConfig(AppConfig):
    name = "sow"
    verbose_name = "Statements of work"

    def ready(self) -> None:
        from core import panels
        from sow.panels import opportunity_panel, scoping_issue_panel

        panels.register("opportunity", opportunity_panel)
        panels.register("scoping_issue", scoping_issue_panel)
