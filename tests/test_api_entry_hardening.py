"""The entry path refuses what it cannot store truthfully, with a 4xx that says why and nothing
saved: a submission id reused for a different report, a time without its offset, impossible
dates, oversized or deeply nested bodies, ids that are not ids. Derived from the API contract
(README: API) and the issue's fault-injection findings, not from the implementation."""

import json
import uuid
from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from patients.models import TaperPlan
from symptoms.models import SymptomLog
from symptoms.scales import items_for_total
from tests.factories import ClinicFactory, PatientFactory, UserFactory, make_plan

pytestmark = pytest.mark.django_db


def logs_url(patient):
    return reverse("patient-symptom-logs", kwargs={"pk": patient.pk})


def body(total=5, **overrides):
    data = {
        "assessed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "items": items_for_total(total),
        "heart_rate": 80,
    }
    data.update(overrides)
    return data


# --- 2. A submission id names one report ------------------------------------------------------


def test_the_same_submission_id_with_the_same_body_is_the_first_log(api_for, clinician, patient):
    api = api_for(clinician)
    key = str(uuid.uuid4())
    sent = body(submission_id=key)
    first = api.post(logs_url(patient), sent, format="json")
    again = api.post(logs_url(patient), sent, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert SymptomLog.objects.filter(patient=patient).count() == 1


def test_the_same_content_written_differently_is_still_the_same_submission(
    api_for, clinician, patient
):
    """The same instant with another offset, 37 written as 37.0, notes with spaces around:
    the normalised body is what is compared."""
    api = api_for(clinician)
    key = str(uuid.uuid4())
    at = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    first = body(submission_id=key, assessed_at=at.isoformat(), temperature_c="37.0", notes="ok")
    retry = body(
        submission_id=key,
        assessed_at=at.astimezone(timezone.get_fixed_timezone(13 * 60)).isoformat(),
        temperature_c=37,
        notes="  ok ",
    )
    assert api.post(logs_url(patient), first, format="json").status_code == 201
    assert api.post(logs_url(patient), retry, format="json").status_code == 200
    assert SymptomLog.objects.filter(patient=patient).count() == 1


def test_a_submission_id_reused_for_a_different_report_is_a_conflict(api_for, clinician, patient):
    """Before, the retry answered the old log (total 5) and the seizure (total 30) was lost."""
    api = api_for(clinician)
    key = str(uuid.uuid4())
    assert api.post(logs_url(patient), body(5, submission_id=key), format="json").status_code == 201
    response = api.post(logs_url(patient), body(30, submission_id=key, seizure=True), format="json")
    assert response.status_code == 409, response.content
    message = json.dumps(response.json())
    assert "submission_id" in message and "different" in message
    [log] = SymptomLog.objects.filter(patient=patient)
    assert (log.total, log.seizure) == (5, False)


def test_a_correction_that_reuses_a_submission_id_for_other_content_is_a_conflict(
    api_for, clinician, patient
):
    api = api_for(clinician)
    created = api.post(logs_url(patient), body(5), format="json").json()
    amend_url = reverse("symptom-log-amend", kwargs={"pk": created["id"]})
    key = str(uuid.uuid4())
    fix = body(9, submission_id=key, reason="Item 3 misread")
    first = api.post(amend_url, fix, format="json")
    assert first.status_code == 201, first.content
    same = api.post(amend_url, fix, format="json")
    assert same.status_code == 200 and same.json()["id"] == first.json()["id"]
    other = api.post(amend_url, body(25, submission_id=key, reason="Item 3 misread"), format="json")
    assert other.status_code == 409
    assert SymptomLog.objects.filter(patient=patient).count() == 2


# --- 3. Times carry their offset -------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "Europe/London"])
def test_a_time_without_an_offset_is_refused_in_every_clinic(api_for, zone):
    clinic = ClinicFactory(slug=zone.split("/")[1].lower(), time_zone=zone)
    nurse = UserFactory(username=f"nurse-{clinic.slug}", role="Clinician", clinic=clinic)
    patient = PatientFactory(clinic=clinic)
    local = timezone.localtime(timezone.now() - timedelta(hours=1), clinic.zone)
    naive = local.replace(tzinfo=None).isoformat(timespec="minutes")
    response = api_for(nurse).post(logs_url(patient), body(assessed_at=naive), format="json")
    assert response.status_code == 400
    assert "offset" in response.json()["assessed_at"][0]
    assert not SymptomLog.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "Europe/London"])
