from django.apps import AppConfig


class SymptomsConfig(AppConfig):
    name = "symptoms"
    verbose_name = "Symptoms and alerts"

    def ready(self):
        from patients.signals import plan_changed

        from .tasks import enqueue, evaluate_patient

        def reevaluate(sender, patient_id, **kwargs):
            enqueue(evaluate_patient, str(patient_id))

        plan_changed.connect(
            reevaluate, dispatch_uid="symptoms.reevaluate_on_plan_change", weak=False
        )
