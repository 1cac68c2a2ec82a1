"""The per-reduction view of the timeline shows the cuts the reduction-response alert judges,
over the same windows: a cut planned after a hold began never happened (the dose held), an
abrupt stop is a cut, and the baseline is the clinic's baseline window. Before, the view read
the schedule's own steps and a fixed week, so it could show a "response" to a cut the patient
never had, and miss the response to a stop."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from patients.plans import services as plan_services
from symptoms.selectors import timeline_page
from tests.factories import AlertThresholdsFactory, SymptomLogFactory, make_plan


@pytest.fixture(autouse=True)
def no_queue():
    with mock.patch("taperapp.jobs.enqueue"):
        yield


def _at(day, hour=9):
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def test_a_cut_planned_after_a_hold_is_not_shown_and_a_stop_is(patient, clinician):
    today = timezone.localdate()
    start = today - timedelta(days=40)  # cuts on day 14 and day 28 of the schedule
    plan = make_plan(patient, start=start, by=clinician)
    plan_services.taper_plan_hold(
        plan=plan, by=clinician, reason="Rough week.", on=start + timedelta(days=20)
    )
    held = timeline_page(user=clinician, patient_id=patient.pk)["reductions"]
    assert [r.on for r in held] == [start + timedelta(days=14)]

    plan_services.taper_plan_stop(plan=plan, by=clinician, reason="Stopped.", on=today)
    # The stop is a cut from the held dose to nothing the next day, judged from then on.
    tomorrow = timeline_page(user=clinician, patient_id=patient.pk)["reductions"]
    assert [r.on for r in tomorrow] == [start + timedelta(days=14)]
    with mock.patch("django.utils.timezone.localdate", return_value=today + timedelta(days=2)):
        stopped = timeline_page(user=clinician, patient_id=patient.pk)["reductions"]
    assert [(r.on, r.to_mg) for r in stopped][-1] == (today + timedelta(days=1), Decimal(0))


def test_the_baseline_is_the_clinics_baseline_window(patient, clinician, riverside):
    AlertThresholdsFactory(clinic=riverside, baseline_days=3)
    today = timezone.localdate()
    start = today - timedelta(days=20)
    make_plan(patient, start=start, by=clinician)
    cut = start + timedelta(days=14)
    for days_before, total in ((5, 30), (2, 10), (1, 12)):
        SymptomLogFactory(
            patient=patient,
            recorded_by=clinician,
            total=total,
            assessed_at=_at(cut - timedelta(days=days_before)),
        )
    SymptomLogFactory(patient=patient, recorded_by=clinician, total=20, assessed_at=_at(cut))
    (response,) = timeline_page(user=clinician, patient_id=patient.pk)["reductions"]
    # 5 days before is outside a 3-day baseline: median of 10 and 12.
    assert (response.on, response.baseline, response.peak) == (cut, 11, 20)


@pytest.mark.parametrize("end", ["stop", "complete"])
def test_a_plan_ended_while_on_hold_keeps_the_held_dose_to_its_end(patient, clinician, end):
    """The timeline and the alerts read the doses taken: after a hold, the held dose to the
    end, and the end is an abrupt stop from it (the history keeps the schedule as planned)."""
    today = timezone.localdate()
    start = today - timedelta(days=40)
    plan = make_plan(patient, start=start, by=clinician)  # 2 mg, 1.75 mg from day 14, ...
    hold_on = start + timedelta(days=20)
    plan_services.taper_plan_hold(plan=plan, by=clinician, reason="Rough week.", on=hold_on)
    held_dose = plan.facts().dose_on(hold_on)
    if end == "stop":
        plan = plan_services.taper_plan_stop(plan=plan, by=clinician, reason="Stopped.", on=today)
    else:
        plan = plan_services.taper_plan_complete(
            plan=plan, by=clinician, reason="Patient chose to stop.", on=today
        )
    plan.refresh_from_db()
    facts = plan.facts()
    # Day 28 was a planned cut after the hold began: never taken.
    assert facts.dose_on(start + timedelta(days=30)) == held_dose
    assert facts.dose_on(today) == held_dose
    assert facts.last_dose_date() == today
    assert facts.reductions_until(today + timedelta(days=1))[-1] == (
        today + timedelta(days=1),
        held_dose,
        Decimal(0),
    )
    assert plan.revisions.count() == 2  # the plan as made is kept beside what was taken
