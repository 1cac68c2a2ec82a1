from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from taperapp.accounts.roles import is_admin


class TaperAdminSite(admin.AdminSite):
    site_header = "taperapp administration"

    @property
    def login_form(self):
        # The per-address sign-in throttle holds here too (imported late: forms need apps).
        from taperapp.accounts.passwords import ThrottledAdminAuthenticationForm

        return ThrottledAdminAuthenticationForm

    site_title = "taperapp admin"
    index_title = "Records, users and clinics"

    def has_permission(self, request):
        # Only the Admin role (or a superuser) enters the admin, whatever is_staff says.
        return request.user.is_active and request.user.is_staff and is_admin(request.user)


class TaperAdminConfig(AdminConfig):
    default_site = "taperapp.admin_site.TaperAdminSite"


class ReadOnlyAdminMixin:
    """For records that change only through the clinical screens and services (or never)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
