"""The printed patient schedule (issue 15, point 7): the clinic's name and phone, and plain
words on what to do if symptoms get worse, with the clinic's emergency number."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from taperapp.accounts.models import Clinic
from tests.factories import PatientFactory, make_plan

CALL_THE_CLINIC = "call the clinic on"
WORSE_SIGNS = "shaking, sweating, a racing heart, confusion"


@pytest.fixture
def plan(patient):
    return make_plan(patient)


def schedule(client, plan):
    response = client.get(reverse("plans:schedule", kwargs={"pk": plan.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_the_schedule_names_the_clinic_its_phone_and_its_emergency_number(
    client_for, clinician, riverside, plan
):
    riverside.phone, riverside.emergency_number = "020 7946 0321", "999"
    riverside.save()
    content = schedule(client_for(clinician), plan)
    assert "Riverside Recovery Centre" in content
    assert '<strong class="text-nowrap">020 7946 0321</strong>' in content  # at the top
    assert f'{CALL_THE_CLINIC} <strong class="text-nowrap">020 7946 0321</strong>' in content
    assert WORSE_SIGNS in content
    assert "Do not stop or skip doses on your own" in content
    assert "Do not stop suddenly" in content
    assert 'call the emergency number <span class="text-nowrap">999</span> now' in content
    assert "your local emergency number" not in content


def test_without_a_phone_or_emergency_number_the_schedule_still_says_whom_to_call(
    client_for, staff, riverside, plan
):
    assert riverside.phone == "" and riverside.emergency_number == ""
    content = schedule(client_for(staff), plan)
    assert "call the clinic, Riverside Recovery Centre, straight away" in content
    assert CALL_THE_CLINIC not in content
    assert "call your local emergency number now" in content
    assert "call the emergency number" not in content
    assert WORSE_SIGNS in content


def test_the_numbers_are_escaped(client_for, clinician, riverside, plan):
    riverside.phone, riverside.emergency_number = "<b>0800</b>", "<i>112</i>"
    riverside.save()
    content = schedule(client_for(clinician), plan)
    assert "&lt;b&gt;0800&lt;/b&gt;" in content and "<b>0800" not in content
    assert "&lt;i&gt;112&lt;/i&gt;" in content and "<i>112" not in content


def test_another_clinics_schedule_is_not_found_and_each_clinic_prints_its_own_phone(
    client_for, outsider, lakeside, riverside, plan
):
    riverside.phone, lakeside.phone = "020 7946 0321", "(312) 555-0148"
    riverside.save()
    lakeside.save()
    url = reverse("plans:schedule", kwargs={"pk": plan.pk})
    assert client_for(outsider).get(url).status_code == 404

    own = make_plan(PatientFactory(clinic=lakeside), by=outsider)
    content = schedule(client_for(outsider), own)
    assert "Lakeside Treatment Clinic" in content and "(312) 555-0148" in content
    assert "Riverside" not in content and "020 7946 0321" not in content


def test_an_admin_sets_the_phone_and_emergency_number_in_the_admin(
    client_for, admin_user, riverside
):
    client = client_for(admin_user)
    url = reverse("admin:accounts_clinic_change", args=[riverside.pk])
    form = client.get(url).content.decode()
    assert 'name="phone"' in form and 'name="emergency_number"' in form
    assert "your local emergency number" in form  # the help text says what blank prints
    response = client.post(
        url,
        {
            "name": riverside.name,
            "slug": riverside.slug,
            "time_zone": riverside.time_zone,
            "phone": "020 7946 0321",
            "emergency_number": "999",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    riverside.refresh_from_db()
    assert (riverside.phone, riverside.emergency_number) == ("020 7946 0321", "999")
    listing = client.get(reverse("admin:accounts_clinic_changelist")).content.decode()
    assert "020 7946 0321" in listing


def test_the_demo_clinics_have_a_phone_and_an_emergency_number(db):
    call_command("seed_demo", stdout=io.StringIO())
    numbers = dict(Clinic.objects.values_list("slug", "emergency_number"))
    assert numbers == {"riverside": "999", "lakeside": "911"}
    assert all(Clinic.objects.values_list("phone", flat=True))
