"""Sign-in hardening (issue 13 item 9): a throttle per address across usernames, wrong current
passwords on the password-change form counted towards the lockout, and passwords that are
repetitive, sequential or built on the service's names refused."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from taperapp.accounts.passwords import ADDRESS_FAILURE_LIMIT
from taperapp.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "123456789012",
        "abcdefghijklmn",
        "987654321098",
        "abcabcabcabcabc",
        "12121212121212",
        "taperapp rocks hard",
        "riverside forever 2026",
    ],
)
def test_repetitive_sequential_and_context_passwords_are_refused(password, riverside):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password", ["lantern river quietly counts", "9081726354091", "correct horse staple battery"]
)
def test_real_passphrases_are_accepted(password, riverside):
    validate_password(password)


def test_one_address_guessing_across_many_usernames_is_throttled(riverside):
    """48 failures over 12 usernames from one address went unthrottled."""
    users = [UserFactory(username=f"user{n}", clinic=riverside) for n in range(12)]
    client = Client(REMOTE_ADDR="198.51.100.7")
    answers = []
    for attempt in range(48):
        user = users[attempt % 12]
        response = client.post(
            reverse("login"), {"username": user.username, "password": "wrong guess"}
        )
        answers.append(response)
    throttled = [r for r in answers if "Too many failed sign-ins from this address" in r.text]
    assert len(throttled) >= 48 - ADDRESS_FAILURE_LIMIT
    # Even the right password is refused from that address while it is throttled...
    right = client.post(reverse("login"), {"username": users[0].username, "password": PASSWORD})
    assert right.status_code == 200 and "_auth_user_id" not in client.session
    # ...but the same person from another address is not.
    elsewhere = Client(REMOTE_ADDR="198.51.100.8")
    ok = elsewhere.post(reverse("login"), {"username": users[0].username, "password": PASSWORD})
    assert ok.status_code == 302
    assert AuditEvent.objects.filter(action="lockout", view="login:address").exists()


def test_wrong_current_passwords_on_the_change_form_lock_the_account_out(client_for, clinician):
    client = client_for(clinician)
    url = reverse("password_change")
    for _ in range(5):
        client.post(
            url,
            {
                "old_password": "guess",
                "new_password1": "lantern river quietly counts",
                "new_password2": "lantern river quietly counts",
            },
        )
    response = client.get(url)
    assert response.status_code == 429  # locked out (as axes answers), and signed out
    assert "_auth_user_id" not in client.session
    fresh = Client()
    again = fresh.post(reverse("login"), {"username": clinician.username, "password": PASSWORD})
    assert again.status_code == 429 and "_auth_user_id" not in fresh.session
