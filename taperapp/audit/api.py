from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from rest_framework import mixins, serializers, viewsets

from taperapp.api import plausible_offset

from .models import EVENT_COLUMNS, AuditEvent
from .selectors import audit_events_for


class AuditEventSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="user_id", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "user", "username", *EVENT_COLUMNS]


class InstantField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant that can be compared with stored times: year 1 at +14:00 is no
    instant the database can hold (an OverflowError, a 500, on SQLite)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        if not plausible_offset(value):
            raise ValidationError("No place on Earth has that UTC offset (-12:00 to +14:00).")
        try:
            return value.astimezone(UTC)  # compared in UTC: the database sees no odd offset
        except OverflowError as error:
            raise ValidationError("This date and time is out of range.") from error


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class AuditEventFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    user = django_filters.UUIDFilter(field_name="user_id")
    action = django_filters.CharFilter(max_length=20)
    since = InstantFilter(field_name="at", lookup_expr="gte")
    until = InstantFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["patient", "user", "action", "since", "until"]


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit log, for admins only (filters: patient, user, action, since, until)."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    lookup_value_regex = "[0-9]+"  # events are numbered; anything else is a 404
    required_permissions = {
        "list": ["audit.view_auditevent"],
        "retrieve": ["audit.view_auditevent"],
    }

    def get_queryset(self):
        return audit_events_for(self.request.user).order_by("-at", "-id")
