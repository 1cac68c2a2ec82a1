from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD


def test_login_then_logout_by_post(clinician):
    client = Client()
    response = client.post(reverse("login"), {"username": "clinician", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # GET never signs anyone out
    client.post(reverse("logout"))
    assert client.get(reverse("patients:list")).status_code == 302


def test_a_wrong_password_says_nothing_about_which_part_was_wrong(clinician):
    client = Client()
    wrong_password = client.post(reverse("login"), {"username": "clinician", "password": "nope"})
    no_such_user = client.post(reverse("login"), {"username": "ghost", "password": "nope"})
    assert wrong_password.status_code == no_such_user.status_code == 200
    assert wrong_password.context["form"].errors == no_such_user.context["form"].errors


def test_password_change_enforces_length(client_for, clinician):
    client = client_for(clinician)
    url = reverse("password_change")
    short = client.post(
        url, {"old_password": PASSWORD, "new_password1": "short1!", "new_password2": "short1!"}
    )
    assert short.status_code == 200
    assert "new_password2" in short.context["form"].errors
    passphrase = "lantern river quietly counts"
    ok = client.post(
        url, {"old_password": PASSWORD, "new_password1": passphrase, "new_password2": passphrase}
    )
    assert ok.status_code == 302
    clinician.refresh_from_db()
    assert clinician.check_password(passphrase)


def test_error_pages_use_the_layout(client_for, clinician, staff, patient):
    not_found = client_for(clinician).get("/patients/00000000-0000-0000-0000-000000000000/")
    assert not_found.status_code == 404
    assert b"Page not found" in not_found.content
    forbidden = client_for(staff).get(reverse("patients:create"))
    assert forbidden.status_code == 403
    assert b"You do not have access to this page" in forbidden.content


def test_the_server_error_page_needs_no_context():
    from django.test import RequestFactory

    from taperapp.views import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_navigation_follows_the_role(client_for, clinician, staff, admin_user):
    clinician_home = client_for(clinician).get(reverse("home")).content.decode()
    staff_home = client_for(staff).get(reverse("home")).content.decode()
    admin_home = client_for(admin_user).get(reverse("home")).content.decode()
    assert "Add patient" in clinician_home and "Administration" not in clinician_home
    assert "Add patient" not in staff_home and "Patients" in staff_home
    assert "Administration" in admin_home
