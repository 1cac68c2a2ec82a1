"""REST API for medications, taper plans and the timeline (README: API)."""

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from patients.models import Medication, PlanMethod, TaperPlan, TaperPlanRevision, TaperStep
from patients.plans import clinical, guidelines
from patients.plans import services as plan_services
from patients.plans.selectors import medications, patient_timeline, plan_detail, plans_with_steps
from taperapp.api import NormalizedDecimalField, ReasonSerializer


class MedicationSerializer(serializers.ModelSerializer):
    strengths = serializers.SerializerMethodField()
    diazepam_equivalents = serializers.SerializerMethodField()

    class Meta:
        model = Medication
        fields = [
            "code",
            "name",
            "half_life_class",
            "half_life_hours",
            "onset_window_days",
            "acute_window_days",
            "protracted_window_days",
            "lowest_practical_dose_mg",
            "strengths",
            "diazepam_equivalents",
        ]

    def get_strengths(self, medication) -> list[dict]:
        return [
            {
                "strength_mg": str(s.strength_mg.normalize()),
                "form": s.form,
                "splittable": s.splittable,
            }
            for s in medication.strengths.all()
        ]

    def get_diazepam_equivalents(self, medication) -> list[dict]:
        return [
            {
                "source": e.source,
                "source_name": e.get_source_display(),
                "dose_equivalent_to_10mg_diazepam": str(
                    e.dose_equivalent_to_10mg_diazepam.normalize()
                ),
            }
            for e in medication.equivalences.all()
        ]


class MedicationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MedicationSerializer
    lookup_field = "code"
    lookup_value_regex = "[a-z0-9_-]{1,40}"  # catalogue codes; anything else is a 404
    pagination_class = None
    required_permissions = {
        "list": ["patients.view_medication"],
        "retrieve": ["patients.view_medication"],
    }

    def get_queryset(self):
        return medications()


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaperStep
        fields = ["sequence", "start_date", "end_date", "daily_dose_mg", "change_percent"]


class RevisionSerializer(serializers.ModelSerializer):
    steps = StepSerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = TaperPlanRevision
        fields = ["number", "created_at", "created_by", "reason", "method", "steps"]


class CustomStepSerializer(serializers.Serializer):
    start_date = serializers.DateField()
    daily_dose_mg = NormalizedDecimalField(max_digits=8, decimal_places=4)


# A plan's fields that its current revision holds: to_representation reads them from there,
# not from the plan's own columns.
REVISION_FIELDS = (
    "method",
    "start_date",
    "start_dose_mg",
    "reduction_percent",
    "reduction_mg",
    "interval_days",
    "steps",
    "justification",
    "revision",
    "warnings",
    "cosign",
    "last_dose_date",
)


class GuidelineWarningSerializer(serializers.Serializer):
    """One warning of a schedule: a risk ``note`` informs; a ``deviation`` from the guideline
    needs the clinician's justification (and, where the clinic asks, a co-sign)."""

    code = serializers.CharField()
    message = serializers.CharField()
    sequence = serializers.IntegerField(allow_null=True, help_text="The step it is about.")
    tier = serializers.ChoiceField(choices=[("note", "note"), ("deviation", "deviation")])


class CosignSerializer(serializers.Serializer):
    """A second clinician's agreement with the current schedule's departures."""

    by = serializers.UUIDField()
    by_name = serializers.CharField()
    at = serializers.DateTimeField()
    comment = serializers.CharField()


def cosign_of(revision) -> dict | None:
    if revision.cosigned_by_id is None:
        return None
    return {
        "by": str(revision.cosigned_by_id),
        "by_name": str(revision.cosigned_by),
        "at": revision.cosigned_at,
        "comment": revision.cosign_comment,
    }


