"""Shared pieces of the REST API: role permissions and error translation."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, permissions, serializers

from taperapp.errors import Conflict


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


class ConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "Conflict with what is already stored."
    default_code = "conflict"


def exception_handler(exc, context):
    """A service's Django ValidationError becomes a 400 with field errors, never a 500; a
    Conflict (the request contradicts what is stored) a 409 with the same shape."""
    # Imported here: rest_framework.views imports this module's permission class at load.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Conflict):
        exc = ConflictError(django_validation_error_to_api(exc).detail)
    elif isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_api(exc)
    return drf_exception_handler(exc, context)


class ReasonSerializer(serializers.Serializer):
    """The body of an action that needs a reason (hold, stop, void...)."""

    reason = serializers.CharField(max_length=2000)


# Real UTC offsets run from -12:00 (Baker Island) to +14:00 (Line Islands); PostgreSQL refuses
# beyond ±15:59 (a 500 before, from an audit filter at +16:00).
LARGEST_UTC_OFFSET = timedelta(hours=14)


def plausible_offset(value) -> bool:
    offset = value.utcoffset() if value is not None and value.tzinfo else None
    return offset is None or abs(offset) <= LARGEST_UTC_OFFSET


class InstantField(serializers.DateTimeField):
    """A moment in time, given in ISO 8601 with its offset (``Z`` or ``±hh:mm``).

    A time without an offset is refused, not guessed: the API cannot know which wall clock the
    sender read (a ward tablet, a server in another zone), and reading it as UTC stored an
    Auckland clinic's 10:00 as 10:00Z. The pages read typed times in the clinic's zone, where
    the clinician's wall clock is known.
    """

    default_error_messages = {
        "naive": _(
            "Give the time with its offset, e.g. 2026-03-01T08:30:00+13:00 or "
            "2026-02-28T19:30:00Z: a time without one is ambiguous."
        ),
        "overflow": _("This date and time cannot be stored: check the year."),
        "offset": _("No place on Earth has that UTC offset: offsets run from -12:00 to +14:00."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "ISO 8601 with its UTC offset (Z or ±hh:mm); a time without an offset is refused.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # a well-formed but impossible date: 2026-02-30
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        try:
            instant = super().to_internal_value(value)
        except OverflowError:  # year 1 or 9999 with an offset, moved to UTC
            self.fail("overflow")
        if not plausible_offset(instant):
            self.fail("offset")
        return instant


# Request bodies: far more than any log, plan or patient needs (a log is ~2 KB), small enough
# that a hostile body is refused before it is read (a 2 MB note was stored before).
MAX_JSON_DEPTH = 16


def _json_problem(value, limit: int) -> str | None:
    """What is wrong with a parsed JSON value, if anything: nesting deeper than ``limit``, or
    a NUL character in a string (PostgreSQL's text refuses it: a 500 before). Iterative: no
    recursion on hostile input."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, str):
            if "\x00" in current:
                return str(
                    _("A text value contains a NUL character (\\u0000), which cannot be stored.")
                )
        elif isinstance(current, dict | list):
            if depth > limit:
                return str(
                    _("The JSON body is nested too deeply (more than %(n)s levels).") % {"n": limit}
                )
            if isinstance(current, dict):
                stack.extend((key, depth + 1) for key in current)
                stack.extend((child, depth + 1) for child in current.values())
            else:
                stack.extend((child, depth + 1) for child in current)
    return None


class BoundedJSONParser(parsers.JSONParser):
    """JSON with a nesting limit (1,000+ levels raised RecursionError in the parser, a 500, and
    no request of this API nests more than a few levels) and no NUL characters in strings."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError(
                _("The JSON body is nested too deeply (more than %(n)s levels).")
                % {"n": MAX_JSON_DEPTH}
            ) from error
        problem = _json_problem(data, MAX_JSON_DEPTH)
        if problem:
            raise exceptions.ParseError(problem)
        return data


def body_too_large(request) -> bool:
    """Whether a non-file body declares more than DATA_UPLOAD_MAX_MEMORY_SIZE bytes. DRF's
    parsers read the stream directly, past Django's own check on request.body."""
    if request.content_type == "multipart/form-data":
        return False  # Django bounds the non-file fields; files go to disk
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large_message() -> str:
    return str(
        _("The request body is too large (more than %(kib)s KiB).")
        % {"kib": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024}
    )


class NormalizedDecimalField(serializers.DecimalField):
    """A decimal whose trailing zeros are not precision: "36.90", 36.9 and "36.9" are one
    temperature (DRF refused the first as "more than 1 decimal place")."""

    def validate_precision(self, value):
        if value.is_finite():
            value = value.normalize()
        return super().validate_precision(value)
