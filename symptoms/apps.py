from django.apps import AppConfig


class SymptomsConfig(AppConfig):
    name = "symptoms"
    verbose_name = "Symptoms and alerts"

    def ready(self):
        from symptoms.alerts import receivers  # noqa: F401 (logs and plans wake the alerts)
