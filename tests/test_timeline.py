"""The phase on any date, at every boundary, for a long- and a short-acting drug."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from patients.models import Medication
from patients.plans import services as plan_services
from patients.plans.selectors import patient_timeline
from tests.factories import make_plan

START = date(2026, 1, 5)


@pytest.mark.parametrize(("code", "acute_days"), [("clonazepam", 28), ("alprazolam", 21)])
def test_phases_at_every_boundary(code, acute_days, patient):
    Medication.objects.filter(code=code).update(acute_window_days=acute_days)
    dose = "2" if code == "clonazepam" else "1"
    plan = make_plan(patient, code=code, dose=dose)
    last = plan.last_dose_date()
    first_cut = plan.current_revision.steps.get(sequence=2)

    def at(day):
        point = patient_timeline(patient, day)
        return point.phase, point.day_in_phase, point.daily_dose_mg, point.days_since_last_reduction

    assert at(START - timedelta(days=1)) == ("pre_taper", None, None, None)
    assert at(START) == ("tapering", 1, D(dose), None)
    # The first cut comes after the first step's whole intervals (held longer where the
    # strengths cannot make 10%: issue 15).
    first_day = (first_cut.start_date - START).days + 1
    assert first_day % 14 == 1
    assert at(first_cut.start_date) == ("tapering", first_day, first_cut.daily_dose_mg, 0)
    assert at(first_cut.start_date + timedelta(days=3))[3] == 3
    lowest = plan.medication.lowest_practical_dose_mg
    assert at(last)[0:3] == ("tapering", (last - START).days + 1, lowest)
    assert at(last + timedelta(days=1)) == ("acute", 1, D(0), None)
    assert at(last + timedelta(days=acute_days)) == ("acute", acute_days, D(0), None)
    assert at(last + timedelta(days=acute_days + 1)) == ("protracted", 1, D(0), None)
    assert at(last + timedelta(days=365))[0:2] == ("protracted", 365 - acute_days)
    assert at(last + timedelta(days=366))[0:2] == ("post_withdrawal", 1)
    assert patient_timeline(patient, last + timedelta(days=1)).last_dose_date == last


def test_a_draft_plan_does_not_start_the_timeline(patient):
    make_plan(patient, activate=False)
    assert patient_timeline(patient, START + timedelta(days=20)).phase == "pre_taper"


def test_while_on_hold_the_dose_continues_and_no_last_dose_is_known(patient, clinician):
    plan = make_plan(patient)
    plan_services.taper_plan_hold(plan=plan, by=clinician, reason="Flu", on=date(2026, 1, 25))
    point = patient_timeline(patient, date(2026, 9, 1))
    assert point.phase == "tapering"
    assert point.daily_dose_mg == D("1.875")
    assert point.last_dose_date is None
    assert point.days_since_last_reduction == (date(2026, 9, 1) - date(2026, 1, 19)).days


def test_completing_early_starts_acute_withdrawal_the_next_day(patient, clinician):
    plan = make_plan(patient)
    plan_services.taper_plan_complete(
        plan=plan, by=clinician, reason="Patient's wish", on=date(2026, 3, 1)
    )
    assert patient_timeline(patient, date(2026, 3, 1)).phase == "tapering"
    point = patient_timeline(patient, date(2026, 3, 2))
    assert (point.phase, point.day_in_phase) == ("acute", 1)


def test_a_stopped_plan_is_an_abrupt_stop_acute_withdrawal_the_next_day(patient, clinician):
    plan = make_plan(patient)
    plan_services.taper_plan_stop(plan=plan, by=clinician, reason="Declined", on=date(2026, 2, 1))
    assert patient_timeline(patient, date(2026, 2, 1)).phase == "tapering"
    point = patient_timeline(patient, date(2026, 2, 2))
    assert (point.phase, point.day_in_phase, point.daily_dose_mg) == ("acute", 1, D(0))
    assert point.last_dose_date == date(2026, 2, 1)
    plan.refresh_from_db()
    assert plan.last_dose_on == date(2026, 2, 1)


def test_a_plan_stopped_before_its_first_dose_does_not_count(patient, clinician):
    draft = make_plan(patient, activate=False)
    plan_services.taper_plan_stop(plan=draft, by=clinician, reason="Wrong drug")
    assert patient_timeline(patient, START + timedelta(days=20)).phase == "pre_taper"


def test_the_timeline_in_words(patient):
    make_plan(patient)
    tapering_words = patient_timeline(patient, date(2026, 1, 22)).in_words()
    assert tapering_words.startswith(
        "Day 18 of tapering · 1.875 mg a day · last reduction 3 days ago"
    )
    plan = patient.taper_plans.get()
    last = plan.last_dose_date()
    acute_words = patient_timeline(patient, last + timedelta(days=12)).in_words()
    assert acute_words.startswith("Acute-withdrawal window, day 12 after the last dose")
    protracted = patient_timeline(patient, last + timedelta(days=36)).in_words()
    assert protracted.startswith("Protracted-withdrawal window, week 6 after the last dose")
    assert "Day" not in protracted


def test_the_sql_timeline_agrees_with_the_timeline_module(riverside, clinician):
    """annotate_timeline (lists of thousands, in SQL) against timeline_on (the reference), for
    every kind of plan history, on every day around each boundary and weekly for two years."""
    from patients.models import Patient
    from patients.plans.selectors import annotate_day_in_phase, annotate_timeline
    from tests.factories import PatientFactory

    def patient_with(*steps):
        patient = PatientFactory(clinic=riverside, primary_clinician=clinician)
        for step in steps:
            step(patient)
        return patient

    def held(patient):
        plan = make_plan(patient, by=clinician)
        plan_services.taper_plan_hold(plan=plan, by=clinician, reason="Flu", on=date(2026, 1, 25))

    def completed_early(patient):
        plan = make_plan(patient, by=clinician)
        plan_services.taper_plan_complete(
            plan=plan, by=clinician, reason="Wish", on=date(2026, 3, 1)
        )

    def stopped(patient):
        plan = make_plan(patient, by=clinician)
        plan_services.taper_plan_stop(plan=plan, by=clinician, reason="Moved", on=date(2026, 2, 9))

    def then_another(patient):
        make_plan(patient, code="alprazolam", dose="1", start=date(2026, 6, 1), by=clinician)

    def resumed(patient):
        plan = make_plan(patient, by=clinician)
        plan_services.taper_plan_hold(plan=plan, by=clinician, reason="Flu", on=date(2026, 1, 25))
        plan_services.taper_plan_resume(plan=plan, by=clinician, on=date(2026, 2, 10))

    patients = [
        patient_with(),
        patient_with(lambda p: make_plan(p, by=clinician)),
        patient_with(lambda p: make_plan(p, activate=False, by=clinician)),
        patient_with(lambda p: make_plan(p, code="alprazolam", dose="1", by=clinician)),
        patient_with(lambda p: make_plan(p, dose="0.5", percent="25", by=clinician)),
        patient_with(held),
        patient_with(resumed),
        patient_with(completed_early),
        patient_with(stopped, then_another),
        patient_with(completed_early, then_another),
    ]
    boundaries = set()
    for patient in patients:
        for plan in patient.taper_plans.all():
            for day in (plan.first_dose_on, plan.last_dose_on, plan.ended_on):
                if day:
                    boundaries.update(
                        day + timedelta(days=offset)
                        for offset in (-1, 0, 1, 21, 22, 23, 24, 28, 29, 31, 32)
                    )
                    boundaries.update(day + timedelta(days=365 + offset) for offset in (0, 1, 2))
    days = sorted(boundaries | {START + timedelta(days=7 * week) for week in range(-2, 110)})
    compared = 0
    for day in days:
        listed = annotate_timeline(
            Patient.objects.filter(pk__in=[p.pk for p in patients]), {riverside.pk: day}
        )
        rows = annotate_day_in_phase(listed).values_list("pk", "tl_phase", "tl_day")
        for pk, phase, day_in_phase in rows:
            point = patient_timeline(Patient.objects.get(pk=pk), day)
            assert (phase, day_in_phase) == (point.phase, point.day_in_phase), (pk, day)
            compared += 1
    assert compared == len(days) * len(patients)
