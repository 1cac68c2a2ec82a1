from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from patients.models import TaperPlan, TaperStep
from tests.factories import make_plan
from tests.querycount import count_queries

FORM = {
    "medication": "",  # set per test (a pk)
    "method": "percent",
    "start_date": "2026-01-05",
    "start_dose_mg": "2",
    "reduction_percent": "10",
    "interval_days": "14",
    "justification": "ODT available; weekly review.",
}
# A plan that departs from the guideline: 30% a fortnight.
FAST = {"reduction_percent": "30"}

BODY = {
    "medication": "clonazepam",
    "method": "percent",
    "start_date": "2026-01-05",
    "start_dose_mg": "2",
    "reduction_percent": "10",
    "interval_days": 14,
    "justification": "ODT available; weekly review.",
}


@pytest.fixture
def clonazepam(db):
    from patients.models import Medication

    return Medication.objects.get(code="clonazepam")


@pytest.fixture
def plan(patient):
    return make_plan(patient)


def test_a_clinician_builds_a_plan_in_the_form(client_for, clinician, patient, clonazepam):
    response = client_for(clinician).post(
        reverse("plans:create", kwargs={"pk": patient.pk}),
        {**FORM, "medication": clonazepam.pk},
    )
    plan = TaperPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert plan.status == "draft" and plan.current_revision.steps.count() == 17


