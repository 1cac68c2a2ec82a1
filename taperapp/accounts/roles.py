"""The three roles (README: Tenancy and roles) and the permissions each grants.

Roles are Django groups kept in step with this table after every ``migrate``. Views and API
endpoints check permissions (never group names), so a role's reach is read here, in one place.
"""

from django.db.models import TextChoices


class Role(TextChoices):
    CLINICIAN = "Clinician"
    STAFF = "Staff"
    ADMIN = "Admin"


# (app_label, codename) pairs. Later capabilities add theirs here.
ROLE_PERMISSIONS: dict[str, set[tuple[str, str]]] = {
    Role.CLINICIAN: {
        ("patients", "view_patient"),
        ("patients", "add_patient"),
        ("patients", "change_patient"),
        ("patients", "discharge_patient"),
        ("patients", "view_medication"),
        ("patients", "view_taperplan"),
        ("patients", "add_taperplan"),
        ("patients", "change_taperplan"),
        ("symptoms", "view_symptomlog"),
        ("symptoms", "add_symptomlog"),
        ("symptoms", "change_symptomlog"),  # amend and void; never delete
        ("symptoms", "view_alert"),
        ("symptoms", "change_alert"),  # acknowledge, assign, snooze, resolve, dismiss
    },
    Role.STAFF: {
        ("patients", "view_patient"),
        ("patients", "view_medication"),
        ("patients", "view_taperplan"),
        ("symptoms", "view_symptomlog"),
        ("symptoms", "add_symptomlog"),
        ("symptoms", "change_symptomlog"),
        ("symptoms", "view_alert"),
        ("symptoms", "change_alert"),
    },
    Role.ADMIN: {
        ("patients", "view_patient"),
        ("patients", "add_patient"),
        ("patients", "change_patient"),
        ("patients", "discharge_patient"),
        ("patients", "view_taperplan"),
        ("symptoms", "view_symptomlog"),
        ("symptoms", "view_severitybands"),
        ("symptoms", "change_severitybands"),
        ("symptoms", "view_alert"),
        ("symptoms", "view_alertthresholds"),
        ("symptoms", "add_alertthresholds"),
        ("symptoms", "change_alertthresholds"),
        ("audit", "view_auditevent"),
        ("audit", "export_auditevent"),
        # Lifting a sign-in lockout: deleting the attempt record (Axes > Access attempts).
        ("axes", "view_accessattempt"),
        ("axes", "delete_accessattempt"),
        # The medication catalogue is the admins' to keep.
        ("patients", "view_medication"),
        ("patients", "add_medication"),
        ("patients", "change_medication"),
        ("patients", "view_medicationstrength"),
        ("patients", "add_medicationstrength"),
        ("patients", "change_medicationstrength"),
        ("patients", "delete_medicationstrength"),
        ("patients", "view_diazepamequivalence"),
        ("patients", "add_diazepamequivalence"),
        ("patients", "change_diazepamequivalence"),
        ("accounts", "view_user"),
        ("accounts", "add_user"),
        ("accounts", "change_user"),
        ("accounts", "view_clinic"),
        ("accounts", "add_clinic"),
        ("accounts", "change_clinic"),
        ("accounts", "view_membership"),
        ("accounts", "add_membership"),
        ("accounts", "change_membership"),
        ("accounts", "delete_membership"),
    },
}


def sync_role_groups(**kwargs):
    """Create the role groups and set exactly the permissions of ROLE_PERMISSIONS.

    Connected to post_migrate; idempotent. Permissions not created yet (an app migrated later
    in the same run) are picked up on the next signal.
    """
    from django.contrib.auth.models import Group, Permission

    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = [
            permission
            for permission in Permission.objects.select_related("content_type").filter(
                codename__in={codename for _, codename in wanted}
            )
            if (permission.content_type.app_label, permission.codename) in wanted
        ]
        group.permissions.set(permissions)


def role_names(user) -> set[str]:
    """The role names of a user, cached on the instance for the request."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_role_names"):
        user._role_names = set(user.groups.values_list("name", flat=True))
    return user._role_names


def is_admin(user) -> bool:
    return user.is_active and (user.is_superuser or Role.ADMIN in role_names(user))
