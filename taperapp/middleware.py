import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django_otp.plugins.otp_totp.models import TOTPDevice
from pghistory.middleware import HistoryMiddleware

from taperapp.api import body_too_large, too_large_message
from taperapp.errors import refusal


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's deny-by-default login check, except for REST framework views.

    API views authenticate themselves (token or session) and deny by default through
    ``DEFAULT_PERMISSION_CLASSES``; a redirect to the login page would break token clients,
    which must get 401 instead.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "cls", None) is not None and hasattr(view_func, "initkwargs"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class SessionLifetimeMiddleware:
    """Ends a session after SESSION_IDLE_SECONDS without activity, and SESSION_ABSOLUTE_SECONDS
    after sign-in however active it has been.

    The sign-in time is stamped by the user_logged_in signal (taperapp.accounts.signals). A
    request marked as a page's background refresh (BACKGROUND_REQUEST_HEADER) is served but
    is not activity: before, the dashboard's 15-second refresh kept a session alive forever.
    An ended session's background request gets 401, so the page can say so plainly.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):

        user = getattr(request, "user", None)
        background = bool(request.META.get(settings.BACKGROUND_REQUEST_HEADER))
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            signed_in = request.session.get("signed_in_at")
            active = request.session.get("active_at", signed_in)
            if (
                signed_in is None
                or now - signed_in > settings.SESSION_ABSOLUTE_SECONDS
                or active is None
                or now - active > settings.SESSION_IDLE_SECONDS
            ):
                logout(request)
                if background:
                    return JsonResponse({"detail": "Your session has ended."}, status=401)
                messages.info(request, "Your session has ended. Please sign in again.")
            elif not background:
                request.session["active_at"] = now
        elif background:
            return JsonResponse({"detail": "Your session has ended."}, status=401)
        return self.get_response(request)


class MFARequiredMiddleware:
    """With MFA_REQUIRED, a signed-in user who has not passed the second factor in this
    session reaches only the MFA pages, sign-out and the public addresses."""

    ALLOWED = {"mfa_verify", "mfa_setup", "mfa_backup_codes", "logout", "login", "healthz"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):

        user = getattr(request, "user", None)
        if not settings.MFA_REQUIRED or user is None or not user.is_authenticated:
            return None
        if user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in self.ALLOWED:
            return None
        if request.path.startswith(
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL
        ):
            return None

        has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        return redirect("mfa_verify" if has_device else "mfa_setup")


class HistoryContextMiddleware:
    """pghistory's middleware (who and which view, attached to every history row), only on
    PostgreSQL: the history triggers exist only there, and its context injection assumes
    psycopg."""

    def __init__(self, get_response):

        self.get_response = get_response
        self.with_history = HistoryMiddleware(get_response)

    def __call__(self, request):

        if connection.vendor == "postgresql":
            return self.with_history(request)
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE, before anything reads it (DRF's
    parsers read the stream past Django's own check, so a 2 MB note was stored), and 400 for a
    NUL character in the address or the query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):

        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "").lower():
            # A NUL in an address or a query reached PostgreSQL's text (a 500) before.
            return refusal(
                request,
                status=400,
                title="This address is not valid",
                message="The address contains a NUL character: open the page from the menu.",
            )
        if body_too_large(request):
            return refusal(
                request, status=413, title="Too much to save", message=too_large_message()
            )
        return self.get_response(request)
