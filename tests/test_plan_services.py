from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from patients.models import Medication, TaperPlan, TaperPlanRevision, TaperStep
from patients.plans import services as plan_services
from tests.factories import make_plan

START = date(2026, 1, 5)


def params(code="clonazepam", **overrides):
    values = {
        "medication": Medication.objects.get(code=code),
        "method": "percent",
        "start_date": START,
        "start_dose_mg": D("2"),
        "reduction_percent": D("10"),
        "interval_days": 14,
    }
    values.update(overrides)
    return plan_services.PlanParameters(**values)


def current_steps(plan):
    plan.refresh_from_db()
    return list(plan.current_revision.steps.order_by("sequence"))


def test_a_plan_is_created_as_a_draft_with_its_warnings_and_justification(patient, clinician):
    plan = make_plan(patient, activate=False, percent="30")  # departs from the guideline
    assert plan.status == "draft"
    revision = plan.current_revision
    assert revision.number == 1
    assert revision.steps.count() == 10  # 2 mg at 30% a fortnight
    codes = {w["code"] for w in revision.warnings}
    assert {"high_starting_dose", "exceeds_25_percent_in_2_weeks"} <= codes
    assert revision.deviation_count == len(
        [w for w in revision.warnings if w["tier"] == "deviation"]
    )
    assert revision.warning_count == len(revision.warnings)
    assert revision.justification


def test_warnings_without_a_justification_save_nothing(patient, clinician):
    with pytest.raises(ValidationError) as error:
        plan_services.taper_plan_create(
            patient=patient,
            params=params(reduction_percent=D("30")),
            justification="  ",
            created_by=clinician,
        )
    assert "justification" in error.value.message_dict
    assert not TaperPlan.objects.exists() and not TaperStep.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_dose_mg": D("0")}, "start_dose_mg"),
        ({"start_dose_mg": D("-2")}, "start_dose_mg"),
        ({"reduction_percent": D("0")}, "reduction_percent"),
        ({"reduction_percent": D("100")}, "reduction_percent"),
        ({"interval_days": 0}, "interval_days"),
        (
            {
                "method": "custom",
                "custom_steps": [(date(2026, 2, 1), D("1")), (date(2026, 1, 10), D("0"))],
            },
            "steps",
        ),
    ],
)
def test_bad_plan_input_saves_nothing(overrides, field, patient, clinician):
    with pytest.raises(ValidationError) as error:
        plan_services.taper_plan_create(
            patient=patient, params=params(**overrides), justification="x", created_by=clinician
        )
    assert field in error.value.message_dict
    assert not TaperPlan.objects.exists()


def test_a_plan_overlapping_a_running_one_is_refused(patient, clinician):
    make_plan(patient)
    with pytest.raises(ValidationError) as error:
        plan_services.taper_plan_create(
            patient=patient,
            params=params(start_date=START + timedelta(days=30)),
            justification="x",
            created_by=clinician,
        )
    assert "already has a running" in error.value.message_dict["start_date"][0]
    assert TaperPlan.objects.count() == 1


def test_the_database_allows_one_running_plan_per_patient(patient, clinician):
    make_plan(patient)
    second = make_plan(patient, activate=False, start=date(2027, 6, 1))  # after the first
    with pytest.raises(IntegrityError), transaction.atomic():
        TaperPlan.objects.filter(pk=second.pk).update(
            status="active", activated_at=second.created_at
        )


def test_hold_and_resume_shift_the_remaining_steps_by_the_days_held(patient, clinician):
    plan = make_plan(patient)
    before = current_steps(plan)
    held_on = date(2026, 2, 20)  # inside step 4 (12 Feb - 25 Feb)
    plan = plan_services.taper_plan_hold(
        plan=plan, by=clinician, reason="Severe anxiety", on=held_on
    )
    assert plan.status == "on_hold"
    # While held, the current dose continues whatever the old schedule said.
    assert plan.dose_on(date(2026, 3, 30)) == D("1.625")
    plan = plan_services.taper_plan_resume(plan=plan, by=clinician, on=held_on + timedelta(days=10))
    after = current_steps(plan)
    assert plan.status == "active" and plan.current_revision.number == 2
    assert [s.daily_dose_mg for s in after] == [s.daily_dose_mg for s in before]
    assert after[3].start_date == before[3].start_date  # the held step began as planned...
    assert after[3].end_date == before[3].end_date + timedelta(days=10)  # ...and lasted longer
    for old, new in zip(before[4:], after[4:], strict=True):
        assert new.start_date == old.start_date + timedelta(days=10)
    assert "Severe anxiety" in plan.current_revision.reason
    # The first revision is still there, unchanged.
    first = plan.revisions.get(number=1)
    assert [s.start_date for s in first.steps.order_by("sequence")] == [
        s.start_date for s in before
    ]


