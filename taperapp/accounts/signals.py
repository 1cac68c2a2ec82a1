import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in, dispatch_uid="accounts.stamp_sign_in")
def stamp_sign_in(sender, request, user, **kwargs):
    """When the session began, for its absolute lifetime (SessionLifetimeMiddleware)."""
    if request is not None and hasattr(request, "session"):
        request.session["signed_in_at"] = time.time()
