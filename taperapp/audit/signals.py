from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import services


@receiver(user_logged_in, dispatch_uid="audit.login")
def login_succeeded(sender, request, user, **kwargs):
    # With the second factor required, the password alone is not a sign-in: "login" is written
    # when the code is accepted (accounts.mfa.verify), "password_ok" here.
    action = "password_ok" if settings.MFA_REQUIRED else "login"
    services.record(request, action=action, outcome="ok", user=user)


@receiver(user_logged_out, dispatch_uid="audit.logout")
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        services.record(request, action="logout", outcome="ok", user=user)


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is kept (it may be a real account being guessed); the password
    # never is: Django passes it cleansed.
    services.record(
        request, action="login", outcome="failed", username=str(credentials.get("username", ""))
    )


try:
    from axes.signals import user_locked_out
except ImportError:  # pragma: no cover - axes is a dependency
    user_locked_out = None

if user_locked_out is not None:

    @receiver(user_locked_out, dispatch_uid="audit.lockout")
    def locked_out(sender, request, username=None, ip_address=None, **kwargs):
        services.record(request, action="lockout", outcome="refused", username=str(username or ""))