def test_step_back_returns_to_the_previous_dose_then_retries(patient, clinician):
    plan = make_plan(patient)
    today = date(2026, 2, 6)  # day 5 of step 3 (1.75 mg, from 2 Feb)
    plan = plan_services.taper_plan_step_back(plan=plan, by=clinician, reason="Tremor", on=today)
    steps = current_steps(plan)
    assert [(s.start_date, s.daily_dose_mg) for s in steps[:5]] == [
        (START, D("2")),
        (date(2026, 1, 19), D("1.875")),
        (date(2026, 2, 2), D("1.75")),
        (today, D("1.875")),
        (today + timedelta(days=14), D("1.75")),
    ]
    assert steps[2].end_date == today - timedelta(days=1)
    assert "Tremor" in plan.current_revision.reason
    assert any(w["code"] == "dose_increase" for w in plan.current_revision.warnings)


def test_a_revision_of_a_running_plan_keeps_the_past_and_the_old_steps(patient, clinician):
    plan = make_plan(patient)
    changed = plan_services.taper_plan_revise(
        plan=plan,
        params=params(
            start_date=date(2026, 3, 1),
            start_dose_mg=D("1.5"),
            reduction_percent=D("5"),
            interval_days=28,
        ),
        justification="Slower after a hard month",
        reason="Slowing down",
        by=clinician,
    )
    steps = current_steps(changed)
    assert steps[0].start_date == START and steps[0].daily_dose_mg == D("2")
    assert next(s for s in steps if s.start_date == date(2026, 3, 1)).daily_dose_mg == D("1.5")
    assert all(
        s.end_date is None or s.end_date < date(2026, 3, 1) or s.start_date >= date(2026, 3, 1)
        for s in steps
    )
    assert TaperPlanRevision.objects.filter(plan=plan).count() == 2
    assert plan.revisions.get(number=1).steps.count() == 17


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        (
            "active",
            lambda p, u: plan_services.taper_plan_resume(plan=p, by=u),
            "only a plan on hold can be resumed",
        ),
        (
            "completed",
            lambda p, u: plan_services.taper_plan_hold(plan=p, by=u, reason="x"),
            "only an active plan",
        ),
        (
            "draft",
            lambda p, u: plan_services.taper_plan_complete(plan=p, by=u),
            "only an active or held plan",
        ),
        ("active", lambda p, u: plan_services.taper_plan_activate(plan=p, by=u), "only a draft"),
        (
            "stopped",
            lambda p, u: plan_services.taper_plan_stop(plan=p, by=u, reason="x"),
            "already ended",
        ),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(
    setup, action, message, patient, clinician
):
    plan = make_plan(patient, activate=setup != "draft")
    if setup == "completed":
        plan = plan_services.taper_plan_complete(
            plan=plan, by=clinician, reason="Patient chose to stop here."
        )
    if setup == "stopped":
        plan = plan_services.taper_plan_stop(plan=plan, by=clinician, reason="Moved away")
    status = plan.status
    with pytest.raises(ValidationError) as error:
        action(plan, clinician)
    assert message in error.value.messages[0]
    plan.refresh_from_db()
    assert plan.status == status


def test_hold_and_stop_need_a_reason(patient, clinician):
    plan = make_plan(patient)
    with pytest.raises(ValidationError):
        plan_services.taper_plan_hold(plan=plan, by=clinician, reason=" ")
    with pytest.raises(ValidationError):
        plan_services.taper_plan_stop(plan=plan, by=clinician, reason="")
    plan.refresh_from_db()
    assert plan.status == "active"


def test_status_rules_hold_in_the_database(patient):
    plan = make_plan(patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaperPlan.objects.filter(pk=plan.pk).update(status="on_hold")  # no date, no reason
    with pytest.raises(IntegrityError), transaction.atomic():
        TaperPlan.objects.filter(pk=plan.pk).update(status="completed")  # no end date
    with pytest.raises(IntegrityError), transaction.atomic():
        TaperPlan.objects.filter(pk=plan.pk).update(status="paused")


def test_revisions_keep_warnings_justified_in_the_database(patient):
    plan = make_plan(patient, percent="30")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaperPlanRevision.objects.filter(pk=plan.current_revision.pk).update(justification="")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints are PostgreSQL's"
)
def test_overlapping_steps_are_rejected_even_by_raw_sql(patient):
    plan = make_plan(patient)
    revision = plan.current_revision
    with (
        pytest.raises(IntegrityError, match="step_dates_do_not_overlap"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO patients_taperstep"
            " (revision_id, sequence, start_date, end_date, daily_dose_mg)"
            " VALUES (%s, 99, %s, %s, 1)",
            [revision.pk, date(2026, 1, 10), date(2026, 1, 20)],
        )


def test_ci_runs_the_postgresql_only_tests():
    import os

    if os.environ.get("TAPERAPP_REQUIRE_POSTGRES"):
        assert connection.vendor == "postgresql"
