from django.apps import AppConfig


class ScopingConfig(AppConfig):
    name = "scoping"
    verbose_name = "Scoping"

    def ready(self) -> None:
        from core import panels
        from scoping.panels import opportunity_panel

        panels.register("opportunity", opportunity_panel)
