"""Change history written by database triggers: bulk updates and raw SQL cannot skip it."""

import pytest
from django.db import connection
from django.urls import reverse

from patients.models import Patient
from tests.factories import make_plan

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="triggers are PostgreSQL's"
)


def test_a_queryset_update_still_writes_history(patient):
    Patient.objects.filter(pk=patient.pk).update(given_name="Annabel")
    events = list(patient.history.order_by("pgh_id").values_list("pgh_label", "given_name"))
    assert events[-1] == ("update", "Annabel")
    assert events[0][0] == "insert"


def test_raw_sql_writes_history_too(patient):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_patient SET family_name = 'Jones' WHERE id = %s", [patient.pk]
        )
    assert patient.history.order_by("-pgh_id").first().family_name == "Jones"


def test_the_patient_history_page_shows_changes_with_who(client_for, clinician, patient):
    make_plan(patient)
    client = client_for(clinician)
    client.post(
        reverse("patients:edit", kwargs={"pk": patient.pk}),
        {
            "mrn": patient.mrn,
            "given_name": "Annie",
            "family_name": patient.family_name,
            "birth_date": "1980-05-17",
            "sex": "female",
        },
    )
    page = client.get(reverse("patients:history", kwargs={"pk": patient.pk}))
    body = page.content.decode()
    assert "patients.PatientEvent" in body and "Annie" in body
    assert "patients.TaperPlanEvent" in body
