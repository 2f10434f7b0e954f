from django.apps import AppConfig


class ScopingConfig(AppConfig):
    name = "scoping"
    verbose_name = "Scoping"
