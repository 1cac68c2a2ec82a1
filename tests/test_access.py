"""Deny by default: every URL needs a login and a role, and other clinics' objects are 404."""

import re

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

# The only addresses open without a login (README: Tenancy and roles).
PUBLIC = {"login", "healthz", "admin:login"}
# Open to any signed-in user whatever their role: their own account and the role-aware home.
ANY_SIGNED_IN = {
    "home",
    "logout",
    "admin:logout",
    "password_change",
    "password_change_done",
    "mfa_verify",
    "mfa_setup",
    "mfa_backup_codes",
    "api_tokens",  # a person's own API tokens (useless without a role's permissions)
    "api_token_create",
    "api_token_revoke",
    "schema",
    "api-docs",
}
# Only the Django admin has unnamed patterns (its redirects and catch-all); the admin site
# guards all of them (test_the_admin_refuses_...). Anything else unnamed fails the walk.
UNNAMED_PREFIX_ALLOWED = ("admin/", "^admin/")


def walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = namespace
            if pattern.namespace:
                space = f"{namespace}{pattern.namespace}:"
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern):
            yield (
                prefix + str(pattern.pattern),
                (f"{namespace}{pattern.name}" if pattern.name else None),
            )


def sample_kwargs(route, samples):
    names = set(re.findall(r"<(?:\w+:)?(\w+)>", route)) | set(re.findall(r"\(\?P<(\w+)>", route))
    missing = names - set(samples)
    assert not missing, f"add a sample value for {missing} in {route}"
    return {name: samples[name] for name in names}


def all_urls(samples):
    seen = set()
    for route, name in walk(get_resolver().url_patterns):
        if name is None:
            assert route.startswith(UNNAMED_PREFIX_ALLOWED), f"unnamed URL {route!r}: name it"
            continue
        kwargs = sample_kwargs(route, samples)
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:  # format-suffix variants share a name; the plain form covers them
            continue
        if url not in seen:
            seen.add(url)
            yield name, url


@pytest.fixture
def samples(patient):
    from django.contrib.contenttypes.models import ContentType

    return {
        "pk": patient.pk,
        "object_id": patient.pk,
        "id": patient.pk,
        "app_label": "patients",
        "format": "json",
        "content_type_id": ContentType.objects.get_for_model(patient).pk,
        "path": "css/app.css",
        "code": "clonazepam",
        "token_key": "abcd1234",
    }


def test_every_url_refuses_anonymous_users(client, samples):
    checked = 0
    for name, url in all_urls(samples):
        if name in PUBLIC:
            continue
        response = client.get(url)
        checked += 1
        if url.startswith("/api/"):
            assert response.status_code in (401, 403), (name, url, response.status_code)
        else:
            assert response.status_code == 302, (name, url, response.status_code)
            assert "login" in response["Location"], (name, url, response["Location"])
    assert checked > 20


def test_every_url_refuses_a_signed_in_user_without_a_role(client_for, roleless, samples):
    client = client_for(roleless)
    for name, url in all_urls(samples):
        if name in PUBLIC or name in ANY_SIGNED_IN:
            continue
        response = client.get(url)
        if name.startswith("admin:"):
            # The admin sends people without the Admin role to its own login page.
            assert response.status_code == 302, (name, url, response.status_code)
            assert "/admin/login/" in response["Location"], (name, url)
        elif response.status_code == 405:
            # A POST-only address: the POST itself must be refused for lack of a role.
            response = client.post(url, {"reason": "x"})
            assert response.status_code == 403, (name, url, "POST", response.status_code)
        else:
            assert response.status_code == 403, (name, url, response.status_code)


def test_public_addresses_answer_without_login(client, db):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200


@pytest.mark.parametrize("url", ["/admin/no-such-page/", "/admin/patients/patient/1/"])
def test_the_admins_unnamed_urls_refuse_anonymous_and_roleless_users(url, client_for, roleless):
    for user in (None, roleless):
        response = client_for(user).get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_password_reset_is_not_exposed(client, db):
    # No email-based reset: accounts are managed by clinic admins.
    assert client.get("/accounts/password_reset/").status_code in (302, 404)
