from django.apps import AppConfig


class StaffingConfig(AppConfig):
    name = "staffing"
    verbose_name = "Staffing"

    def ready(self) -> None:
        from core import panels
        from staffing.panels import person_panel, sow_version_panel

        panels.register("sow_version", sow_version_panel)
        panels.register("person", person_panel)

        from sow import handoff_checks
        from staffing.selectors import staffing_gaps

        handoff_checks.register_staffing_check(staffing_gaps)
