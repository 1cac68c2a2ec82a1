from django.apps import AppConfig


class SymptomsConfig(AppConfig):
    # Symptom logs, the CIWA-B scale and escalation alerts arrive with their own issues.
    name = "symptoms"
    verbose_name = "Symptoms and alerts"
