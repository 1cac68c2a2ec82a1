"""Two-factor sign-in: TOTP enrolment and verification, with single-use backup codes."""

import base64
import io

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from taperapp.audit import services as audit
from taperapp.redirects import safe_next


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _next(request) -> str:
    return safe_next(request, settings.LOGIN_REDIRECT_URL)


def _new_backup_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name="backup")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.MFA_BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@never_cache
def setup(request):
    """Enrol an authenticator app: scan the code, type the 6 digits it shows."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("mfa_verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit.record(request, action="login", outcome="ok", view="mfa_setup")
            request.session["mfa_backup_codes"] = _new_backup_codes(user)
            return redirect("mfa_backup_codes")
        audit.record(request, action="mfa", outcome="failed", view="mfa_setup")
        form.add_error(
            "otp_token",
            _("That code did not match. Check the time on your phone and try the newest code."),
        )
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "registration/mfa_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device.config_url),
            "secret": secret,
        },
    )


@never_cache
def backup_codes(request):
    """Shown once, right after enrolment."""
    codes = request.session.pop("mfa_backup_codes", None)
    if not codes:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/mfa_backup_codes.html", {"codes": codes})


@never_cache
def verify(request):
    """The second step of sign-in: a code from the app, or one of the backup codes (each
    works once)."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["otp_token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            audit.record(request, action="login", outcome="ok", view="mfa_verify")
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(request, _("Backup code used: %(n)s left.") % {"n": left})
            return redirect(_next(request))
        audit.record(request, action="mfa", outcome="failed", view="mfa_verify")
        form.add_error(
            "otp_token", _("That code did not work. Try the newest code, or a backup code.")
        )
    return render(request, "registration/mfa_verify.html", {"form": form, "next": _next(request)})
