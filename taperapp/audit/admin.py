import csv

from django.contrib import admin
from django.http import StreamingHttpResponse

from taperapp.admin_site import ReadOnlyAdminMixin

from .models import EVENT_COLUMNS, AuditEvent
from .selectors import audit_events_for, lockouts_for

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


COLUMNS = ["at", "username", *EVENT_COLUMNS]


@admin.action(description="Export the selected events as CSV", permissions=["export"])
def export_csv(modeladmin, request, queryset):
    writer = csv.writer(_Echo())
    rows = ([_cell(getattr(event, column)) for column in COLUMNS] for event in queryset.iterator())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in [COLUMNS, *rows]), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
    return response


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, for admins: who did what to which record, when, from where."""

    list_display = [
        "at",
        "username",
        "role",
        "action",
        "outcome",
        "object_type",
        "patient_id",
        "source_ip",
    ]
    list_filter = ["action", "outcome", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["username", "=patient_id", "=object_id", "=request_id"]
    actions = [export_csv]
    date_hierarchy = "at"

    def has_export_permission(self, request):
        return request.user.has_perm("audit.export_auditevent")

    def get_queryset(self, request):
        # The changelist, its search and the CSV export all start here: one clinic's admin
        # never lists another clinic's events.
        return audit_events_for(request.user)


class ScopedLockoutAdminMixin:
    """Axes' lists, limited to the admin's own clinics' people (platform operators: all)."""

    def get_queryset(self, request):
        return lockouts_for(request.user, super().get_queryset(request))


def _scope_axes_admin():
    from axes import admin as axes_admin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model, base in (
        (AccessAttempt, axes_admin.AccessAttemptAdmin),
        (AccessLog, axes_admin.AccessLogAdmin),
        (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
            admin.site.register(model, type(base.__name__, (ScopedLockoutAdminMixin, base), {}))


_scope_axes_admin()
