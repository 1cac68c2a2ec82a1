"""A clinic's admin sees the audit and the lockouts of their own clinic only; a platform
operator (superuser) sees all (issue 13 item 2). Before, Riverside's admin listed Lakeside's
events in the API (?user=), the admin changelist and the CSV export, and its lockouts."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from taperapp.audit.models import AuditEvent
from tests.factories import AccessAttemptFactory, AuditEventFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_clinics(api_for, clinician, patient, outsider, lakeside):
    """Each clinic's clinician reads their own patient; a failed sign-in names a Lakeside user;
    each clinic has a locked-out username."""
    lakeside_patient = PatientFactory(clinic=lakeside, family_name="Lakeshore")
    api_for(clinician).get(reverse("patient-detail", kwargs={"pk": patient.pk}))
    api_for(outsider).get(reverse("patient-detail", kwargs={"pk": lakeside_patient.pk}))
    AuditEventFactory(action="login_failed", outcome="failed", username=outsider.username)
    for who in (clinician, outsider):
        AccessAttemptFactory(
            username=who.username,
            ip_address="10.0.0.1",
            user_agent="test",
            failures_since_start=10,
            attempt_time=timezone.now(),
        )
    return lakeside_patient


def lakeside_event_ids(outsider, lakeside_patient):
    return set(AuditEvent.objects.filter(user=outsider).values_list("pk", flat=True)) | set(
        AuditEvent.objects.filter(patient_id=lakeside_patient.pk).values_list("pk", flat=True)
    )


def test_the_api_lists_only_the_admins_clinic(two_clinics, api_for, admin_user, outsider):
    api = api_for(admin_user)
    rows = api.get(reverse("audit-event-list")).json()["results"]
    usernames = {row["username"] for row in rows}
    assert outsider.username not in usernames
    assert str(two_clinics.pk) not in {row["patient_id"] for row in rows}
    assert api.get(reverse("audit-event-list"), {"user": str(outsider.pk)}).json()["count"] == 0
    foreign = AuditEvent.objects.filter(user=outsider).first()
    assert api.get(reverse("audit-event-detail", kwargs={"pk": foreign.pk})).status_code == 404


def test_the_admin_changelist_and_its_csv_export_are_scoped(
    two_clinics, client_for, admin_user, outsider, clinician
):
    client = client_for(admin_user)
    page = client.get(reverse("admin:audit_auditevent_changelist"), {"q": outsider.username})
    assert "0 results" in page.content.decode()
    every_id = list(AuditEvent.objects.values_list("pk", flat=True))
    export = client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "export_csv", "_selected_action": every_id},
    )
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows and clinician.username in {row["username"] for row in rows}
    assert outsider.username not in {row["username"] for row in rows}
    assert str(two_clinics.pk) not in {row["patient_id"] for row in rows}


def test_lockouts_are_scoped(two_clinics, client_for, admin_user, outsider, clinician):
    page = client_for(admin_user).get(reverse("admin:axes_accessattempt_changelist"))
    content = page.content.decode()
    assert clinician.username in content
    assert outsider.username not in content


def test_a_platform_operator_sees_every_clinic(two_clinics, api_for, riverside, outsider):
    operator = UserFactory(username="operator", role="Admin", clinic=riverside)
    operator.is_superuser = True
    operator.save()
    rows = api_for(operator).get(reverse("audit-event-list"), {"user": str(outsider.pk)})
    assert rows.json()["count"] >= 1
