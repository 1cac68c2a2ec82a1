from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "taperapp.accounts"
    label = "accounts"
    verbose_name = "Accounts and clinics"

    def ready(self):
        from . import signals  # noqa: F401 (sign-in time for the session lifetime)
        from .roles import sync_role_groups

        # Groups and their permissions are code, kept in step after every migrate.
        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