class TaperPlanSerializer(serializers.ModelSerializer):
    """A plan as its current revision describes it; ``history`` lists earlier revisions."""

    medication = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Medication.objects.prefetch_related("strengths", "equivalences"),
        error_messages={"does_not_exist": _("Unknown medication “{value}”.")},
    )
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    method = serializers.ChoiceField(choices=PlanMethod.choices)
    start_date = serializers.DateField()
    start_dose_mg = NormalizedDecimalField(max_digits=8, decimal_places=4)
    reduction_percent = NormalizedDecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    reduction_mg = NormalizedDecimalField(
        max_digits=8, decimal_places=4, required=False, allow_null=True
    )
    interval_days = serializers.IntegerField(required=False, allow_null=True)
    steps = CustomStepSerializer(many=True, required=False)
    justification = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=clinical.MAX_JUSTIFICATION_CHARS,
    )
    # What the current revision says (filled in by to_representation).
    revision = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    cosign = serializers.SerializerMethodField()
    last_dose_date = serializers.SerializerMethodField()

    def get_revision(self, plan) -> int:
        return plan.current_revision.number

    @extend_schema_field(GuidelineWarningSerializer(many=True))
    def get_warnings(self, plan) -> list[dict]:
        return tiered(plan.current_revision.warnings)

    @extend_schema_field(CosignSerializer(allow_null=True))
    def get_cosign(self, plan) -> dict | None:
        return cosign_of(plan.current_revision)

    def get_last_dose_date(self, plan) -> date | None:
        return plan.last_dose_date()

    class Meta:
        model = TaperPlan
        fields = [
            "id",
            "patient",
            "medication",
            "status",
            *REVISION_FIELDS,
            "held_since",
            "hold_reason",
            "ended_on",
            "end_reason",
            "created_at",
        ]
        read_only_fields = ["status", "held_since", "hold_reason", "ended_on", "end_reason"]

    @property
    def _readable_fields(self):
        for field in super()._readable_fields:
            if field.field_name not in REVISION_FIELDS:
                yield field

    def to_representation(self, plan):
        data = super().to_representation(plan)
        revision = plan.current_revision
        data.update(
            {
                "revision": revision.number,
                "method": revision.method,
                "start_date": revision.start_date.isoformat(),
                "start_dose_mg": str(revision.start_dose_mg),
                "reduction_percent": None
                if revision.reduction_percent is None
                else str(revision.reduction_percent),
                "reduction_mg": None
                if revision.reduction_mg is None
                else str(revision.reduction_mg),
                "interval_days": revision.interval_days,
                "steps": StepSerializer(revision.steps.all(), many=True).data,
                "warnings": tiered(revision.warnings),
                "justification": revision.justification,
                "cosign": cosign_of(revision),
                "last_dose_date": plan.last_dose_date(),
            }
        )
        return data

    def parameters(self) -> plan_services.PlanParameters:
        data = self.validated_data
        return plan_services.PlanParameters.from_input(
            data, [(s["start_date"], s["daily_dose_mg"]) for s in data.get("steps", [])]
        )


def tiered(warnings: list[dict]) -> list[dict]:
    """Stored warnings with their tier ("note" or "deviation"), also those saved before tiers."""
    return [{**warning, "tier": guidelines.tier_of(warning["code"])} for warning in warnings]


class TaperPlanDetailSerializer(TaperPlanSerializer):
    history = RevisionSerializer(source="revisions", many=True, read_only=True)

    class Meta(TaperPlanSerializer.Meta):
        fields = [*TaperPlanSerializer.Meta.fields, "history"]


class TimelineSerializer(serializers.Serializer):
    date = serializers.DateField(source="on")
    phase = serializers.CharField()
    day_in_phase = serializers.IntegerField(allow_null=True)
    daily_dose_mg = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    days_since_last_reduction = serializers.IntegerField(allow_null=True)
    last_dose_date = serializers.DateField(allow_null=True)
    in_words = serializers.SerializerMethodField()

    def get_in_words(self, point) -> str:
        return point.in_words()


class TimelineQuerySerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False,
        error_messages={"invalid": _("Use the format YYYY-MM-DD, e.g. 2026-03-01.")},
    )


def _plan_response(plan, request, code=status.HTTP_200_OK):
    plan = plan_detail(user=request.user).get(pk=plan.pk)
    return Response(TaperPlanDetailSerializer(plan, context={"request": request}).data, status=code)


