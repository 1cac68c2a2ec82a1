from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients and taper plans"

    def ready(self):
        from patients.catalogue import seed_after_migrate

        # Also after a test flush: the catalogue is reference data, never empty.
        post_migrate.connect(seed_after_migrate, sender=self, dispatch_uid="patients.catalogue")
