import pytest
from django.urls import reverse

from patients.models import Patient

VALID = {
    "clinic": "riverside",
    "mrn": "RIV-200",
    "given_name": "Noor",
    "family_name": "Hussain",
    "birth_date": "1979-10-10",
    "sex": "female",
    "seizure_history": True,
}


def test_a_clinician_creates_a_patient_through_the_api(api_for, clinician, riverside):
    response = api_for(clinician).post(
        reverse("patient-list"), {**VALID, "primary_clinician": str(clinician.pk)}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert patient.clinic == riverside
    assert patient.created_by == clinician
    assert body["status"] == "active"
    assert body["clinic"] == "riverside"
    assert body["seizure_history"] is True
    assert isinstance(body["age"], int)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mrn": "RIV-001"}, "mrn"),
        ({"mrn": "riv-001"}, "mrn"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"birth_date": "yesterday"}, "birth_date"),
        ({"given_name": ""}, "given_name"),
        ({"family_name": None}, "family_name"),
        ({"clinic": "no-such-clinic"}, "clinic"),
        ({"clinic": "lakeside"}, "clinic"),
        ({"sex": "robot"}, "sex"),
        ({"status": "discharged", "mrn": ""}, "mrn"),
    ],
)
def test_bad_api_input_is_a_400_with_field_errors_and_saves_nothing(
    change, field, api_for, clinician, patient, lakeside
):
    before = Patient.objects.count()
    response = api_for(clinician).post(reverse("patient-list"), {**VALID, **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert Patient.objects.count() == before


def test_unknown_and_foreign_clinics_get_the_same_message(api_for, clinician, lakeside):
    api = api_for(clinician)
    unknown = api.post(reverse("patient-list"), {**VALID, "clinic": "nope"}, format="json")
    foreign = api.post(reverse("patient-list"), {**VALID, "clinic": "lakeside"}, format="json")
    assert unknown.json()["clinic"] == foreign.json()["clinic"] == ["Choose one of your clinics."]


def test_a_patch_changes_only_what_is_sent(api_for, clinician, patient):
    url = reverse("patient-detail", kwargs={"pk": patient.pk})
    response = api_for(clinician).patch(url, {"opioid_use": True}, format="json")
    assert response.status_code == 200, response.json()
    patient.refresh_from_db()
    assert patient.opioid_use is True
    assert patient.given_name == "Anna"


def test_a_patch_cannot_move_a_patient_or_set_its_status(api_for, clinician, patient):
    url = reverse("patient-detail", kwargs={"pk": patient.pk})
    api_for(clinician).patch(url, {"clinic": "lakeside", "status": "discharged"}, format="json")
    patient.refresh_from_db()
    assert patient.clinic.slug == "riverside"
    assert patient.is_active


def test_a_bad_patch_is_a_400_and_changes_nothing(api_for, clinician, patient):
    url = reverse("patient-detail", kwargs={"pk": patient.pk})
    response = api_for(clinician).patch(
        url, {"given_name": "Changed", "birth_date": "2999-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "birth_date" in response.json()
    patient.refresh_from_db()
    assert patient.given_name == "Anna"


def test_discharge_through_the_api(api_for, clinician, patient):
    url = reverse("patient-discharge", kwargs={"pk": patient.pk})
    api = api_for(clinician)
    assert api.post(url, {}, format="json").status_code == 400
    response = api.post(url, {"reason": "Transferred"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "discharged"
    again = api.post(url, {"reason": "again"}, format="json")
    assert again.status_code == 400
    assert "already been discharged" in again.json()["non_field_errors"][0]


def test_search_and_status_filter_in_the_api(api_for, clinician, patient):
    api = api_for(clinician)
    search = reverse("patient-search")
    assert api.post(search, {"q": "smith"}, format="json").json()["count"] == 1
    assert api.post(search, {"q": "RIV-0", "status": "active"}, format="json").json()["count"] == 1
    assert api.post(search, {"status": "bogus"}, format="json").status_code == 400
    assert api.get(reverse("patient-list"), {"status": "discharged"}).json()["count"] == 0
    assert api.get(reverse("patient-list"), {"status": "bogus"}).status_code == 400
    # A name in the query string is not a search: it is ignored.
    assert api.get(reverse("patient-list"), {"q": "nobody"}).json()["count"] == 1


def test_unknown_ids_are_404_not_500(api_for, clinician, db):
    api = api_for(clinician)
    assert api.get("/api/v1/patients/not-a-uuid/").status_code == 404
    assert api.get("/api/v1/patients/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_openapi_schema_and_docs_are_served(client_for, clinician):
    client = client_for(clinician)
    schema = client.get(reverse("schema"), {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/patients/" in paths
    assert "/api/v1/patients/{id}/discharge/" in paths
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
