from django.contrib import admin

from patients.selectors import patients_visible_to
from symptoms.models import AlertThresholds, SeverityBands, SymptomLog
from taperapp.accounts.selectors import clinics_for_user
from taperapp.admin_site import ReadOnlyAdminMixin


@admin.register(SeverityBands)
class SeverityBandsAdmin(admin.ModelAdmin):
    """The CIWA-B bands (one row): admins may move the band edges; logs keep the band they
    were scored with."""

    list_display = ["__str__"]

    def has_add_permission(self, request):
        return not SeverityBands.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SymptomLog)
class SymptomLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: logs are recorded, amended and voided in the clinical screens."""

    list_display = ["patient", "assessed_at", "total", "severity", "phase", "status"]
    list_filter = ["status", "severity", "phase"]
    list_select_related = ["patient"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(patient__in=patients_visible_to(request.user))


@admin.register(AlertThresholds)
class AlertThresholdsAdmin(admin.ModelAdmin):
    """Per-clinic alert thresholds; the defaults and their sources are in symptoms/clinical.py."""

    list_display = ["clinic", "pulse_alone_above", "missed_log_hours", "escalate_after_minutes"]

    def get_queryset(self, request):

        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(clinic__in=clinics_for_user(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):

        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = clinics_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False
