from django.apps import AppConfig


class SowConfig(AppConfig):
    name = "sow"
    verbose_name = "Sow"
