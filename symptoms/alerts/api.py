"""REST API for alerts (README: API)."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from symptoms.alerts import workflow
from symptoms.alerts.selectors import alerts_visible_to
from symptoms.models import UNRESOLVED, Alert, AlertSeverity, AlertStatus
from taperapp.accounts.models import User


class AlertSerializer(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    assigned_to = serializers.UUIDField(source="assigned_to_id", read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "patient",
            "rule",
            "rule_version",
            "severity",
            "status",
            "summary",
            "opened_at",
            "last_triggered_at",
            "trigger_count",
            "evidence",
            "assigned_to",
            "acknowledged_at",
            "snoozed_until",
            "resolved_at",
            "resolution_note",
            "escalation_level",
        ]
        read_only_fields = fields


class AlertFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    severity = django_filters.ChoiceFilter(choices=AlertSeverity.choices)
    patient = django_filters.UUIDFilter(field_name="patient_id")

    class Meta:
        model = Alert
        fields = ["status", "severity", "patient"]


class AssignSerializer(serializers.Serializer):
    user = serializers.UUIDField()


class SnoozeSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=workflow.SNOOZE_MIN_MINUTES, max_value=workflow.SNOOZE_MAX_MINUTES
    )
    reason = serializers.CharField(max_length=2000)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class DismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts of the caller's clinics; unresolved ones unless ?status= says otherwise."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    required_permissions = {
        "list": ["symptoms.view_alert"],
        "retrieve": ["symptoms.view_alert"],
        **{
            name: ["symptoms.change_alert"]
            for name in ("acknowledge", "assign", "snooze", "resolve", "dismiss")
        },
    }

    def get_queryset(self):
        queryset = alerts_visible_to(self.request.user).order_by("-opened_at")
        if self.action == "list" and "status" not in self.request.query_params:
            queryset = queryset.filter(status__in=UNRESOLVED)
        return queryset

    def _alert(self, pk) -> Alert:
        return get_object_or_404(
            alerts_visible_to(self.request.user).select_related("patient"), pk=pk
        )

    def _done(self, alert):
        return Response(AlertSerializer(Alert.objects.get(pk=alert.pk)).data)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._done(workflow.alert_acknowledge(alert=self._alert(pk), by=request.user))

    @extend_schema(request=AssignSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        alert = self._alert(pk)
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignee = User.objects.filter(pk=body.validated_data["user"]).first()
        if assignee is None:
            raise serializers.ValidationError(
                {"user": ["Choose a clinician or staff member of this patient's clinic."]}
            )
        return self._done(workflow.alert_assign(alert=alert, by=request.user, assignee=assignee))

    @extend_schema(request=SnoozeSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        alert = self._alert(pk)
        body = SnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(
            workflow.alert_snooze(alert=alert, by=request.user, **body.validated_data)
        )

    @extend_schema(request=NoteSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        alert = self._alert(pk)
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(
            workflow.alert_resolve(alert=alert, by=request.user, note=body.validated_data["note"])
        )

    @extend_schema(request=DismissSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        alert = self._alert(pk)
        body = DismissSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(
            workflow.alert_dismiss(
                alert=alert, by=request.user, reason=body.validated_data["reason"]
            )
        )
