from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Clinic, Membership, User
from .selectors import clinics_for_user, users_sharing_clinics_with


class ClinicScopedAdminMixin:
    """Limit clinic choices in admin forms to the admin's own clinics."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = clinics_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(ClinicScopedAdminMixin, admin.TabularInline):
    model = Membership
    extra = 1
    fields = ["clinic", "on_call"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("clinic")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(clinic__in=clinics_for_user(request.user))


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "last_login"]
    list_filter = ["is_active", "groups"]

    def get_queryset(self, request):
        return users_sharing_clinics_with(request.user)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Clinic admins manage people and roles, not superuser flags or raw permissions.
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        f
                        for f in options["fields"]
                        if f not in {"is_superuser", "user_permissions"}
                    ],
                },
            )
            for name, options in fieldsets
        ]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: audit rows and clinical history point at users


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "phone", "emergency_number"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "time_zone"]}),
        (
            _("Printed on patient schedules"),
            {"fields": ["phone", "emergency_number"]},
        ),
    ]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        if request.user.is_superuser:
            return super().get_queryset(request)
        return clinics_for_user(request.user)

    def has_delete_permission(self, request, obj=None):
        return False
