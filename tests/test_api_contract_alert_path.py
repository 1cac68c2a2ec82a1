"""The alert path as an integration client sees it (README: API): symptom logs with NEWS2
vitals, event-only logs, the alerts a saved log names, late entries, replays, early plan
completion and stops, the OpenAPI schema, and clinic isolation. Only the HTTP API is used."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from symptoms import scales

CIWA_CODES = scales.ITEM_CODES


def items(total=0):
    """The 20 CIWA-B codes scored to reach ``total`` (0: every item scored 0)."""
    if total == 0:
        return {code: 0 for code in CIWA_CODES}
    return scales.items_for_total(total)


def body(**overrides):
    """A complete, unremarkable log as a client sends it: every documented field."""
    data = {
        "assessed_at": timezone.localtime(timezone.now() - timedelta(minutes=10)).isoformat(),
        "items": items(4),
        "heart_rate": 76,
        "systolic_bp": 124,
        "diastolic_bp": 78,
        "temperature_c": "36.8",
        "respiratory_rate": 16,
        "spo2": 98,
        "supplemental_oxygen": False,
        "consciousness": "alert",
        "seizure": False,
        "hallucinations": False,
        "confusion": False,
        "suicidal_ideation": False,
        "notes": "Settled night.",
    }
    data.update(overrides)
    return data


def event_only(**overrides):
    data = {
        "assessed_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "items": None,
        "items_not_assessed_reason": "post-ictal",
        "seizure": True,
    }
    data.update(overrides)
    return data


def logs_url(patient):
    return reverse("patient-symptom-logs", kwargs={"pk": patient.pk})


def log_count(api, patient):
    response = api.get(logs_url(patient))
    assert response.status_code == 200, response.content
    return response.json()["count"]


def by_rule(response):
    return {alert["rule"]: alert for alert in response.json()["alerts"]}


def parse(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def api(api_for, clinician):
    return api_for(clinician)


# --- 1. The full request and response ----------------------------------------------------------


def test_a_log_with_every_field_echoes_vitals_news2_and_alerts(api, patient):
    sent = body(dose_taken_mg="1.5")
    response = api.post(logs_url(patient), sent, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    for key in ("id", "total", "severity", "phase", "day_in_phase", "news2", "alerts"):
        assert key in data, key
    assert data["total"] == 4 and data["severity"] == "mild", data
    assert data["phase"] == "pre_taper" and data["day_in_phase"] is None
    assert data["items"] == sent["items"]
    for name in ("heart_rate", "systolic_bp", "diastolic_bp", "respiratory_rate", "spo2"):
        assert data[name] == sent[name], name
    assert data["temperature_c"] == "36.8"
    assert data["supplemental_oxygen"] is False and data["consciousness"] == "alert"
    assert parse(data["assessed_at"]) == parse(sent["assessed_at"])
    news2 = data["news2"]
    assert set(news2) >= {"total", "response", "parameters", "missing"}
    assert (news2["total"], news2["response"], news2["missing"]) == (0, "routine", [])
    assert set(news2["parameters"]) >= {"heart_rate", "systolic_bp", "spo2", "temperature_c"}
    assert isinstance(data["alerts"], list)


# --- 2. Event-only logs ------------------------------------------------------------------------


def test_an_event_only_seizure_log_is_saved_and_raises_a_critical_seizure_alert(api, patient):
    response = api.post(logs_url(patient), event_only(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["total"], data["severity"], data["items"]) == (None, None, None)
    assert data["items_not_assessed_reason"] == "post-ictal"
    seizure = by_rule(response).get("seizure")
    assert seizure is not None, data["alerts"]
    assert seizure["severity"] == "critical"
    assert {"id", "rule", "severity", "status", "url"} <= set(seizure)
    assert str(seizure["id"]) in seizure["url"]
    listed = api.get(logs_url(patient)).json()["results"]
    [row] = [row for row in listed if row["id"] == data["id"]]
    assert (row["items"], row["total"], row["severity"]) == (None, None, None)
    assert row["seizure"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items_not_assessed_reason": ""}, "items"),  # items: null, no reason
        ({"items_not_assessed_reason": "   "}, "items"),  # a blank reason is no reason
        ({"items": "absent"}, "items"),  # no items key and no reason
        ({"items": items(6)}, "items_not_assessed_reason"),  # items and a reason
    ],
    ids=["null-items-no-reason", "null-items-blank-reason", "no-items-key", "items-and-reason"],
)
def test_event_only_logs_need_exactly_one_of_items_and_a_reason(change, field, api, patient):
    before = log_count(api, patient)
    data = event_only(**change)
    if data["items"] == "absent":
        del data["items"]
        del data["items_not_assessed_reason"]
    response = api.post(logs_url(patient), data, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert errors.get(field), errors
    assert log_count(api, patient) == before


# --- 3. Nothing abnormal -----------------------------------------------------------------------


def test_a_normal_log_names_no_alerts(api, patient):
    response = api.post(logs_url(patient), body(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["alerts"] == []


# --- 4. Vital signs and consciousness ----------------------------------------------------------


def test_low_vitals_are_a_critical_vital_signs_alert_by_news2(api, patient):
    low = body(systolic_bp=82, diastolic_bp=50, heart_rate=44, temperature_c="34.8")
    response = api.post(logs_url(patient), low, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    params = data["news2"]["parameters"]
    assert (params["systolic_bp"], params["heart_rate"], params["temperature_c"]) == (3, 1, 3)
    assert data["news2"]["total"] == 7 and data["news2"]["response"] == "emergency"
    vital = by_rule(response).get("vital_signs")
    assert vital is not None, data["alerts"]
    assert vital["severity"] == "critical"


def test_responding_only_to_voice_is_critical_complicated_withdrawal(api, patient):
    response = api.post(logs_url(patient), body(consciousness="voice"), format="json")
    assert response.status_code == 201, response.content
    alert = by_rule(response).get("complicated_withdrawal")
    assert alert is not None, response.json()["alerts"]
    assert alert["severity"] == "critical"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consciousness": "drowsy"}, "consciousness"),
        ({"consciousness": "A"}, "consciousness"),
        ({"spo2": 120}, "spo2"),
        ({"spo2": 101}, "spo2"),
        ({"spo2": 45}, "spo2"),
        ({"spo2": 49}, "spo2"),
    ],
)
def test_impossible_observations_are_a_400_and_save_nothing(change, field, api, patient):
    before = log_count(api, patient)
    response = api.post(logs_url(patient), body(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert log_count(api, patient) == before


@pytest.mark.parametrize("spo2", [50, 100])
def test_the_possible_spo2_limits_are_accepted(spo2, api, patient):
    response = api.post(logs_url(patient), body(spo2=spo2), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["spo2"] == spo2


# --- 5. A late entry ---------------------------------------------------------------------------


def test_a_seizure_entered_30_hours_late_is_alerted_with_both_times(api, patient):
    assessed = timezone.now() - timedelta(hours=30)
    sent = body(assessed_at=assessed.isoformat(), seizure=True)
    before = timezone.now()
    response = api.post(logs_url(patient), sent, format="json")
    after = timezone.now()
    assert response.status_code == 201, response.content
    log_id = response.json()["id"]
    seizure = by_rule(response).get("seizure")
    assert seizure is not None and seizure["severity"] == "critical", response.json()["alerts"]

    listed = api.get(reverse("alert-list"), {"patient": str(patient.pk)})
    assert listed.status_code == 200, listed.content
    [alert] = [row for row in listed.json()["results"] if row["id"] == seizure["id"]]
    assert (alert["rule"], alert["severity"]) == ("seizure", "critical")
    [evidence] = [entry for entry in alert["evidence"]["logs"] if entry["log"] == log_id]
    assert parse(evidence["assessed_at"]) == assessed
    entered = parse(evidence["entered_at"])
    assert before - timedelta(seconds=5) <= entered <= after + timedelta(seconds=5)
    assert evidence["entered_late_minutes"] >= 30 * 60 - 1


# --- 6. Replays --------------------------------------------------------------------------------


def test_the_same_submission_twice_is_one_log_and_still_names_its_alert(api, patient):
    sent = body(seizure=True, submission_id=str(uuid.uuid4()))
    first = api.post(logs_url(patient), sent, format="json")
    assert first.status_code == 201, first.content
    count = log_count(api, patient)
    second = api.post(logs_url(patient), sent, format="json")
    assert second.status_code == 200, second.content
    assert second.json()["id"] == first.json()["id"]
    assert log_count(api, patient) == count == 1
    assert by_rule(first)["seizure"]["severity"] == "critical"
    again = by_rule(second).get("seizure")
    assert again is not None, second.json()["alerts"]
    assert again["id"] == by_rule(first)["seizure"]["id"]


# --- 7. Early completion and stop: abrupt stops ------------------------------------------------


def clinic_today(patient):
    return timezone.localdate(timezone.now(), timezone=patient.clinic.zone)


def running_plan(api, patient):
    """A clonazepam plan started 30 days ago (2 mg, -10% every 14 days), activated."""
    start = clinic_today(patient) - timedelta(days=30)
    created = api.post(
        reverse("patient-taper-plans", kwargs={"pk": patient.pk}),
        {
            "medication": "clonazepam",
            "method": "percent",
            "start_date": start.isoformat(),
            "start_dose_mg": "2",
            "reduction_percent": "10",
            "interval_days": 14,
            "justification": "ODT available; weekly review.",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    activated = api.post(reverse("taper-plan-activate", kwargs={"pk": plan_id}), format="json")
    assert activated.status_code == 200, activated.content
    assert activated.json()["status"] == "active"
    return plan_id


def timeline(api, patient, on):
    response = api.get(
        reverse("patient-timeline", kwargs={"pk": patient.pk}), {"date": on.isoformat()}
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_completing_early_needs_a_reason_and_starts_the_acute_phase(api, patient):
    plan_id = running_plan(api, patient)
    url = reverse("taper-plan-complete", kwargs={"pk": plan_id})
    refused = api.post(url, format="json")
    assert refused.status_code == 400, refused.content
    message = " ".join(str(m) for m in refused.json().get("reason", [])).lower()
    assert "reason" in message and "abrupt stop" in message, refused.json()
    detail = api.get(reverse("taper-plan-detail", kwargs={"pk": plan_id}))
    assert detail.json()["status"] == "active"

    done = api.post(url, {"reason": "Patient declined further tapering."}, format="json")
    assert done.status_code == 200, done.content
    today = clinic_today(patient)
    assert done.json()["status"] == "completed"
    assert done.json()["last_dose_date"] == today.isoformat()
    tomorrow = timeline(api, patient, today + timedelta(days=1))
    assert (tomorrow["phase"], tomorrow["day_in_phase"]) == ("acute", 1)


def test_stopping_a_plan_starts_the_acute_phase_the_next_day(api, patient):
    plan_id = running_plan(api, patient)
    url = reverse("taper-plan-stop", kwargs={"pk": plan_id})
    stopped = api.post(url, {"reason": "Switched to another prescriber."}, format="json")
    assert stopped.status_code == 200, stopped.content
    assert stopped.json()["status"] == "stopped"
    today = clinic_today(patient)
    tomorrow = timeline(api, patient, today + timedelta(days=1))
    assert tomorrow["phase"] == "acute" and tomorrow["phase"] != "pre_taper", tomorrow
    assert tomorrow["day_in_phase"] == 1


# --- 8. The OpenAPI schema ---------------------------------------------------------------------


@pytest.fixture
def schema(client_for, clinician):
    response = client_for(clinician).get(reverse("schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def resolve(schema, node):
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def test_the_schema_documents_the_log_request(schema):
    operation = schema["paths"]["/api/v1/patients/{id}/symptom-logs/"]["post"]
    request = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    properties = request["properties"]
    for name in ("spo2", "supplemental_oxygen", "consciousness", "items_not_assessed_reason"):
        assert name in properties, name
    assert properties["items"].get("nullable") is True
    consciousness = properties["consciousness"]
    choices = set()
    for option in consciousness.get("oneOf", [consciousness]):
        choices |= set(resolve(schema, option).get("enum", []))
    assert {"alert", "new_confusion", "voice", "pain", "unresponsive"} <= choices


@pytest.mark.parametrize("code", ["201", "200"])
def test_the_schema_documents_alerts_and_news2_in_the_log_response(code, schema):
    """201: a new log; 200: the same submission already saved (the same body: README, API)."""
    operation = schema["paths"]["/api/v1/patients/{id}/symptom-logs/"]["post"]
    assert code in operation["responses"], operation["responses"]
    content = operation["responses"][code]["content"]["application/json"]["schema"]
    properties = resolve(schema, content).get("properties", {})
    assert "alerts" in properties and "news2" in properties, sorted(properties)


def test_the_schema_documents_the_reason_of_complete(schema):
    operation = schema["paths"]["/api/v1/taper-plans/{id}/complete/"]["post"]
    request = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    assert "reason" in request["properties"]


# --- 9. Clinic isolation -----------------------------------------------------------------------


def test_an_outsider_cannot_post_a_log_to_this_patient(api_for, api, outsider, patient):
    before = log_count(api, patient)
    response = api_for(outsider).post(logs_url(patient), event_only(), format="json")
    assert response.status_code == 404, response.content
    assert log_count(api, patient) == before
    alerts = api.get(reverse("alert-list"), {"patient": str(patient.pk)}).json()["results"]
    assert alerts == []
