from django.contrib import admin

from patients.models import DiazepamEquivalence, Medication, MedicationStrength, Patient, TaperPlan
from patients.selectors import clinicians_for_user_clinics, patients_visible_to
from taperapp.accounts.admin import ClinicScopedAdminMixin
from taperapp.admin_site import ReadOnlyAdminMixin


@admin.register(Patient)
class PatientAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["family_name", "given_name", "mrn", "clinic", "status", "birth_date"]
    list_filter = ["status", ("clinic", admin.RelatedOnlyFieldListFilter)]
    # MRN only: the changelist searches with GET, so a name typed here would travel in the URL
    # (logs, history, Referer). Names are searched on the app's patient list, by POST.
    search_fields = ["=mrn"]
    search_help_text = "Search by exact MRN. To search by name, use the patient list."
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


class StrengthInline(admin.TabularInline):
    model = MedicationStrength
    extra = 0


class EquivalenceInline(admin.TabularInline):
    model = DiazepamEquivalence
    extra = 0

    def has_delete_permission(self, request, obj=None):
        return False  # every conversion keeps its source; change a value, do not drop it


@admin.register(Medication)
class MedicationAdmin(admin.ModelAdmin):
    """The catalogue admins keep: windows, lowest dose, strengths, equivalents."""

    list_display = [
        "name",
        "code",
        "half_life_class",
        "acute_window_days",
        "lowest_practical_dose_mg",
    ]
    inlines = [StrengthInline, EquivalenceInline]
    readonly_fields = ["code"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaperPlan)
class TaperPlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only for admins: plans change through the clinician's screens and services."""

    list_display = ["patient", "medication", "status", "created_at"]
    list_filter = ["status", "medication"]
    list_select_related = ["patient", "medication"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(patient__in=patients_visible_to(request.user))
