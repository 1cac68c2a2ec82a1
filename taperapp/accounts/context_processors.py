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
