"""Two changes of the timeline (patients/timeline.py):

- the acute window follows the half-life class (patients/clinical.py): rows still at the former
  28 days for every drug take their class's window; an admin's own value is kept;
- a stopped plan is an abrupt stop: its end is the last dose (stored ``last_dose_on``), and a
  plan stopped before its first dose no longer places the patient on the timeline.
"""

from datetime import timedelta

from django.db import migrations


# The values of patients/clinical.py when this migration was written, frozen here so that a
# later change of the defaults does not rewrite history.
FORMER_ACUTE_WINDOW_DAYS = 28
ACUTE_WINDOW_DAYS = {"short": 23, "long": 31}


def by_half_life_class(apps, schema_editor):
    Medication = apps.get_model("patients", "Medication")
    for kind, days in ACUTE_WINDOW_DAYS.items():
        Medication.objects.filter(
            half_life_class=kind, acute_window_days=FORMER_ACUTE_WINDOW_DAYS
        ).update(acute_window_days=days)


def back_to_former(apps, schema_editor):
    Medication = apps.get_model("patients", "Medication")
    for kind, days in ACUTE_WINDOW_DAYS.items():
        Medication.objects.filter(half_life_class=kind, acute_window_days=days).update(
            acute_window_days=FORMER_ACUTE_WINDOW_DAYS
        )


def stopped_plans_end_with_their_last_dose(apps, schema_editor):
    TaperPlan = apps.get_model("patients", "TaperPlan")
    TaperStep = apps.get_model("patients", "TaperStep")
    for plan in TaperPlan.objects.filter(status="stopped"):
        steps = list(
            TaperStep.objects.filter(revision_id=plan.current_revision_id).order_by("sequence")
        )
        if plan.activated_at is None or not steps or plan.ended_on < steps[0].start_date:
            first = last = None
        else:
            first, last = steps[0].start_date, plan.ended_on
            if len(steps) >= 2 and steps[-1].daily_dose_mg == 0:
                last = min(last, steps[-1].start_date - timedelta(days=1))
        TaperPlan.objects.filter(pk=plan.pk).update(first_dose_on=first, last_dose_on=last)


def stopped_plans_without_last_dose(apps, schema_editor):
    TaperPlan = apps.get_model("patients", "TaperPlan")
    TaperPlan.objects.filter(status="stopped").update(last_dose_on=None)


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_plan_dose_dates")]

    operations = [
        migrations.RunPython(by_half_life_class, back_to_former),
        migrations.RunPython(
            stopped_plans_end_with_their_last_dose, stopped_plans_without_last_dose
        ),
    ]
