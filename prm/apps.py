from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "PRM kernel"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .roles import sync_role_groups

        # Once, after the last app migrated: groups must see every app's permissions.
        post_migrate.connect(sync_role_groups, dispatch_uid="prm.sync_role_groups")
