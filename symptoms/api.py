"""REST API for symptom logs (design §6)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from taperapp.api import ReasonSerializer

from . import scales
from .models import SymptomLog
from .selectors import current_logs, log_detail
from .services import (
    FLAG_FIELDS,
    VITAL_FIELDS,
    LogEntry,
    symptom_log_amend,
    symptom_log_record,
    symptom_log_void,
)


class ItemsField(serializers.DictField):
    """The 20 CIWA-B items as {code: 0-4}; validated against the one scale definition."""

    child = serializers.JSONField()

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        errors = scales.validate_items(value)
        if errors:
            raise serializers.ValidationError(errors)
        return {code: int(value[code]) for code in scales.ITEM_CODES}


class SymptomLogSerializer(serializers.ModelSerializer):
    items = ItemsField()
    submission_id = serializers.UUIDField(
        source="submission_key",
        required=False,
        help_text="Optional: the client's id for this submission. Without it, the same body "
        "sent twice for the same patient is the same submission.",
    )
    assessed_at = serializers.DateTimeField(
        error_messages={"invalid": _("Use an ISO 8601 date and time, e.g. 2026-03-01T08:30:00Z.")}
    )
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    source = serializers.ChoiceField(choices=SymptomLog.Source.choices, required=False)

    class Meta:
        model = SymptomLog
        fields = [
            "id",
            "patient",
            "submission_id",
            "assessed_at",
            "source",
            "items",
            *VITAL_FIELDS,
            *FLAG_FIELDS,
            "dose_taken_mg",
            "notes",
            "total",
            "severity",
            "phase",
            "day_in_phase",
            "status",
            "supersedes",
            "amendment_reason",
            "void_reason",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = [
            "total",
            "severity",
            "phase",
            "day_in_phase",
            "status",
            "supersedes",
            "amendment_reason",
            "void_reason",
            "created_at",
        ]
        extra_kwargs = {name: {"validators": []} for name in VITAL_FIELDS}

    def to_representation(self, log):
        data = super().to_representation(log)
        data["items"] = log.items
        return data

    def entry(self) -> LogEntry:
        data = self.validated_data
        return LogEntry(
            assessed_at=data["assessed_at"],
            items=data["items"],
            source=data.get("source", SymptomLog.Source.CLINICIAN),
            **{name: data.get(name) for name in VITAL_FIELDS},
            **{name: data.get(name, False) for name in FLAG_FIELDS},
            dose_taken_mg=data.get("dose_taken_mg"),
            notes=data.get("notes", ""),
        )


class AmendSerializer(SymptomLogSerializer):
    reason = serializers.CharField(max_length=2000, write_only=True)

    class Meta(SymptomLogSerializer.Meta):
        fields = [*SymptomLogSerializer.Meta.fields, "reason"]


class PatientLogsMixin:
    """GET|POST /api/v1/patients/{id}/symptom-logs/ on the patient endpoint."""

    @extend_schema(request=SymptomLogSerializer, responses=SymptomLogSerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="symptom-logs")
    def symptom_logs(self, request, pk=None):
        patient = get_object_or_404(self.get_queryset(), pk=pk)
        if request.method == "GET":
            logs = current_logs(patient).select_related("recorded_by").order_by("-assessed_at")
            page = self.paginate_queryset(logs)
            data = SymptomLogSerializer(page, many=True).data
            return self.get_paginated_response(data)
        body = SymptomLogSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        log, created = symptom_log_record(
            patient=patient,
            entry=body.entry(),
            recorded_by=request.user,
            submission_key=body.validated_data.get("submission_key"),
        )
        return Response(
            SymptomLogSerializer(log).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SymptomLogViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A log, with its corrections: amend makes a new version, void keeps the row."""

    serializer_class = SymptomLogSerializer
    required_permissions = {
        "retrieve": ["symptoms.view_symptomlog"],
        "amend": ["symptoms.change_symptomlog"],
        "void": ["symptoms.change_symptomlog"],
    }

    def get_queryset(self):
        return log_detail(user=self.request.user)

    @extend_schema(request=AmendSerializer, responses=SymptomLogSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        log = get_object_or_404(self.get_queryset(), pk=pk)
        body = AmendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        amended = symptom_log_amend(
            log=log,
            entry=body.entry(),
            amended_by=request.user,
            reason=body.validated_data["reason"],
            submission_key=body.validated_data.get("submission_key"),
        )
        return Response(SymptomLogSerializer(amended).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=SymptomLogSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        log = get_object_or_404(self.get_queryset(), pk=pk)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        voided = symptom_log_void(
            log=log, voided_by=request.user, reason=body.validated_data["reason"]
        )
        return Response(SymptomLogSerializer(voided).data)
