"""Shared pieces of the REST API: role permissions and error translation."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, permissions, serializers


class RolePermission(permissions.BasePermission):
    """Checks the Django permissions a view declares per action, e.g.

    ``required_permissions = {"list": ["patients.view_patient"], "plans:post": [...]}``. An
    action that is not declared is refused: deny by default.
    """

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, request.method.lower(), None) is None:
            return True  # no handler for this method: DRF answers 405, nothing is reached
        action = getattr(view, "action", None) or request.method.lower()
        declared = getattr(view, "required_permissions", {})
        # "action:method" wins over "action", for an action that both reads and writes.
        required = declared.get(f"{action}:{request.method.lower()}", declared.get(action))
        if required is None:
            return False
        return request.user.has_perms(required)


def django_validation_error_to_api(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    else:
        detail = {"non_field_errors": error.messages}
    return exceptions.ValidationError(detail)


def exception_handler(exc, context):
    """A service's Django ValidationError becomes a 400 with field errors, never a 500."""
    # Imported here: rest_framework.views imports this module's permission class at load.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_api(exc)
    return drf_exception_handler(exc, context)


class ReasonSerializer(serializers.Serializer):
    """The body of an action that needs a reason (hold, stop, void...)."""

    reason = serializers.CharField(max_length=2000)
