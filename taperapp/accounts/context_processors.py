from symptoms.alerts.selectors import unacknowledged_count

from .roles import Role, role_names


def roles(request):
    """Role flags for the navigation. Pages still check permissions themselves."""
    names = role_names(request.user) if hasattr(request, "user") else set()
    return {
        "user_is_clinician": Role.CLINICIAN in names,
        "user_is_staff_role": Role.STAFF in names,
        "user_roles": sorted(names),
        "user_is_admin": Role.ADMIN in names or getattr(request.user, "is_superuser", False),
    }


def alert_badge(request):
    """The unacknowledged-alert count in the navigation (one query, only for alert readers)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("symptoms.view_alert"):
        return {}

    def count():

        return unacknowledged_count(user)

    return {"unacknowledged_alerts": count}
