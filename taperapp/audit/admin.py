import csv

from django.contrib import admin
from django.http import StreamingHttpResponse

from taperapp.admin_site import ReadOnlyAdminMixin

from .models import AuditEvent

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


COLUMNS = [
    "at",
    "username",
    "role",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "patient_id",
    "view",
    "method",
    "status_code",
    "source_ip",
    "request_id",
]


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
