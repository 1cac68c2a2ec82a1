"""The Django admin serves admins only, scoped to their clinics like every other screen."""

from django.urls import reverse

from tests.factories import PatientFactory


def test_only_the_admin_role_enters_the_admin(client_for, personas):
    for name, user in personas.items():
        response = client_for(user).get(reverse("admin:index"))
        expected = 200 if name == "admin" else 302
        assert response.status_code == expected, name


def test_the_admin_lists_only_its_clinics_patients(client_for, admin_user, patient, lakeside):
    foreign = PatientFactory(clinic=lakeside, family_name="Elsewhere")
    client = client_for(admin_user)
    response = client.get(reverse("admin:patients_patient_changelist"))
    content = response.content.decode()
    assert patient.family_name in content
    assert "Elsewhere" not in content
    assert lakeside.name not in content  # not even as a filter choice
    change = client.get(reverse("admin:patients_patient_change", args=[foreign.pk]))
    assert change.status_code == 302  # Django's admin redirects a missing object to the index
    assert (
        client.get(reverse("admin:patients_patient_change", args=[patient.pk])).status_code == 200
    )


def test_the_admin_cannot_delete_patients_or_clinics(client_for, admin_user, patient):
    client = client_for(admin_user)
    response = client.post(
        reverse("admin:patients_patient_delete", args=[patient.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert patient.__class__.objects.filter(pk=patient.pk).exists()


def test_the_admin_sees_only_users_of_its_clinics(client_for, admin_user, clinician, outsider):
    response = client_for(admin_user).get(reverse("admin:accounts_user_changelist"))
    content = response.content.decode()
    assert clinician.username in content
    assert outsider.username not in content