def test_the_live_preview_shows_steps_and_the_pace_warning(
    client_for, clinician, patient, clonazepam
):
    response = client_for(clinician).post(
        reverse("plans:preview", kwargs={"pk": patient.pk}),
        {**FORM, "medication": clonazepam.pk, "reduction_percent": "40", "interval_days": "7"},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-code="exceeds_25_percent_in_2_weeks"' in content
    assert "<svg" in content and "steps-table" in content
    assert not TaperPlan.objects.exists()  # a preview saves nothing


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"start_dose_mg": "0"}, "start_dose_mg", "more than 0 mg"),
        ({"start_dose_mg": "-1"}, "start_dose_mg", "more than 0 mg"),
        ({"reduction_percent": "0"}, "reduction_percent", "more than 0%"),
        ({"reduction_percent": "100"}, "reduction_percent", "less than 100%"),
        ({"interval_days": "0"}, "interval_days", "1 to 84 days"),
        (
            {"method": "custom", "custom_steps": "2026-03-01 1\n2026-02-01 0"},
            "custom_steps",
            "dates in order",
        ),
        ({"method": "custom", "custom_steps": "tomorrow half"}, "custom_steps", "Line 1"),
        ({"medication": "999999"}, "medication", "catalogue"),
        ({"start_date": "2026-13-45"}, "start_date", "valid date"),
        # 30% a fortnight departs from the guideline: it needs reasons of real content (the
        # standard 10% plan needs none: test_the_api_creates_a_plan_with_...).
        (FAST | {"justification": ""}, "justification", "departs from the guideline"),
        (FAST | {"justification": "x"}, "justification", "is not a justification"),
        (FAST | {"justification": "ok ok ok ok"}, "justification", "is not a justification"),
    ],
)
def test_bad_plan_input_in_the_form_saves_nothing(
    change, field, message, client_for, clinician, patient, clonazepam
):
    data = {**FORM, "medication": clonazepam.pk, **change}
    response = client_for(clinician).post(reverse("plans:create", kwargs={"pk": patient.pk}), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not TaperPlan.objects.exists() and not TaperStep.objects.exists()


def test_a_plan_overlapping_a_running_one_is_refused_in_the_form(
    client_for, clinician, plan, clonazepam
):
    response = client_for(clinician).post(
        reverse("plans:create", kwargs={"pk": plan.patient.pk}),
        {**FORM, "medication": clonazepam.pk, "start_date": "2026-03-01"},
    )
    assert "already has a running" in " ".join(response.context["form"].errors["start_date"])
    assert TaperPlan.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_dose_mg": "0"}, "start_dose_mg"),
        ({"start_dose_mg": "-2"}, "start_dose_mg"),
        ({"reduction_percent": "0"}, "reduction_percent"),
        ({"reduction_percent": "100"}, "reduction_percent"),
        ({"interval_days": 0}, "interval_days"),
        ({"medication": "unobtainium"}, "medication"),
        ({"start_date": "05/01/2026"}, "start_date"),
        (
            {
                "method": "custom",
                "steps": [
                    {"start_date": "2026-03-01", "daily_dose_mg": "1"},
                    {"start_date": "2026-02-01", "daily_dose_mg": "0"},
                ],
            },
            "steps",
        ),
        (FAST | {"justification": ""}, "justification"),
    ],
)
def test_bad_plan_input_in_the_api_is_a_400_and_saves_nothing(
    change, field, api_for, clinician, patient
):
    url = reverse("patient-taper-plans", kwargs={"pk": patient.pk})
    response = api_for(clinician).post(url, {**BODY, **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not TaperPlan.objects.exists()


def test_the_api_creates_a_plan_with_steps_warnings_and_last_dose(api_for, clinician, patient):
    url = reverse("patient-taper-plans", kwargs={"pk": patient.pk})
    response = api_for(clinician).post(url, BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["steps"][0] == {
        "sequence": 1,
        "start_date": "2026-01-05",
        "end_date": "2026-01-18",
        "daily_dose_mg": "2.0000",
        "change_percent": None,
    }
    assert body["steps"][-1]["daily_dose_mg"] == "0.0000" and body["steps"][-1]["end_date"] is None
    # The standard plan follows the guideline by construction: risk notes only (the dose's band,
    # the strengths' gaps with the form that would avoid them, the final step), no deviation.
    assert {w["code"] for w in body["warnings"]} == {
        "high_starting_dose",
        "strengths_gap",
        "final_step_from_lowest_dose",
    }
    assert {w["tier"] for w in body["warnings"]} == {"note"}
    # 10% a fortnight, the lower doses held until the cuts add up (issue 15): 66 weeks.
    assert body["last_dose_date"] == "2027-04-11"
    listed = api_for(clinician).get(url).json()
    assert [p["id"] for p in listed["results"]] == [body["id"]]  # paginated, as every list


def test_custom_steps_through_the_api(api_for, clinician, patient):
    url = reverse("patient-taper-plans", kwargs={"pk": patient.pk})
    body = {
        **BODY,
        "method": "custom",
        "steps": [
            {"start_date": "2026-02-01", "daily_dose_mg": "1.875"},
            {"start_date": "2026-03-01", "daily_dose_mg": "0"},
        ],
    }
    response = api_for(clinician).post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert [s["daily_dose_mg"] for s in response.json()["steps"]] == ["2.0000", "1.8750", "0.0000"]


def test_hold_and_resume_through_the_api(api_for, clinician, plan):
    api = api_for(clinician)
    hold = reverse("taper-plan-hold", kwargs={"pk": plan.pk})
    assert api.post(hold, {}, format="json").status_code == 400  # a reason is needed
    response = api.post(hold, {"reason": "Tremor after the last cut"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "on_hold"
    again = api.post(hold, {"reason": "again"}, format="json")
    assert again.status_code == 400
    assert "only an active plan can be put on hold" in again.json()["non_field_errors"][0]
    resumed = api.post(reverse("taper-plan-resume", kwargs={"pk": plan.pk}), {}, format="json")
    assert resumed.status_code == 200
    assert resumed.json()["revision"] == 2 and len(resumed.json()["history"]) == 2


def test_timeline_api(api_for, clinician, plan):
    url = reverse("patient-timeline", kwargs={"pk": plan.patient.pk})
    body = api_for(clinician).get(url, {"date": "2026-01-22"}).json()
    assert body["phase"] == "tapering" and body["day_in_phase"] == 18
    assert body["daily_dose_mg"] == "1.8750" and body["days_since_last_reduction"] == 3
    assert body["last_dose_date"] == "2027-04-11"
    acute = api_for(clinician).get(url, {"date": "2027-04-23"}).json()
    assert (acute["phase"], acute["day_in_phase"]) == ("acute", 12)
    bad = api_for(clinician).get(url, {"date": "2026-02-30"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["date"][0]


def test_medications_api_names_the_source_of_each_equivalence(api_for, staff):
    rows = api_for(staff).get(reverse("medication-list")).json()
    clonazepam = next(row for row in rows if row["code"] == "clonazepam")
    assert {e["source"] for e in clonazepam["diazepam_equivalents"]} == {"ashton", "va_dod_2021"}
    assert (
        clonazepam["half_life_class"] == "long"
        and clonazepam["lowest_practical_dose_mg"] == "0.1250"
    )


PLAN_PAGES = [
    # (url name, method, {persona: status})
    ("plans:detail", "get", {"clinician": 200, "staff": 200, "admin": 200, "outsider": 404}),
    ("plans:schedule", "get", {"clinician": 200, "staff": 200, "outsider": 404}),
    ("plans:revise", "get", {"clinician": 200, "staff": 403, "admin": 403, "outsider": 404}),
    ("plans:hold", "post", {"staff": 403, "admin": 403, "outsider": 404}),
    ("plans:stop", "post", {"staff": 403, "outsider": 404}),
]


@pytest.mark.parametrize(("name", "method", "expected"), PLAN_PAGES)
def test_plan_pages_by_persona(name, method, expected, personas, plan, client_for):
    url = reverse(name, kwargs={"pk": plan.pk})
    for persona, code in expected.items():
        response = getattr(client_for(personas[persona]), method)(url, {"reason": "x"})
        assert response.status_code == code, (persona, name, response.status_code)
    plan.refresh_from_db()
    assert plan.status == "active"


@pytest.mark.parametrize("name", ["plans:create", "plans:preview"])
def test_staff_and_admins_cannot_build_plans(name, personas, patient, client_for, clonazepam):
    url = reverse(name, kwargs={"pk": patient.pk})
    for persona, code in {"staff": 403, "admin": 403, "outsider": 404}.items():
        response = client_for(personas[persona]).post(url, {**FORM, "medication": clonazepam.pk})
        assert response.status_code == code, persona
    assert not TaperPlan.objects.exists()


def test_plan_api_by_persona(personas, plan, api_for):
    create = reverse("patient-taper-plans", kwargs={"pk": plan.patient.pk})
    hold = reverse("taper-plan-hold", kwargs={"pk": plan.pk})
    detail = reverse("taper-plan-detail", kwargs={"pk": plan.pk})
    assert api_for(personas["staff"]).post(create, BODY, format="json").status_code == 403
    assert api_for(personas["staff"]).post(hold, {"reason": "x"}, format="json").status_code == 403
    assert api_for(personas["admin"]).post(hold, {"reason": "x"}, format="json").status_code == 403
    assert (
        api_for(personas["outsider"]).post(hold, {"reason": "x"}, format="json").status_code == 404
    )
    assert api_for(personas["outsider"]).get(detail).status_code == 404
    assert api_for(personas["outsider"]).post(create, BODY, format="json").status_code == 404
    assert api_for(personas["staff"]).get(detail).status_code == 200
    plan.refresh_from_db()
    assert plan.status == "active" and TaperPlan.objects.count() == 1


def test_plan_actions_in_the_page(client_for, clinician, patient):
    plan = make_plan(patient, activate=False)
    client = client_for(clinician)
    client.post(reverse("plans:activate", kwargs={"pk": plan.pk}))
    response = client.post(reverse("plans:resume", kwargs={"pk": plan.pk}), follow=True)
    assert "only a plan on hold can be resumed" in response.content.decode()
    client.post(reverse("plans:hold", kwargs={"pk": plan.pk}), {"reason": "Flu"})
    plan.refresh_from_db()
    assert plan.status == "on_hold" and plan.hold_reason == "Flu"


def test_the_plan_page_shows_warnings_beside_the_justification(client_for, staff, patient):
    plan = make_plan(patient, percent="30", justification="ODT available; weekly review.")
    content = client_for(staff).get(plan.get_absolute_url()).content.decode()
    assert "exceeds_25_percent_in_2_weeks" in content
    assert 'data-tier="deviation"' in content and 'data-tier="note"' in content
    assert "ODT available" in content
    assert "Hold the taper" not in content  # staff see no plan actions


def test_the_printable_schedule_says_tablets_per_day(client_for, clinician, plan):
    content = (
        client_for(clinician)
        .get(reverse("plans:schedule", kwargs={"pk": plan.pk}))
        .content.decode()
    )
    assert "<td>1 × 2 mg tablet</td>" in content
    assert "0.125 mg dissolving tablet" in content
    assert "None: you have stopped" in content
    assert "Do not stop suddenly" in content


def test_the_patient_page_says_where_the_patient_stands(
    client_for, clinician, patient, plan, settings
):
    content = client_for(clinician).get(patient.get_absolute_url()).content.decode()
    assert "timeline-words" in content
    assert plan.get_absolute_url() in content


def test_a_revision_through_the_page_keeps_the_old_steps(client_for, clinician, plan, clonazepam):
    response = client_for(clinician).post(
        reverse("plans:revise", kwargs={"pk": plan.pk}),
        {
            **FORM,
            "medication": clonazepam.pk,
            "start_date": "2026-03-01",
            "start_dose_mg": "1.5",
            "reduction_percent": "5",
            "interval_days": "28",
            "reason": "Slower",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert plan.revisions.count() == 2
    assert plan.revisions.get(number=1).steps.count() == 17


# Exact query counts of the base case (the same on SQLite and PostgreSQL): a change is a
# decision, made here, with the SQL printed by the failing assertion (tests/querycount.py).
PATIENT_PAGE_QUERIES = 20
PLAN_PAGE_QUERIES = 24


def test_the_patient_page_query_count_does_not_grow_with_plans(client_for, clinician, patient):
    from patients.plans import services as plan_services

    client = client_for(clinician)
    make_plan(patient)

    def count():
        with count_queries() as counted:
            assert client.get(patient.get_absolute_url()).status_code == 200
        return counted

    one = count()
    assert one.count == PATIENT_PAGE_QUERIES, one
    plan = patient.taper_plans.get()
    plan_services.taper_plan_stop(plan=plan, by=clinician, reason="x", on=date(2026, 2, 1))
    for start in (date(2026, 3, 2), date(2026, 6, 1)):  # within the plausible start window
        make_plan(patient, start=start, dose=str(D("1.5")))
        latest = patient.taper_plans.order_by("-created_at").first()
        plan_services.taper_plan_stop(
            plan=latest, by=clinician, reason="x", on=start + timedelta(days=27)
        )
    three = count()
    assert three.count == one.count, three


def test_the_plan_page_query_count_does_not_grow_with_revisions(client_for, clinician, plan):
    from patients.plans import services as plan_services

    client = client_for(clinician)

    def count():
        with count_queries() as counted:
            assert client.get(plan.get_absolute_url()).status_code == 200
        return counted

    one = count()
    assert one.count == PLAN_PAGE_QUERIES, one
    for day in (1, 2, 3):
        plan_services.taper_plan_hold(plan=plan, by=clinician, reason="x", on=date(2026, 2, day))
        plan_services.taper_plan_resume(plan=plan, by=clinician, on=date(2026, 2, day + 1))
    assert plan.revisions.count() == 4
    four = count()
    assert four.count == one.count, four


def test_admins_keep_the_medication_catalogue(client_for, admin_user, clinician):
    from patients.models import Medication

    clonazepam = Medication.objects.get(code="clonazepam")
    url = reverse("admin:patients_medication_change", args=[clonazepam.pk])
    assert client_for(admin_user).get(url).status_code == 200
    assert client_for(clinician).get(url).status_code == 302  # not into the admin at all
