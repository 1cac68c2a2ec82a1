from django.dispatch import Signal

# Sent inside the transaction that changed a patient's taper plan (create, revise, any status
# change), with ``patient_id``. The alert pipeline listens to re-evaluate the patient.
plan_changed = Signal()
