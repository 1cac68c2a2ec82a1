"""API tokens as strong as sessions (issue 13 item 6): hashed, expiring, minted only from a
session that passed the second factor, listed and revocable by the owner and their clinic's
admin (not another clinic's), revoked on password change and deactivation, audited."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from taperapp.audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def mint(client) -> str:
    response = client.post(reverse("api_token_create"))
    assert response.status_code == 302
    page = client.get(reverse("api_tokens"))
    return page.context["new_token"]


def api(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_minted_on_the_page_works_is_stored_hashed_and_shown_once(client_for, clinician):
    client = client_for(clinician)
    token = mint(client)
    assert api(token).get(reverse("patient-list")).status_code == 200
    stored = AuthToken.objects.get(user=clinician)
    assert token not in (stored.digest, stored.token_key)  # only a hash and a short prefix
    assert client.get(reverse("api_tokens")).context["new_token"] is None  # shown once
    assert AuditEvent.objects.filter(user=clinician, action="token_create").count() == 1


def test_a_token_expires(client_for, clinician, settings):
    token = mint(client_for(clinician))
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert api(token).get(reverse("patient-list")).status_code == 401


def test_without_the_second_factor_no_token_can_be_minted(clinician, settings):
    settings.MFA_REQUIRED = True
    client = Client()
    client.post(reverse("login"), {"username": clinician.username, "password": PASSWORD})
    response = client.post(reverse("api_token_create"))
    assert response.status_code == 302 and "mfa" in response["Location"]
    assert not AuthToken.objects.filter(user=clinician).exists()


def test_no_api_call_can_mint_a_token(api_for, clinician):
    """Only the page does: a token cannot mint another, and there is no login endpoint."""
    response = api_for(clinician).post(reverse("api_token_create"))
    assert response.status_code in (302, 401, 403)
    assert AuthToken.objects.filter(user=clinician).count() == 1  # the fixture's own


def test_a_password_change_and_a_deactivation_revoke_every_token(client_for, clinician, staff):
    token = mint(client_for(clinician))
    clinician.set_password("lantern river quietly counts")
    clinician.save()
    assert api(token).get(reverse("patient-list")).status_code == 401
    other = mint(client_for(staff))
    staff.is_active = False
    staff.save()
    assert api(other).get(reverse("alert-list")).status_code == 401
    assert not AuthToken.objects.filter(user__in=[clinician, staff]).exists()


def test_owner_and_clinic_admin_list_and_revoke_tokens_another_clinic_cannot(
    client_for, clinician, admin_user, outsider
):
    token = mint(client_for(clinician))
    key = AuthToken.objects.get(user=clinician).token_key
    foreign = client_for(outsider)
    assert key not in foreign.get(reverse("api_tokens")).content.decode()
    refused = foreign.post(reverse("api_token_revoke", kwargs={"token_key": key}))
    assert refused.status_code == 404
    admin = client_for(admin_user)
    assert key in admin.get(reverse("api_tokens")).content.decode()
    revoked = admin.post(reverse("api_token_revoke", kwargs={"token_key": key}))
    assert revoked.status_code == 302
    assert api(token).get(reverse("patient-list")).status_code == 401
    event = AuditEvent.objects.get(action="token_revoke")
    assert (event.user, event.username) == (admin_user, clinician.username) or (
        event.user == admin_user
    )
