from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from patients.filters import PatientFilter, PatientStatusFilter
from patients.models import Patient
from patients.plans.api import PatientPlansMixin
from patients.selectors import clinicians_for_user_clinics, patient_detail, patient_list
from patients.services import EDITABLE_FIELDS, patient_create, patient_discharge, patient_update
from taperapp.accounts.selectors import clinics_for_user
from taperapp.audit import services as audit


class ScopedClinicField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("Choose one of your clinics."),
        "invalid": _("Choose one of your clinics."),
    }

    def get_queryset(self):
        return clinics_for_user(self.context["request"].user)


class ScopedClinicianField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("Choose a clinician of the patient's clinic."),
        "incorrect_type": _("Give the clinician's id."),
    }

    def get_queryset(self):
        return clinicians_for_user_clinics(self.context["request"].user)


class PatientSerializer(serializers.ModelSerializer):
    clinic = ScopedClinicField(slug_field="slug")
    primary_clinician = ScopedClinicianField(allow_null=True, required=False)
    age = serializers.IntegerField(read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "clinic",
            *EDITABLE_FIELDS,
            "age",
            "status",
            "discharged_at",
            "discharge_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "discharged_at",
            "discharge_reason",
            "created_at",
            "updated_at",
        ]
        # Uniqueness is checked by the service, reported on the MRN field.
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["clinic"].read_only = True  # patients do not move between clinics
        return fields

    def create(self, validated_data):
        user = self.context["request"].user
        clinic = validated_data.pop("clinic")
        patient = patient_create(created_by=user, clinic=clinic, **validated_data)
        audit.mark_subject(self.context["request"], patient_id=patient.pk)
        return patient

    def update(self, instance, validated_data):
        validated_data.pop("clinic", None)
        return patient_update(
            patient=instance, updated_by=self.context["request"].user, **validated_data
        )


class SearchSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, help_text="Name words or the start of an MRN")
    status = serializers.ChoiceField(choices=Patient.Status.choices, required=False)


class DischargeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class PatientViewSet(
    PatientPlansMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Patients of the caller's clinics. No delete: patients leave by discharge. The nested
    symptom-log route is added where the apps meet (taperapp.urls): patients never import
    symptoms."""

    serializer_class = PatientSerializer
    filterset_class = PatientStatusFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_permissions = {
        "list": ["patients.view_patient"],
        "retrieve": ["patients.view_patient"],
        "create": ["patients.add_patient"],
        "partial_update": ["patients.change_patient"],
        "discharge": ["patients.discharge_patient"],
        "search": ["patients.view_patient"],
        "taper_plans:get": ["patients.view_patient", "patients.view_taperplan"],
        "taper_plans:post": ["patients.view_patient", "patients.add_taperplan"],
        "timeline": ["patients.view_patient"],
    }

    def get_queryset(self):
        if self.action == "list":
            return patient_list(user=self.request.user)
        return patient_detail(user=self.request.user)

    @extend_schema(request=SearchSerializer, responses=PatientSerializer(many=True))
    @action(detail=False, methods=["post"])
    def search(self, request):
        """Find patients by name or MRN (in the body, never in the URL) and status."""
        found = PatientFilter(request.data, queryset=patient_list(user=request.user))
        if not found.is_valid():
            raise serializers.ValidationError(found.errors)
        page = self.paginate_queryset(found.qs)
        return self.get_paginated_response(
            PatientSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(request=DischargeSerializer, responses=PatientSerializer)
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        patient = get_object_or_404(self.get_queryset(), pk=pk)
        body = DischargeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient = patient_discharge(
            patient=patient, discharged_by=request.user, reason=body.validated_data["reason"]
        )
        data = PatientSerializer(patient, context={"request": request}).data
        return Response(data, status=status.HTTP_200_OK)
