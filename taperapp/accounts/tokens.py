"""API tokens (django-rest-knox): stored as hashes, expiring, minted only from a signed-in
session (which has passed the second factor wherever it is required: MFARequiredMiddleware lets
no other page through), listed and revocable by their owner and by their clinic's admin,
revoked when the password changes or the account is deactivated. Every mint and revocation is
audited."""

from __future__ import annotations

from django.contrib import messages
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from knox.models import AuthToken
from knox.settings import knox_settings

from taperapp.audit import services as audit

from .models import User
from .roles import is_admin
from .selectors import users_sharing_clinics_with


def tokens_visible_to(user: User):
    """The owner's tokens; a clinic admin's also those of their clinics' people."""
    tokens = AuthToken.objects.select_related("user").order_by("-created")
    if is_admin(user):
        return tokens.filter(user__in=users_sharing_clinics_with(user).values("pk"))
    return tokens.filter(user=user)


@never_cache
def token_list(request):
    """The "API tokens" page: mint a token (shown once), list and revoke."""
    new_token = request.session.pop("new_api_token", None)
    return render(
        request,
        "registration/api_tokens.html",
        {"tokens": tokens_visible_to(request.user), "new_token": new_token},
    )


@require_POST
def token_create(request):
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit and AuthToken.objects.filter(user=request.user).count() >= limit:
        messages.error(
            request, _("You have %(n)s tokens already: revoke one first.") % {"n": limit}
        )
        return redirect("api_tokens")
    instance, token = AuthToken.objects.create(user=request.user)
    audit.record(
        request,
        action="token_create",
        outcome="ok",
        object_type="api_token",
        object_id=instance.token_key,
        view="token_create",
    )
    # Shown once, on the next page, from the session (never in a URL or a cookie).
    request.session["new_api_token"] = token
    return redirect("api_tokens")


@require_POST
def token_revoke(request, token_key: str):
    token = get_object_or_404(tokens_visible_to(request.user), token_key=token_key)
    owner = token.user
    AuthToken.objects.filter(pk=token.pk).delete()
    audit.record(
        request,
        action="token_revoke",
        outcome="ok",
        object_type="api_token",
        # Whose token it was (the event's user is who revoked it).
        object_id=f"{owner.get_username()}:{token_key}"[:64],
        view="token_revoke",
    )
    messages.success(request, _("Token revoked."))
    return redirect("api_tokens")


@receiver(pre_save, sender=User, dispatch_uid="accounts.revoke_tokens_on_credentials_change")
def revoke_tokens_on_credentials_change(sender, instance: User, **kwargs):
    """A new password or a deactivation ends every API token of the account, as it ends its
    sessions: a token must never outlive the credentials it was minted under."""
    if instance._state.adding or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        revoked = AuthToken.objects.filter(user_id=instance.pk)
        count = revoked.count()
        if count:
            revoked.delete()
            audit.record(
                None,
                action="token_revoke",
                outcome="ok",
                user=instance,
                object_type="api_token",
                view="credentials_changed",
            )