def test_a_time_with_its_offset_is_stored_as_that_instant_in_every_clinic(api_for, zone):
    clinic = ClinicFactory(slug=zone.split("/")[1].lower(), time_zone=zone)
    nurse = UserFactory(username=f"nurse-{clinic.slug}", role="Clinician", clinic=clinic)
    patient = PatientFactory(clinic=clinic)
    instant = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    local = timezone.localtime(instant, clinic.zone)
    response = api_for(nurse).post(
        logs_url(patient), body(assessed_at=local.isoformat()), format="json"
    )
    assert response.status_code == 201, response.content
    assert SymptomLog.objects.get(patient=patient).assessed_at == instant


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "Europe/London"])
def test_the_log_form_reads_a_typed_time_in_the_clinics_zone(client_for, zone):
    """The form has no offset to give: the clinic's wall clock is what the clinician reads."""
    from tests.test_symptom_logs import form_data

    clinic = ClinicFactory(slug=zone.split("/")[1].lower(), time_zone=zone)
    nurse = UserFactory(username=f"nurse-{clinic.slug}", role="Clinician", clinic=clinic)
    patient = PatientFactory(clinic=clinic)
    instant = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    typed = timezone.localtime(instant, clinic.zone).strftime("%Y-%m-%dT%H:%M")
    response = client_for(nurse).post(
        reverse("symptoms:log_create", kwargs={"pk": patient.pk}), form_data(assessed_at=typed)
    )
    assert response.status_code == 302, response.content[:3000]
    assert SymptomLog.objects.get(patient=patient).assessed_at == instant


def test_the_api_schema_says_times_need_their_offset(client_for, clinician):
    schema = client_for(clinician).get(reverse("schema"), {"format": "json"}).json()
    assessed_at = schema["components"]["schemas"]["SymptomLog"]["properties"]["assessed_at"]
    assert "offset" in assessed_at["description"]
    assert "refused" in assessed_at["description"]


# --- 4. Impossible or hostile input ----------------------------------------------------------


