"""Persona matrix for every patient page and endpoint (README: Tenancy and roles)."""

import pytest
from django.urls import reverse

PAGE_ACCESS = [
    # url name, needs pk, {persona: expected status}
    ("patients:list", False, {"clinician": 200, "staff": 200, "admin": 200, "roleless": 403}),
    ("patients:create", False, {"clinician": 200, "staff": 403, "admin": 200, "roleless": 403}),
    (
        "patients:detail",
        True,
        {"clinician": 200, "colleague": 200, "staff": 200, "admin": 200, "outsider": 404},
    ),
    (
        "patients:edit",
        True,
        {"clinician": 200, "colleague": 200, "staff": 403, "admin": 200, "outsider": 404},
    ),
    (
        "patients:discharge",
        True,
        {"clinician": 200, "staff": 403, "admin": 200, "outsider": 404, "roleless": 403},
    ),
]


def _url(name, needs_pk, patient):
    return reverse(name, kwargs={"pk": patient.pk}) if needs_pk else reverse(name)


@pytest.mark.parametrize(("name", "needs_pk", "expected"), PAGE_ACCESS)
def test_patient_pages_by_persona(name, needs_pk, expected, personas, patient, client_for):
    url = _url(name, needs_pk, patient)
    for persona, status in expected.items():
        response = client_for(personas[persona]).get(url)
        assert response.status_code == status, (persona, url, response.status_code)


@pytest.mark.parametrize(("name", "needs_pk", "expected"), PAGE_ACCESS)
def test_patient_pages_send_anonymous_users_to_login(name, needs_pk, expected, patient, client):
    response = client.get(_url(name, needs_pk, patient))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["patients:edit", "patients:discharge"])
def test_outsider_cannot_post_to_another_clinics_patient(name, outsider, patient, client_for):
    response = client_for(outsider).post(
        reverse(name, kwargs={"pk": patient.pk}), {"reason": "x", "mrn": "X"}
    )
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.is_active and patient.mrn == "RIV-001"


def test_outsider_does_not_see_the_patient_in_the_list(outsider, patient, client_for):
    response = client_for(outsider).post(reverse("patients:list"), {"q": "Smith"})
    assert response.status_code == 200
    assert list(response.context["patients"]) == []


API_ACCESS = [
    # method, url builder, body, {persona: status}
    ("get", "list", None, {"clinician": 200, "staff": 200, "admin": 200, "roleless": 403}),
    ("get", "detail", None, {"clinician": 200, "staff": 200, "outsider": 404, "roleless": 403}),
    (
        "post",
        "list",
        {
            "clinic": "riverside",
            "mrn": "NEW-1",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1990-01-01",
        },
        {"staff": 403, "roleless": 403},
    ),
    (
        "patch",
        "detail",
        {"given_name": "Changed"},
        {"staff": 403, "outsider": 404, "roleless": 403},
    ),
    ("post", "discharge", {"reason": "done"}, {"staff": 403, "outsider": 404, "roleless": 403}),
]


def _api_url(kind, patient):
    if kind == "list":
        return reverse("patient-list")
    return reverse(f"patient-{kind}", kwargs={"pk": patient.pk})


@pytest.mark.parametrize(("method", "kind", "body", "expected"), API_ACCESS)
def test_patient_api_by_persona(method, kind, body, expected, personas, patient, api_for):
    url = _api_url(kind, patient)
    for persona, status in expected.items():
        response = getattr(api_for(personas[persona]), method)(url, body, format="json")
        assert response.status_code == status, (persona, method, url, response.content)
    patient.refresh_from_db()
    assert patient.given_name == "Anna" and patient.is_active


@pytest.mark.parametrize(("method", "kind", "body", "expected"), API_ACCESS)
def test_patient_api_refuses_anonymous_with_401(method, kind, body, expected, patient, api_for):
    response = getattr(api_for(None), method)(_api_url(kind, patient), body, format="json")
    assert response.status_code == 401


def test_api_list_is_scoped_to_the_callers_clinics(outsider, patient, api_for, lakeside):
    from tests.factories import PatientFactory

    own = PatientFactory(clinic=lakeside)
    response = api_for(outsider).get(reverse("patient-list"))
    assert [row["id"] for row in response.json()["results"]] == [str(own.pk)]


def test_api_has_no_delete(clinician, patient, api_for):
    response = api_for(clinician).delete(_api_url("detail", patient))
    assert response.status_code == 405
    assert patient.__class__.objects.filter(pk=patient.pk).exists()


def test_session_auth_works_for_the_api(client_for, clinician, patient):
    response = client_for(clinician).get(reverse("patient-list"))
    assert response.status_code == 200
    assert response.json()["count"] == 1