class PatientPlansMixin:
    """Actions added to the patient endpoint: /patients/{id}/taper-plans/ and /timeline/."""

    @extend_schema(
        methods=["GET"],
        responses=TaperPlanSerializer(many=True),
        description="The patient's plans, newest first (paginated like every list).",
    )
    @extend_schema(
        methods=["POST"],
        request=TaperPlanSerializer,
        responses={201: TaperPlanDetailSerializer},
        description="Create a plan (a draft until activated).",
    )
    @action(detail=True, methods=["get", "post"], url_path="taper-plans")
    def taper_plans(self, request, pk=None):
        patient = get_object_or_404(self.get_queryset(), pk=pk)
        if request.method == "GET":
            plans = plans_with_steps(patient.taper_plans.order_by("-created_at"))
            page = self.paginate_queryset(plans)
            return self.get_paginated_response(
                TaperPlanSerializer(page, many=True, context={"request": request}).data
            )
        body = TaperPlanSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        plan = plan_services.taper_plan_create(
            patient=patient,
            params=body.parameters(),
            justification=body.validated_data.get("justification", ""),
            created_by=request.user,
        )
        return _plan_response(plan, request, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("date", date, description="YYYY-MM-DD; default today")],
        responses=TimelineSerializer,
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        patient = get_object_or_404(self.get_queryset(), pk=pk)
        query = TimelineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("date") or timezone.localdate(timezone=patient.clinic.zone)
        return Response(TimelineSerializer(patient_timeline(patient, on)).data)


class CompleteSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Required when the current dose is above the lowest practical dose (an early "
        "completion is an abrupt stop).",
    )


class TaperPlanViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A plan and its changes over time. Every change is a service call; nothing is deleted."""

    serializer_class = TaperPlanDetailSerializer
    required_permissions = {
        "retrieve": ["patients.view_taperplan"],
        **{
            name: ["patients.change_taperplan"]
            for name in ("activate", "cosign", "hold", "resume", "step_back", "complete", "stop")
        },
    }

    def get_queryset(self):
        return plan_detail(user=self.request.user)

    def _plan(self, pk) -> TaperPlan:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _reason(self, request) -> str:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data["reason"]

    @extend_schema(request=None, responses=TaperPlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return _plan_response(
            plan_services.taper_plan_activate(plan=self._plan(pk), by=request.user), request
        )

    @extend_schema(
        request=ReasonSerializer,
        responses=TaperPlanDetailSerializer,
        description="A second clinician co-signs the current schedule's departures from the "
        "guideline (``reason``: their comment). Where the clinic asks for it, a plan with "
        "deviations is activated only once co-signed; the author cannot co-sign.",
    )
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        plan = self._plan(pk)
        comment = self._reason(request)
        return _plan_response(
            plan_services.taper_plan_cosign(plan=plan, by=request.user, comment=comment), request
        )

    @extend_schema(request=ReasonSerializer, responses=TaperPlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        plan = self._plan(pk)
        reason = self._reason(request)
        return _plan_response(
            plan_services.taper_plan_hold(plan=plan, by=request.user, reason=reason), request
        )

    @extend_schema(request=None, responses=TaperPlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return _plan_response(
            plan_services.taper_plan_resume(plan=self._plan(pk), by=request.user), request
        )

    @extend_schema(request=ReasonSerializer, responses=TaperPlanDetailSerializer)
    @action(detail=True, methods=["post"], url_path="step-back")
    def step_back(self, request, pk=None):
        plan = self._plan(pk)
        reason = self._reason(request)
        return _plan_response(
            plan_services.taper_plan_step_back(plan=plan, by=request.user, reason=reason), request
        )

    @extend_schema(
        request=CompleteSerializer,
        responses=TaperPlanDetailSerializer,
        description="Complete the plan. When today's dose is above the medication's lowest "
        "practical dose this is an early completion, an abrupt stop: `reason` is then required "
        "(400 without it) and today becomes the last dose (the timeline is `acute` tomorrow).",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        plan = self._plan(pk)
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _plan_response(
            plan_services.taper_plan_complete(
                plan=plan, by=request.user, reason=body.validated_data.get("reason", "")
            ),
            request,
        )

    @extend_schema(request=ReasonSerializer, responses=TaperPlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        plan = self._plan(pk)
        reason = self._reason(request)
        return _plan_response(
            plan_services.taper_plan_stop(plan=plan, by=request.user, reason=reason), request
        )