@pytest.mark.parametrize(
    "assessed_at",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "1979-05-17T08:00:00Z",  # before the patient's birth (1980-05-17)
        "2026-02-30T08:00:00Z",
        "not a time",
    ],
)
def test_an_impossible_assessment_time_is_a_clear_400(api_for, clinician, patient, assessed_at):
    response = api_for(clinician).post(
        logs_url(patient), body(assessed_at=assessed_at), format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["assessed_at"]
    assert not SymptomLog.objects.filter(patient=patient).exists()


def test_an_assessment_before_birth_says_so(api_for, clinician, patient):
    response = api_for(clinician).post(
        logs_url(patient), body(assessed_at="1979-05-17T08:00:00Z"), format="json"
    )
    assert "birth" in response.json()["assessed_at"][0]


def test_notes_have_a_length_limit(api_for, clinician, patient):
    response = api_for(clinician).post(logs_url(patient), body(notes="x" * 20_001), format="json")
    assert response.status_code == 400
    assert "notes" in response.json()
    assert not SymptomLog.objects.filter(patient=patient).exists()


def test_a_body_over_the_size_limit_is_413(api_for, clinician, patient):
    """A 2 MB note was stored before."""
    response = api_for(clinician).post(
        logs_url(patient), body(notes="x" * 2_000_000), format="json"
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert not SymptomLog.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("depth", [40, 5_000])
def test_deeply_nested_json_is_a_400(api_for, clinician, patient, depth):
    """5,000 levels raised RecursionError in the parser (500)."""
    nested = "[" * depth + "]" * depth
    raw = json.dumps(body()).replace('"heart_rate": 80', f'"heart_rate": 80, "extra": {nested}')
    response = api_for(clinician).post(logs_url(patient), raw, content_type="application/json")
    assert response.status_code == 400, response.content[:500]
    assert "nest" in response.json()["detail"]
    assert not SymptomLog.objects.filter(patient=patient).exists()


def plans_url(patient):
    return reverse("patient-taper-plans", kwargs={"pk": patient.pk})


def plan_body(**overrides):
    data = {
        "medication": "clonazepam",
        "method": "percent",
        "start_date": timezone.localdate().isoformat(),
        "start_dose_mg": "2",
        "reduction_percent": "10",
        "interval_days": 14,
        "justification": "Discussed with the patient.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"start_date": "9999-12-31"}, "start_date"),
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"start_date": (date.today() + timedelta(days=800)).isoformat()}, "start_date"),
        ({"interval_days": 2**40}, "interval_days"),
        ({"interval_days": 400}, "interval_days"),
        ({"interval_days": 0}, "interval_days"),
    ],
)
def test_a_plan_outside_the_sane_window_is_a_clear_400(
    api_for, clinician, patient, overrides, field
):
    response = api_for(clinician).post(plans_url(patient), plan_body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not TaperPlan.objects.filter(patient=patient).exists()


def test_custom_steps_far_in_the_future_are_a_clear_400(api_for, clinician, patient):
    today = timezone.localdate()
    response = api_for(clinician).post(
        plans_url(patient),
        plan_body(
            method="custom",
            steps=[
                {"start_date": (today + timedelta(days=14)).isoformat(), "daily_dose_mg": "1.5"},
                {"start_date": "9999-12-31", "daily_dose_mg": "0"},
            ],
        ),
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "steps" in response.json()


def test_the_plan_form_enforces_the_same_window(client_for, clinician, patient):
    response = client_for(clinician).post(
        reverse("plans:create", kwargs={"pk": patient.pk}),
        {
            "medication": "clonazepam",
            "method": "percent",
            "start_date": "9999-12-31",
            "start_dose_mg": "2",
            "reduction_percent": "10",
            "interval_days": "14",
            "justification": "x",
            "action": "save",
        },
    )
    assert response.status_code == 200
    assert "start" in response.content.decode().lower()
    assert not TaperPlan.objects.filter(patient=patient).exists()


def test_the_log_form_refuses_a_time_before_birth_and_long_notes(client_for, clinician, patient):
    from tests.test_symptom_logs import form_data

    url = reverse("symptoms:log_create", kwargs={"pk": patient.pk})
    before_birth = client_for(clinician).post(url, form_data(assessed_at="1979-01-01T08:00"))
    assert before_birth.status_code == 200
    assert "birth" in before_birth.content.decode()
    long_notes = client_for(clinician).post(url, form_data(notes="x" * 20_001))
    assert long_notes.status_code == 200
    assert not SymptomLog.objects.filter(patient=patient).exists()


def api_routes_with_an_id():
    """Every /api/v1/ URL pattern that takes an object id, with a malformed id put in."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith("api/v1/") and ("<pk>" in route or "(?P<pk>" in route):
                    found.append(route)

    walk(get_resolver().url_patterns)
    return sorted(set(found))


def test_every_api_route_answers_a_malformed_id_with_404_not_500(api_for, admin_user, clinician):
    """Non-UUID ids anywhere under /api/v1/ gave 500s."""
    import re

    routes = api_routes_with_an_id()
    assert len(routes) >= 10, routes
    for user in (admin_user, clinician):
        api = api_for(user)
        for route in routes:
            path = "/" + re.sub(r"\(\?P<pk>[^)]*\)|<pk>", "not-a-uuid", route)
            path = path.replace("^", "").replace("$", "").replace("\\.", ".")
            path = re.sub(r"\(\?P<format>[^)]*\)", "json", path)
            if "(?P<" in path or "<" in path:
                continue
            for method in ("get", "post"):
                response = getattr(api, method)(path, {}, format="json")
                assert response.status_code in (400, 403, 404, 405), (method, path, response)


@pytest.mark.parametrize(
    "query",
    ["patient=not-a-uuid", "assigned_to=abc", "user=abc", "since=yesterday", "page=abc"],
)
def test_malformed_filters_are_a_400_or_ignored_never_a_500(api_for, admin_user, query):
    api = api_for(admin_user)
    for url in ("/api/v1/alerts/", "/api/v1/patients/", "/api/v1/audit-events/"):
        response = api.get(f"{url}?{query}")
        assert response.status_code in (200, 400, 404), (url, query, response.status_code)


def test_a_plan_action_on_a_plan_with_a_malformed_date_is_a_400(api_for, clinician, patient):
    plan = make_plan(patient, by=clinician, start=timezone.localdate() - timedelta(days=3))
    response = api_for(clinician).post(
        reverse("taper-plan-hold", kwargs={"pk": plan.pk}),
        {"reason": "review", "on": "31/12/9999"},
        format="json",
    )
    assert response.status_code in (200, 400)


# --- From the independent review ---------------------------------------------------------------


def test_a_custom_plan_in_year_9999_is_a_400_not_an_overflow(api_for, clinician, patient):
    response = api_for(clinician).post(
        plans_url(patient),
        plan_body(
            method="custom",
            start_date="9999-06-01",
            steps=[{"start_date": "9999-12-31", "daily_dose_mg": "0"}],
        ),
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "start_date" in response.json()


@pytest.mark.parametrize(
    "dose, field",
    [("9999.9999", "steps"), ("2.5", "steps"), ("1.123456789", "steps")],
)
def test_custom_step_doses_are_bounded(api_for, clinician, patient, dose, field):
    today = timezone.localdate()
    response = api_for(clinician).post(
        plans_url(patient),
        plan_body(
            method="custom",
            steps=[{"start_date": (today + timedelta(days=14)).isoformat(), "daily_dose_mg": dose}],
        ),
        format="json",
    )
    assert response.status_code == 400, response.content
    assert not TaperPlan.objects.filter(patient=patient).exists()


def test_the_plan_form_refuses_an_absurd_custom_dose(client_for, clinician, patient):
    response = client_for(clinician).post(
        reverse("plans:create", kwargs={"pk": patient.pk}),
        {
            "medication": "clonazepam",
            "method": "custom",
            "start_date": timezone.localdate().isoformat(),
            "start_dose_mg": "2",
            "custom_steps": f"{(timezone.localdate() + timedelta(days=7)).isoformat()} 1e30",
            "justification": "x",
            "action": "save",
        },
    )
    assert response.status_code == 200
    assert not TaperPlan.objects.filter(patient=patient).exists()


def test_limits_on_dose_taken_justification_and_step_count(api_for, clinician, patient):
    api = api_for(clinician)
    assert (
        api.post(logs_url(patient), body(dose_taken_mg="9999.9999"), format="json").status_code
        == 400
    )
    long = api.post(plans_url(patient), plan_body(justification="x" * 10_001), format="json")
    assert long.status_code == 400 and "justification" in long.json()
    today = timezone.localdate()
    many = [
        {"start_date": (today + timedelta(days=n)).isoformat(), "daily_dose_mg": "1"}
        for n in range(1, 1_002)
    ]
    steps = api.post(plans_url(patient), plan_body(method="custom", steps=many), format="json")
    assert steps.status_code == 400 and "steps" in steps.json()


@pytest.mark.parametrize(
    "path",
    ["/api/v1/medications/%00/", "/api/v1/patients/?status=%00", "/api/v1/alerts/?rule=%00x"],
)
def test_a_nul_in_an_address_or_query_is_a_400(api_for, clinician, path):
    assert api_for(clinician).get(path).status_code in (400, 404)


def test_form_encoded_api_bodies_are_refused_not_stored(api_for, clinician, riverside):
    response = api_for(clinician).post(
        reverse("patient-list"),
        "clinic=riverside%00&mrn=X",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415


def test_an_audit_filter_out_of_range_is_a_400(api_for, admin_user):
    api = api_for(admin_user)
    for query in ("since=0001-01-01T00:00:00%2B14:00", "until=9999-12-31T23:59:59-14:00"):
        assert api.get(f"/api/v1/audit-events/?{query}").status_code == 400, query


def test_the_same_temperature_in_any_notation_and_null_for_not_given(api_for, clinician, patient):
    api = api_for(clinician)
    response = api.post(
        logs_url(patient),
        body(temperature_c="36.90", notes=None, seizure=None, consciousness=None),
        format="json",
    )
    assert response.status_code == 201, response.content
    log = SymptomLog.objects.get(patient=patient)
    assert (str(log.temperature_c), log.notes, log.seizure, log.consciousness) == (
        "36.9",
        "",
        False,
        "",
    )


def test_a_form_saved_twice_with_new_values_is_saved_as_a_new_log(client_for, clinician, patient):
    """Save, Back, new values in the restored form (same key): not saved, explained, and the
    next save records it (before, the form failed for ever)."""
    from tests.test_symptom_logs import form_data

    client = client_for(clinician)
    url = reverse("symptoms:log_create", kwargs={"pk": patient.pk})
    first = form_data(total=5)
    assert client.post(url, first).status_code == 302
    again = {
        **first,
        **form_data(total=30, seizure="on"),
        "submission_key": first["submission_key"],
    }
    refused = client.post(url, again)
    assert refused.status_code == 200
    assert "already been saved as another log" in refused.content.decode()
    new_key = refused.context["form"].data["submission_key"]
    assert new_key != first["submission_key"]
    assert client.post(url, {**again, "submission_key": new_key}).status_code == 302
    assert SymptomLog.objects.filter(patient=patient).count() == 2


@pytest.mark.parametrize(
    "typed, expected_utc, accepted",
    [
        ("2026-10-25T01:30", "2026-10-25T00:30:00+00:00", True),  # the repeated hour: first
        ("2026-03-29T01:30", None, False),  # the spring gap: never existed
    ],
)
def test_the_log_form_at_the_clock_changes(
    client_for, clinician, riverside, typed, expected_utc, accepted
):
    from tests.test_symptom_logs import form_data

    riverside.time_zone = "Europe/London"
    riverside.save()
    patient = PatientFactory(clinic=riverside)
    response = client_for(clinician).post(
        reverse("symptoms:log_create", kwargs={"pk": patient.pk}), form_data(assessed_at=typed)
    )
    if accepted:
        assert response.status_code == 302, response.content[:2000]
        log = SymptomLog.objects.get(patient=patient)
        assert log.assessed_at.isoformat() == expected_utc
    else:
        assert response.status_code == 200
        assert "did not exist" in response.content.decode()
        assert not SymptomLog.objects.filter(patient=patient).exists()
