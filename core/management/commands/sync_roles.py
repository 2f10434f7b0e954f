from django.core.management.base import BaseCommand

from core.roles import sync_role_groups


class Command(BaseCommand):
    help = "Create the role groups and set their permissions (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        for name, count in sync_role_groups().items():
            self.stdout.write(f"{name}: {count} permissions")
