"""Where logs and plans wake the alerts: receivers of their signals, connected at start-up
(symptoms.apps). Logs and plans announce changes; only this module knows the alerts listen."""

from django.dispatch import receiver

from patients.plans.signals import plan_changed
from symptoms.alerts import evaluation
from symptoms.signals import log_changed, log_saved
from taperapp import jobs


@receiver(plan_changed, dispatch_uid="alerts.evaluate_after_plan_change")
@receiver(log_changed, dispatch_uid="alerts.evaluate_after_log_change")
def evaluate_after_commit(sender, patient_id, **kwargs):
    jobs.enqueue("symptoms.evaluate_patient", str(patient_id))


@receiver(log_saved, dispatch_uid="alerts.evaluate_saved_log")
def evaluate_saved_log(sender, log, **kwargs):
    return evaluation.alerts_for_entry(log)
