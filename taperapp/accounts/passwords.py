"""Sign-in and password hardening: what a password may not be, a throttle per address, and a
password-change form that counts wrong current passwords as failed sign-ins."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from taperapp.accounts.models import Clinic
from taperapp.audit import services as audit
from taperapp.audit.models import AuditEvent

# Failed sign-ins (any usernames) from one address within the window before that address is
# refused for the window: axes locks a username at one address after 5; this stops one address
# guessing across many usernames (48 failures over 12 usernames went unthrottled). Set above
# what a ward sharing one NAT address does by mistake. [OWASP ASVS V2.2.1]
ADDRESS_FAILURE_LIMIT = 20
ADDRESS_FAILURE_WINDOW = timedelta(minutes=15)

# Words that make a password guessable here: the app's name, and each clinic's name and slug.
APP_WORDS = ("taperapp", "password", "benzodiazepine")


def _compact(password: str) -> str:
    """Lower case, letters and digits only: "Taper-App 2024!" reads as "taperapp2024"."""
    return re.sub(r"[^0-9a-z]+", "", password.lower())


# Rows of the keyboard, forwards: "qwertyuiop" is as guessable as "123456789".
KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
FEWEST_DISTINCT_CHARACTERS = 5


def _is_repetitive(text: str) -> bool:
    """One short pattern repeated: aaaaaaaaaaaa, abcabcabcabc, 121212121212."""
    return any(
        (text[:size] * (len(text) // size + 1))[: len(text)] == text
        for size in range(1, max(1, len(text) // 3) + 1)
    )


def _is_sequential(text: str) -> bool:
    """Nearly all steps one up or one down, in the alphabet or along a keyboard row:
    123456789012, abcdefghijkl, 9876543210, qwertyuiopasdf."""
    if len(text) < 4:
        return False
    neighbours = {frozenset(pair) for row in KEYBOARD_ROWS for pair in itertools.pairwise(row)}
    if sum(frozenset(pair) in neighbours for pair in itertools.pairwise(text)) >= len(text) - 3:
        return True
    steps = sum(
        1 for a, b in itertools.pairwise(text) if abs(ord(b) - ord(a)) == 1 or {a, b} == {"9", "0"}
    )
    return steps >= len(text) - 2


class PatternPasswordValidator:
    """Refuses repetitive and sequential passwords, which meet any length rule and are the
    first guesses of every list (NIST 800-63B 5.1.1.2)."""

    def validate(self, password, user=None):
        text = _compact(password)
        if _is_repetitive(text) or len(set(text)) < FEWEST_DISTINCT_CHARACTERS:
            raise ValidationError(
                _("This password repeats the same characters: choose a few unrelated words."),
                code="password_repetitive",
            )
        if _is_sequential(text):
            raise ValidationError(
                _("This password is a sequence (like 12345 or abcde): choose unrelated words."),
                code="password_sequential",
            )

    def get_help_text(self):
        return _("Not a repeated character or pattern, and not a sequence such as 123456.")


class ContextPasswordValidator:
    """Refuses passwords built on this service's names: the app's, or a clinic's
    (NIST 800-63B 5.1.1.2: context-specific words)."""

    def validate(self, password, user=None):

        text = _compact(password)
        words = set(APP_WORDS)
        for name, slug in Clinic.objects.values_list("name", "slug"):
            # The whole name and the slug: not each word ("clinic", "recovery" are not names).
            words.update(_compact(part) for part in [name, slug])
        hit = next((word for word in words if len(word) >= 5 and word in text), None)
        if hit:
            raise ValidationError(
                _("This password contains “%(word)s”, a name of this service or clinic.")
                % {"word": hit},
                code="password_context",
            )

    def get_help_text(self):
        return _("Not built on the name of taperapp or of a clinic.")


def recent_failures_from(address: str | None) -> int:

    if not address:
        return 0
    return AuditEvent.objects.filter(
        source_ip=address,
        outcome__in=["failed", "invalid"],
        action__in=["login", "password_change"],
        at__gte=timezone.now() - ADDRESS_FAILURE_WINDOW,
    ).count()


class AddressThrottle:
    """For a sign-in form: refused outright for an address with too many recent failures."""

    def clean(self):

        address = audit.client_ip(self.request) if self.request is not None else None
        if recent_failures_from(address) >= ADDRESS_FAILURE_LIMIT:
            audit.record(
                self.request,
                action="lockout",
                outcome="refused",
                username=str(self.data.get("username", ""))[:150],
                view="login:address",
            )
            raise ValidationError(
                _(
                    "Too many failed sign-ins from this address. Wait %(minutes)s minutes, or "
                    "ask an administrator."
                )
                % {"minutes": int(ADDRESS_FAILURE_WINDOW.total_seconds() // 60)},
                code="address_throttled",
            )
        return super().clean()


class ThrottledAuthenticationForm(AddressThrottle, AuthenticationForm):
    """The app's sign-in form."""


class ThrottledAdminAuthenticationForm(AddressThrottle, AdminAuthenticationForm):
    """The Django admin's own sign-in page: the same throttle (it was a way around it)."""


class CountingPasswordChangeForm(PasswordChangeForm):
    """A wrong current password is a failed sign-in: axes counts it (and locks the account
    out at the limit), so a session left open cannot be used to guess the password."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.user.get_username()},
                request=self.request,
            )
            raise


class HardenedPasswordChangeView(PasswordChangeView):
    form_class = CountingPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def dispatch(self, request, *args, **kwargs):

        if request.user.is_authenticated and AxesProxyHandler.is_locked(
            request, {"username": request.user.get_username()}
        ):
            logout(request)
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)  # as axes answers
        return super().dispatch(request, *args, **kwargs)
