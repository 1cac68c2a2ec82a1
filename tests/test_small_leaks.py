"""Small leaks of issue 13 item 10: names in cookies and URLs, open redirects, an inline style
that broke the Content Security Policy."""

import pytest
from django.urls import reverse

from tests.factories import PatientFactory, make_seizure_alert

pytestmark = pytest.mark.django_db


def test_a_patients_name_never_travels_in_the_messages_cookie(client_for, clinician, riverside):
    response = client_for(clinician).post(
        reverse("patients:create"),
        {
            "mrn": "RIV-LEAK-1",
            "given_name": "Ottoline",
            "family_name": "Quarrington",
            "birth_date": "1980-05-17",
            "sex": "female",
            "primary_clinician": clinician.pk,
            "clinic": riverside.pk,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    for morsel in response.cookies.values():
        assert "Quarrington" not in morsel.value
        assert "Ottoline" not in morsel.value
    assert "messages" not in response.cookies


def test_the_admin_patient_search_takes_no_names(client_for, admin_user, patient):
    client = client_for(admin_user)
    by_name = client.get(reverse("admin:patients_patient_changelist"), {"q": patient.family_name})
    assert 'class="field-mrn"' not in by_name.content.decode()
    by_mrn = client.get(reverse("admin:patients_patient_changelist"), {"q": patient.mrn})
    assert f'class="field-mrn">{patient.mrn}<' in by_mrn.content.decode()


@pytest.fixture
def alert(patient, clinician):
    return make_seizure_alert(patient, clinician)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/phish", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_alert_actions_never_redirect_off_site(client_for, staff, alert, target):
    response = client_for(staff).post(
        reverse("alerts:acknowledge", kwargs={"pk": alert.pk}),
        {"next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:detail", kwargs={"pk": alert.pk})


def test_alert_actions_follow_a_next_address_on_the_site(client_for, staff, alert):
    response = client_for(staff).post(
        reverse("alerts:acknowledge", kwargs={"pk": alert.pk}),
        {"next": "/alerts/?severity=critical"},
    )
    assert response["Location"] == "/alerts/?severity=critical"


def test_the_api_docs_page_has_no_inline_style(client_for, clinician):
    response = client_for(clinician).get(reverse("api-docs"))
    assert response.status_code == 200
    assert "<style" not in response.content.decode()
    assert "css/swagger" in response.content.decode()


def test_another_clinics_patient_is_not_found_in_the_admin(client_for, admin_user, lakeside):
    foreign = PatientFactory(clinic=lakeside)
    page = client_for(admin_user).get(
        reverse("admin:patients_patient_changelist"), {"q": foreign.mrn}
    )
    assert 'class="field-mrn"' not in page.content.decode()
