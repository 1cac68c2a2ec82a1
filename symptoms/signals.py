"""What the symptom log announces, so that the alerts can follow it without the logs importing
them (alerts depend on logs, never the reverse)."""

from django.dispatch import Signal

# Sent inside the transaction that recorded, corrected or voided a log, with ``patient_id``.
# The alerts listen to queue an evaluation of the patient once it commits.
log_changed = Signal()

# Sent by the log page and the log API right after a person saved a log, with ``log``. Each
# receiver returns the alerts the log opened or updated (the alerts evaluate it at once), so
# the clinician is told in the same answer.
log_saved = Signal()


def alerts_raised_by(log) -> list:
    """The alerts the listeners report for a just-saved log, most severe first."""
    alerts = []
    for _receiver, found in log_saved.send(sender=type(log), log=log):
        alerts.extend(found or [])
    return alerts
