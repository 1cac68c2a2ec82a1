from django.contrib import admin

from taperapp.accounts.admin import ClinicScopedAdminMixin

from .models import Patient
from .selectors import clinicians_for_user_clinics, patients_visible_to


@admin.register(Patient)
class PatientAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["family_name", "given_name", "mrn", "clinic", "status", "birth_date"]
    list_filter = ["status", ("clinic", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["family_name", "given_name", "mrn"]
    list_select_related = ["clinic"]
    readonly_fields = [
        "status",
        "discharged_at",
        "discharged_by",
        "discharge_reason",
        "created_by",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        # Scoped like every other screen: superusers included, PHI follows membership.
        return patients_visible_to(request.user).select_related("clinic")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "primary_clinician":
            kwargs["queryset"] = clinicians_for_user_clinics(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # nothing clinical is deleted; discharge instead
