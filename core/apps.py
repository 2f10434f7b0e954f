from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core.roles import sync_role_groups_after_migrate

        post_migrate.connect(sync_role_groups_after_migrate, dispatch_uid="core.sync_role_groups")


class PipelineAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the project's admin site (core/admin_site.py)."""

    default = False  # core's own app config is CoreConfig

    default_site = "core.admin_site.PipelineAdminSite"
