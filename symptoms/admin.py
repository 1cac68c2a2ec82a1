from django.contrib import admin

from patients.selectors import patients_visible_to

from .models import SeverityBands, SymptomLog


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
class SymptomLogAdmin(admin.ModelAdmin):
    """Read-only: logs are recorded, amended and voided in the clinical screens."""

    list_display = ["patient", "assessed_at", "total", "severity", "phase", "status"]
    list_filter = ["status", "severity", "phase"]
    list_select_related = ["patient"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(patient__in=patients_visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
