from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "taperapp.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from . import signals  # noqa: F401 (login, logout, failure and lockout events)
