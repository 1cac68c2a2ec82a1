"""REST API for symptom logs (README: API)."""

from django.db import models
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from symptoms import scales
from symptoms.models import Consciousness, SymptomLog
from symptoms.selectors import current_logs, log_detail
from symptoms.services import (
    FLAG_FIELDS,
    OBSERVATION_FIELDS,
    VITAL_FIELDS,
    LogEntry,
    symptom_log_amend,
    symptom_log_record,
    symptom_log_void,
)
from symptoms.signals import alerts_raised_by
from taperapp.api import InstantField, NormalizedDecimalField, ReasonSerializer


class ItemsField(serializers.DictField):
    """The 20 CIWA-B items as {code: 0-4}, or null for an event-only log (not assessed, with
    ``items_not_assessed_reason``); validated against the one scale definition."""

    child = serializers.JSONField()

    def to_internal_value(self, data):
        if data is None:
            return None
        value = super().to_internal_value(data)
        errors = scales.validate_items(value)
        if errors:
            raise serializers.ValidationError(errors)
        return {code: int(value[code]) for code in scales.ITEM_CODES}


class RaisedAlertSerializer(serializers.Serializer):
    """An alert a saved log opened or updated."""

    id = serializers.UUIDField()
    rule = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.CharField()
    summary = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")


class SymptomLogSerializer(serializers.ModelSerializer):
    items = ItemsField(
        allow_null=True,
        help_text="The 20 CIWA-B items as {code: 0-4}; null for an event-only log (a seizure in "
        "a patient who cannot answer), which then needs items_not_assessed_reason.",
    )
    items_not_assessed_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Why the CIWA-B items were not assessed (only with items: null).",
    )
    consciousness = serializers.ChoiceField(
        choices=Consciousness.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="ACVPU, as NEWS2 scores it.",
    )
    news2 = serializers.SerializerMethodField(
        help_text="NEWS2 (Royal College of Physicians 2017) from this log's vital signs: total, "
        "clinical response, the score of each measured parameter and the missing ones."
    )
    submission_id = serializers.UUIDField(
        source="submission_key",
        required=False,
        help_text="Optional: the client's id for this submission. Without it, the same body "
        "sent twice for the same patient is the same submission.",
    )
    assessed_at = InstantField(
        error_messages={
            "invalid": _("Use an ISO 8601 date and time with its offset, e.g. 2026-03-01T08:30Z.")
        },
        help_text="When the patient was assessed: ISO 8601 with its UTC offset (Z or ±hh:mm). "
        "A time without an offset is refused (400), never guessed. Between the patient's birth "
        "and now plus 5 minutes of clock skew.",
    )
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    source = serializers.ChoiceField(choices=SymptomLog.Source.choices, required=False)

    # Trailing zeros are not precision ("36.90" is 36.9).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: NormalizedDecimalField,
    }

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
            *OBSERVATION_FIELDS,
            *FLAG_FIELDS,
            "dose_taken_mg",
            "notes",
            "items_not_assessed_reason",
            "total",
            "news2",
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
        # null means "not given" for the optional fields, as leaving them out does.
        extra_kwargs = {
            **{name: {"validators": []} for name in VITAL_FIELDS},
            **{name: {"allow_null": True} for name in (*FLAG_FIELDS, "supplemental_oxygen")},
            "notes": {"allow_null": True},
        }

    def to_representation(self, log):
        data = super().to_representation(log)
        data["items"] = log.items
        return data

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "total": {"type": "integer"},
                "response": {"type": "string", "enum": ["routine", "urgent", "emergency"]},
                "parameters": {"type": "object", "additionalProperties": {"type": "integer"}},
                "missing": {"type": "array", "items": {"type": "string"}},
            },
        }
    )
    def get_news2(self, log) -> dict:
        score = log.news2
        return {
            "total": score.total,
            "response": score.response,
            "parameters": {p.name: p.score for p in score.parameters},
            "missing": list(score.missing),
        }

    def validate(self, attrs):
        if "items" not in attrs:
            raise serializers.ValidationError(
                {"items": _("Give the 20 CIWA-B items, or null with items_not_assessed_reason.")}
            )
        return attrs

    def entry(self) -> LogEntry:
        data = self.validated_data
        return LogEntry(
            assessed_at=data["assessed_at"],
            items=data["items"],
            items_not_assessed_reason=data.get("items_not_assessed_reason", ""),
            source=data.get("source", SymptomLog.Source.CLINICIAN),
            supplemental_oxygen=bool(data.get("supplemental_oxygen")),
            consciousness=data.get("consciousness") or "",
            **{name: data.get(name) for name in VITAL_FIELDS},
            **{name: bool(data.get(name)) for name in FLAG_FIELDS},
            dose_taken_mg=data.get("dose_taken_mg"),
            notes=data.get("notes") or "",
        )


class SavedLogSerializer(SymptomLogSerializer):
    """A log as saved, with the alerts it opened or updated (README: API)."""

    alerts = serializers.SerializerMethodField()

    class Meta(SymptomLogSerializer.Meta):
        fields = [*SymptomLogSerializer.Meta.fields, "alerts"]

    @extend_schema_field(RaisedAlertSerializer(many=True))
    def get_alerts(self, log) -> list:
        return RaisedAlertSerializer(self.context.get("alerts", []), many=True).data


class AmendSerializer(SymptomLogSerializer):
    reason = serializers.CharField(max_length=2000, write_only=True)

    class Meta(SymptomLogSerializer.Meta):
        fields = [*SymptomLogSerializer.Meta.fields, "reason"]


class PatientLogsMixin:
    """GET|POST /api/v1/patients/{id}/symptom-logs/ on the patient endpoint."""

    log_permissions = {
        "symptom_logs:get": ["patients.view_patient", "symptoms.view_symptomlog"],
        "symptom_logs:post": ["patients.view_patient", "symptoms.add_symptomlog"],
    }

    @extend_schema(
        methods=["GET"],
        responses=SymptomLogSerializer(many=True),
        description="The patient's current logs, newest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=SymptomLogSerializer,
        responses={201: SavedLogSerializer, 200: SavedLogSerializer},
        description="Record a log; the response is the log with the alerts it opened or "
        "updated (201; 200 when the same submission was already saved). An event-only log "
        "has items: null and items_not_assessed_reason; its total and severity are null.",
    )
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
            SavedLogSerializer(log, context={"alerts": alerts_raised_by(log)}).data,
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

    @extend_schema(request=AmendSerializer, responses=SavedLogSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        log = get_object_or_404(self.get_queryset(), pk=pk)
        body = AmendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = body.validated_data.get("submission_key")
        # A retried correction (same id, same content) answers 200 with the first, as a retried
        # log does; the service returns it, or a Conflict for other content.
        retried = (
            key is not None
            and SymptomLog.objects.filter(patient_id=log.patient_id, submission_key=key).exists()
        )
        amended = symptom_log_amend(
            log=log,
            entry=body.entry(),
            amended_by=request.user,
            reason=body.validated_data["reason"],
            submission_key=key,
        )
        return Response(
            SavedLogSerializer(amended, context={"alerts": alerts_raised_by(amended)}).data,
            status=status.HTTP_200_OK if retried else status.HTTP_201_CREATED,
        )

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
